import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startTestServer } from '../support/test-server.ts';
import { type Consumer, commonJsConsumer, esmConsumer } from './consumers.ts';
import { requiredFields } from './service-double.ts';
import { signatureVerdict } from './signature.ts';

// The client as a payment team gets it: `npm pack` builds it from source (prepack), `npm install <tarball>`
// puts it in a service of their own, their compiler checks their code against its types, and their service
// calls a local stand-in of the API with it.
const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');
const credentials = { accessKeyId: 'AKIACONSUMER', secretAccessKey: 'consumer-secret-key' };

const server = await startTestServer((_req, res, received) => {
  if (received.path.includes('/customers/cust_missing/')) {
    return sendJson(res, 404, { message: 'm', code: 'instrument_not_found' }, { 'x-request-id': 'svc-404' });
  }
  sendJson(res, 200, requiredFields('i1'));
});
let root = '';
let packed: { filename: string; files: { path: string }[]; warnings: string };
let consumers: Consumer[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cryptogram-client-'));
  const pack = await run('npm', ['pack', '--workspace', 'client', '--pack-destination', root, '--json'], {
    cwd: REPO,
  });
  const [result] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as [typeof packed];
  packed = {
    ...result,
    warnings: pack.stderr
      .split('\n')
      .filter((line) => /\bwarn/i.test(line))
      .join('\n'),
  };
  consumers = await Promise.all([esmConsumer(root), commonJsConsumer(root)]);
  // The registry is reachable, but everything these need is in the npm cache already.
  const install = [
    'install',
    join(root, packed.filename),
    '@types/node@^24',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
  ];
  await Promise.all(consumers.map(({ dir }) => run('npm', install, { cwd: dir })));
});

afterAll(async () => {
  await server.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the packed client', () => {
  it('packs the built ESM and CommonJS copies with their types, and nothing of the source tree', () => {
    const files = packed.files.map(({ path }) => path).sort();
    for (const copy of ['esm', 'cjs']) {
      expect(files).toContain(`dist/${copy}/index.js`);
      expect(files).toContain(`dist/${copy}/index.d.ts`);
    }
    expect(files).toContain('dist/cjs/package.json');
    expect(files.filter((path) => !path.startsWith('dist/'))).toEqual(['README.md', 'package.json']);
    expect(packed.warnings).toBe('');
  });

  it.each([
    ['a strict ESM project', 0],
    ['a node10 CommonJS project', 1],
  ])('type-checks in %s, misuse refused, and finds the right declarations', async (_project, index) => {
    const consumer = consumers[index] as Consumer;
    for (const { tsconfig, resolvesTo } of consumer.checks) {
      const { stdout } = await run(process.execPath, [TSC, '-p', tsconfig, '--listFiles'], { cwd: consumer.dir });
      expect(stdout, tsconfig).toContain(`node_modules/@cryptogram-service/client/${resolvesTo}`);
    }
  });

  it.each([
    ['a strict ESM project', 0],
    ['a node10 CommonJS project', 1],
  ])('calls the API from %s, signed, with typed errors', async (_project, index) => {
    const consumer = consumers[index] as Consumer;
    const before = server.requests.length;
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: consumer.dir });
    const { stdout } = await run(process.execPath, ['out/index.js', `${server.origin}/v1`], { cwd: consumer.dir });
    expect(JSON.parse(stdout)).toEqual({
      instrument: 'i1',
      expiry: '06/2031',
      code: 'instrument_not_found',
      status: 404,
      refused: expect.stringContaining("stack's BaseUrl output"),
    });
    const received = server.requests.slice(before);
    expect(received).toHaveLength(2);
    for (const request of received) {
      expect(await signatureVerdict(server, request, { region: 'ap-south-1', credentials })).toEqual({
        ok: true,
        accessKeyId: credentials.accessKeyId,
      });
    }
  });

  it('gives require and import their own copy, whose errors both still recognise', async () => {
    const consumer = consumers[1] as Consumer;
    const { stdout } = await run(process.execPath, ['both-copies.cjs'], { cwd: consumer.dir });
    expect(JSON.parse(stdout)).toEqual({
      twoCopies: true,
      esmErrorIsCjsError: true,
      cjsErrorIsEsmError: true,
      plainErrorIsNot: false,
    });
  });
});
