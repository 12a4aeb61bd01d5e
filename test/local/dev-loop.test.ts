import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCHED_DIRECTORIES } from '../../local/watch-tree.ts';
import { deadPort, startSilentServer } from '../support/test-server.ts';
import { runToEnd, type SpawnedService, spawnService } from './spawn-service.ts';

// `npm run dev` on a copy of the code, so the saves below edit real source files without touching the
// repository: the same directories, the same node_modules (linked), the same package.json.
const REPO = process.cwd();
const copy = mkdtempSync(join(tmpdir(), 'dev-loop-'));
for (const directory of WATCHED_DIRECTORIES) cpSync(join(REPO, directory), join(copy, directory), { recursive: true });
cpSync(join(REPO, 'package.json'), join(copy, 'package.json'));
symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
const DEV = [join(copy, 'local/node-check.cjs'), join(copy, 'local/dev.ts')];

// The mode line of GET /__local comes from local/start.ts: editing it shows which code is serving.
const START_FILE = join(copy, 'local/start.ts');
const ORIGINAL_MODE = 'Cashfree simulator, Secrets Manager stand-in';

/** Saves the way editors do: `sed -i` (temporary file renamed over), vim (old file renamed away), IDE safe write. */
const saves = {
  sedInPlace(file: string, from: string, to: string) {
    expect(spawnSync('sed', ['-i', `s/${from}/${to}/`, file]).status).toBe(0);
  },
  vimBackupRename(file: string, text: string) {
    renameSync(file, `${file}~`);
    writeFileSync(file, text);
    rmSync(`${file}~`);
  },
  safeWrite(file: string, text: string) {
    writeFileSync(`${file}.tmp-save`, text);
    renameSync(`${file}.tmp-save`, file);
  },
};

let dev: SpawnedService;
const readyLines = () => dev.stderr().match(/ready on http:/g)?.length ?? 0;
const mode = async () => ((await (await fetch(`${dev.url}/__local`)).json()) as { mode: string }).mode;

/** Waits (bounded) for the next ready line after `seen` of them, then answers what GET /__local says. */
async function restarted(seen: number): Promise<string> {
  await expect.poll(readyLines, { timeout: 30_000, interval: 100 }).toBeGreaterThan(seen);
  return mode();
}

beforeAll(async () => {
  dev = await spawnService(process.execPath, DEV, { PORT: String(await deadPort()) });
});

afterAll(async () => {
  await dev?.stop();
  rmSync(copy, { recursive: true, force: true });
});

describe('npm run dev', () => {
  it('restarts on every kind of save of the same file and serves the code as saved', async () => {
    expect(await mode()).toBe(ORIGINAL_MODE);

    saves.sedInPlace(START_FILE, ORIGINAL_MODE, 'edited by sed');
    expect(await restarted(1)).toBe('edited by sed');

    // The save after a rename-and-replace is the one node --watch never saw.
    saves.sedInPlace(START_FILE, 'edited by sed', 'edited by sed again');
    expect(await restarted(2)).toBe('edited by sed again');

    saves.vimBackupRename(START_FILE, readFileSync(START_FILE, 'utf8').replace('edited by sed again', 'edited by vim'));
    expect(await restarted(3)).toBe('edited by vim');

    saves.safeWrite(START_FILE, readFileSync(START_FILE, 'utf8').replace('edited by vim', 'edited by an IDE'));
    expect(await restarted(4)).toBe('edited by an IDE');
  });

  it('restarts on a save under lambda/, api/ and client/src/, and in a directory made after it started', async () => {
    const file = (path: string) => join(copy, path);
    let seen = readyLines();

    saves.sedInPlace(file('lambda/errors.ts'), '$', '');
    await restarted(seen++);
    saves.safeWrite(file('api/openapi.yaml'), `${readFileSync(file('api/openapi.yaml'), 'utf8')}# saved\n`);
    await restarted(seen++);
    saves.sedInPlace(file('client/src/index.ts'), '$', '');
    await restarted(seen++);

    mkdirSync(file('lambda/new-module'));
    await restarted(seen++);
    seen = readyLines();
    writeFileSync(file('lambda/new-module/notes.txt'), 'a file in a new directory\n');
    await restarted(seen);
  });

  it('keeps the request log of earlier runs and never clears the screen', async () => {
    const response = await fetch(`${dev.url}/customers/x/cryptogram`);
    await response.arrayBuffer();
    const requestId = response.headers.get('x-amzn-requestid') ?? '';
    await expect.poll(() => dev.stdout().includes(requestId)).toBe(true);

    const seen = readyLines();
    saves.sedInPlace(join(copy, 'local/control.ts'), '$', '');
    await restarted(seen);

    expect(dev.stdout()).toContain(requestId);
    // node --watch clears the screen with ESC c; nothing here does.
    for (const clear of ['\u001bc', '\u001b[2J', '\u001b[3J']) expect(dev.stdout() + dev.stderr()).not.toContain(clear);
  });

  it('ignores editor swap and backup files', async () => {
    // A restart is announced as soon as the supervisor sees a change, long before the new server is ready.
    const restarts = () => dev.stderr().match(/changed: restarting/g)?.length ?? 0;
    const seen = restarts();
    writeFileSync(join(copy, 'lambda/.errors.ts.swp'), 'swap');
    writeFileSync(join(copy, 'lambda/errors.ts~'), 'backup');

    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(restarts()).toBe(seen);
  });
});

describe('npm run dev on a busy port', () => {
  it('exits at once with the one-line busy-port message instead of waiting for a save', async () => {
    const busy = await startSilentServer();
    const port = Number(busy.url('http').port);
    try {
      const startedAtMs = Date.now();
      const { code, stderr } = await runToEnd(process.execPath, DEV, { PORT: String(port) });

      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`port ${port} .*in use.*PORT=`))]);
      // runToEnd kills at 20 s: well before that, it ended by itself.
      expect(Date.now() - startedAtMs).toBeLessThan(15_000);
    } finally {
      await busy.close();
    }
  });
});
