import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { droppedContextArguments, type ProcessEntry } from '../../infra/cli-context.ts';
import { ROOT } from '../../infra/function.ts';

/** A process tree as `ps` would show it: pid -> parent and arguments. */
const tree = (entries: Record<number, ProcessEntry>) => (pid: number) => entries[pid];

describe('the -c arguments the CDK CLI dropped', () => {
  it('finds -c env:prod on the CLI two levels above the app, through the shell that runs it', () => {
    const read = tree({
      20: { ppid: 10, argv: ['/bin/sh', '-c', 'node infra/app.ts'] },
      10: { ppid: 1, argv: ['node', '/repo/node_modules/.bin/cdk', 'deploy', '-c', 'env:prod'] },
    });
    expect(droppedContextArguments(read, 20)).toEqual(['env:prod']);
  });

  it('reads --context with a space and with "=", and keeps only the values without "="', () => {
    const read = tree({
      10: { ppid: 1, argv: ['node', 'cdk', 'synth', '--context', 'env.prod', '--context=Env', '-c', 'env=dev'] },
    });
    expect(droppedContextArguments(read, 10)).toEqual(['env.prod', 'Env']);
  });

  it('finds nothing when no CDK CLI started the app, or the tree cannot be read', () => {
    expect(droppedContextArguments(tree({ 10: { ppid: 1, argv: ['node', 'vitest', '-c', 'x'] } }), 10)).toEqual([]);
    expect(droppedContextArguments(() => undefined, 10)).toEqual([]);
  });

  it('fails `cdk synth -c env:prod` with one line saying what was meant, instead of synthesizing dev', () => {
    const out = mkdtempSync(join(tmpdir(), 'cdk-typo-'));
    try {
      const result = spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules/aws-cdk/bin/cdk'), 'synth', '-q', '--no-notices', '-c', 'env:prod', '-o', out],
        {
          cwd: ROOT,
          encoding: 'utf8',
          // The app runs as `node infra/app.ts`: the project's Node 24 must come first on the PATH.
          env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
          timeout: 60_000,
        },
      );
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(
        '-c env:prod: not KEY=VALUE, so the CDK CLI dropped it (did you mean -c env=prod?)',
      );
      expect(result.stderr).not.toContain('Bundling asset');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
