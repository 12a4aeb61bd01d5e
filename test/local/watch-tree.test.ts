import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchTree } from '../../local/watch-tree.ts';

const watchHandles = () => process.getActiveResourcesInfo().filter((name) => name === 'FSEventWrap').length;
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('watchTree', () => {
  it('keeps one watch per directory when a directory with subdirectories is touched again and again', async () => {
    // Prepare
    root = mkdtempSync(join(tmpdir(), 'watch-tree-'));
    mkdirSync(join(root, 'a/b/c'), { recursive: true });
    const before = watchHandles();
    const seen: string[] = [];
    const stop = watchTree(root, (path) => seen.push(path));

    // Act: each touch of `a` re-watches its subtree; the old watches must go with it.
    for (let touch = 0; touch < 3; touch += 1) {
      utimesSync(join(root, 'a'), new Date(), new Date());
      await settle();
    }
    const watching = watchHandles() - before;
    seen.length = 0;
    writeFileSync(join(root, 'a/b/c/file.ts'), 'saved');
    await settle();
    stop();
    await settle(); // a closed watch leaves the active handles on the next turn of the loop

    // Assess
    expect(watching).toBe(4);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((path) => path === join(root, 'a/b/c/file.ts'))).toBe(true);
    expect(seen.length).toBeLessThanOrEqual(2);
    expect(watchHandles()).toBe(before);
  });
});
