import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/bundling.ts';
import { buildFunction } from '../../infra/function-bundling.ts';
import { rootRelativeSources } from '../../infra/source-map-artifact.ts';
import { DEMO_INSTRUMENTS } from '../../local/cashfree-simulator.ts';
import { type EmbeddedUpstreams, startEmbeddedUpstreams } from '../../local/embedded.ts';

const run = promisify(execFile);
const [demo = { customerId: '', instrumentId: '' }] = DEMO_INSTRUMENTS;

/** The `error` of the log line a fresh process writes after one invocation of `module` with a broken context. */
async function loggedError(module: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['test/infra-tools/invoke-once.ts', module, demo.customerId, demo.instrumentId, 'broken-context'],
    {
      env,
    },
  );
  const line = stdout.split('\n').find((l) => l.includes('"error"'));
  return (JSON.parse(line ?? '{}') as { error: string }).error;
}

/** Each frame as `function file:line:column`, the file relative to the project root. */
const frames = (stack: string) =>
  [...stack.matchAll(/at (\S+) \((?:file:\/\/)?([^\s()]+):(\d+:\d+)\)/g)].map(
    ([, fn, file = '', position]) => `${fn} ${relative(ROOT, resolve(ROOT, file))}:${position}`,
  );

describe('npm run stack', () => {
  let upstreams: EmbeddedUpstreams;
  let synthOutput: string;
  let bundled: string;
  let unbundled: string;

  beforeAll(async () => {
    upstreams = await startEmbeddedUpstreams();
    const env = { ...process.env, ...upstreams.env };
    const { file } = await buildFunction(mkdtempSync(join(tmpdir(), 'stack-bundle-')));
    // The map as the synth writes it (contract §9): beside the template, `sources` relative to the project root.
    const payload = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    payload.sources = rootRelativeSources(payload.sources, dirname(file));
    synthOutput = mkdtempSync(join(tmpdir(), 'stack-synth-'));
    writeFileSync(join(synthOutput, 'CryptogramService-test.function.mjs.map'), JSON.stringify(payload));

    // The same unexpected error in the bundle and in lambda/ run as TypeScript: Node strips the types in place,
    // so the second stack has the true lines and columns.
    [bundled, unbundled] = await Promise.all([loggedError(file, env), loggedError('lambda/handler.ts', env)]);
  });
  afterAll(() => upstreams.close());

  it("maps a logged stack of the deployed code back to the lambda/*.ts lines it ran, with the synth's map", async () => {
    const { stdout } = await run(process.execPath, ['infra/stack-trace/main.ts', '--map', synthOutput, bundled]);

    expect(bundled).toMatch(
      /^InternalError caused by TypeError \| at httpInvocationBefore \(file:\/\/\/\S+\/index\.mjs:\d+:\d+\)/,
    );
    const [headline, ...rest] = stdout.trim().split('\n');
    expect(headline).toBe('InternalError caused by TypeError');
    expect(frames(rest.join('\n'))).toEqual(frames(unbundled));
    expect(frames(unbundled)[0]).toMatch(/^httpInvocationBefore lambda\/invocation\.ts:\d+:\d+$/);
  });

  it('reads the whole JSON log line from stdin and can build the map from the checkout instead', async () => {
    const child = run(process.execPath, ['infra/stack-trace/main.ts', '--build']);
    child.child.stdin?.end(JSON.stringify({ level: 'ERROR', status: 500, error: bundled }));
    const { stdout } = await child;

    expect(frames(stdout)).toEqual(frames(unbundled));
  });

  it('says where the map should come from when the synth output holds none', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'stack-empty-'));

    const failed = await run(process.execPath, ['infra/stack-trace/main.ts', '--map', empty, bundled]).catch((e) => e);

    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/no single \*\.function\.mjs\.map at .*--build/);
  });
});
