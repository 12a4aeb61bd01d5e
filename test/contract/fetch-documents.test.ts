import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipWhen } from '../setup/skips.ts';
import { deadPort, startTestServer, type TestServer } from '../support/test-server.ts';
import { documentPath, missingDocuments } from './cashfree-document.ts';
import { documentFileName, PINNED_DOCUMENTS } from './fetch-documents.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = 'test/contract/fetch-documents.ts';
const urlPath = ({ repository, commit, path }: (typeof PINNED_DOCUMENTS)[number]) => `/${repository}/${commit}/${path}`;

/** What a repository host answers for one path: the bytes, a status, or a connection cut after half the body. */
type Answer = Buffer | number | { cutAfter: Buffer };

/** A stand-in for raw.githubusercontent.com on 127.0.0.1, answering per path. */
const startHost = (answers: Map<string, Answer>): Promise<TestServer> =>
  startTestServer((req, res) => {
    const answer = answers.get(req.url ?? '') ?? 404;
    if (typeof answer === 'number') {
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('404: Not Found');
    } else if (Buffer.isBuffer(answer)) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': answer.length }).end(answer);
    } else {
      res.writeHead(200, { 'content-length': answer.cutAfter.length });
      res.write(answer.cutAfter.subarray(0, answer.cutAfter.length / 2), () => res.socket?.destroy());
    }
  });

/** `npm run fetch:cashfree-docs` as a contributor runs it, pointed at the stand-in and a scratch folder. */
function fetchDocs(baseUrl: string, dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [SCRIPT],
      { cwd: ROOT, env: { ...process.env, CASHFREE_DOCS_BASE_URL: baseUrl, CASHFREE_DOCS_DIR: dir } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const [first] = PINNED_DOCUMENTS as [(typeof PINNED_DOCUMENTS)[number]];
let dir: string;
let host: TestServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cashfree-docs-'));
});
afterEach(async () => {
  await host?.close();
  host = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run fetch:cashfree-docs when the download fails', () => {
  it('fails with one line naming the document and both sums when the bytes are not the pinned ones', async () => {
    host = await startHost(new Map([[urlPath(first), Buffer.from('openapi: 3.0.0\n')]]));
    const result = await fetchDocs(host.origin, dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^fetch:cashfree-docs: ${host.origin}${urlPath(first)} is not the pinned ${documentFileName(first.version)}: ` +
          `sha256 [0-9a-f]{64}, expected ${first.sha256}\\n$`,
      ),
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails with one line when the repository answers 404', async () => {
    host = await startHost(new Map());
    const result = await fetchDocs(host.origin, dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`fetch:cashfree-docs: ${host.origin}${urlPath(first)} answered HTTP 404\n`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails with one line when nothing listens', async () => {
    const baseUrl = `http://127.0.0.1:${await deadPort()}`;
    const result = await fetchDocs(baseUrl, dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`fetch:cashfree-docs: cannot reach ${baseUrl}${urlPath(first)}: ECONNREFUSED\n`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves no partial file when the connection drops halfway through the body', async () => {
    host = await startHost(new Map([[urlPath(first), { cutAfter: Buffer.alloc(200_000, 'a') }]]));
    const result = await fetchDocs(host.origin, dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^fetch:cashfree-docs: the download from ${host.origin}${urlPath(first)} broke off after \\d+ bytes`),
    );
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(readdirSync(dir)).toEqual([]);
  });
});

// The stand-in can only serve the pinned bytes where a copy of them is at hand (the shared reference folder).
describe('npm run fetch:cashfree-docs with the pinned documents served', skipWhen(missingDocuments()), () => {
  const pinnedBytes = () =>
    new Map<string, Answer>(
      PINNED_DOCUMENTS.map((pinned) => [urlPath(pinned), readFileSync(documentPath(pinned.version) as string)]),
    );

  it('puts every document where the contract tests look, byte for byte, and says so', async () => {
    host = await startHost(pinnedBytes());
    const result = await fetchDocs(host.origin, dir);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim().split('\n')).toEqual([
      ...PINNED_DOCUMENTS.map(
        ({ version, repository, commit }) =>
          `${documentFileName(version)}: fetched from ${repository}@${commit.slice(0, 8)}`,
      ),
      `Cashfree's OpenAPI documents are in ${dir}; npm test with the same CASHFREE_DOCS_DIR runs the contract tests against them`,
    ]);
    expect(readdirSync(dir).sort()).toEqual(PINNED_DOCUMENTS.map(({ version }) => documentFileName(version)).sort());
    for (const pinned of PINNED_DOCUMENTS) {
      expect(readFileSync(join(dir, documentFileName(pinned.version)))).toEqual(
        readFileSync(documentPath(pinned.version) as string),
      );
    }
  });

  it('has the contract tests read the documents from the same CASHFREE_DOCS_DIR', async () => {
    host = await startHost(pinnedBytes());
    await fetchDocs(host.origin, dir);
    const lookup =
      "const { documentPath, API_VERSIONS } = await import('./test/contract/cashfree-document.ts');" +
      'console.log(JSON.stringify(API_VERSIONS.map(documentPath)));';
    const found = await new Promise<string>((done, fail) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', lookup],
        { cwd: ROOT, env: { ...process.env, CASHFREE_DOCS_DIR: dir } },
        (error, stdout) => (error ? fail(error) : done(stdout)),
      ),
    );
    expect(JSON.parse(found)).toEqual(PINNED_DOCUMENTS.map(({ version }) => join(dir, documentFileName(version))));
  });

  it('downloads nothing again once the pinned documents are there', async () => {
    host = await startHost(pinnedBytes());
    await fetchDocs(host.origin, dir);
    const requests = host.requests.length;
    const again = await fetchDocs(host.origin, dir);
    expect(again.code).toBe(0);
    expect(host.requests).toHaveLength(requests);
    expect(again.stdout).toContain(`${documentFileName(first.version)}: already here, sha256 matches`);
  });

  it('replaces a file that is not the pinned document with the verified download', async () => {
    host = await startHost(pinnedBytes());
    writeFileSync(join(dir, documentFileName(first.version)), 'an older document\n');
    const result = await fetchDocs(host.origin, dir);
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, documentFileName(first.version)))).toEqual(
      readFileSync(documentPath(first.version) as string),
    );
  });

  it('keeps the documents already verified when a later one fails', async () => {
    const answers = pinnedBytes();
    const last = PINNED_DOCUMENTS.at(-1) as (typeof PINNED_DOCUMENTS)[number];
    answers.set(urlPath(last), 500);
    host = await startHost(answers);
    const result = await fetchDocs(host.origin, dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`fetch:cashfree-docs: ${host.origin}${urlPath(last)} answered HTTP 500\n`);
    expect(readdirSync(dir).sort()).toEqual(
      PINNED_DOCUMENTS.slice(0, -1)
        .map(({ version }) => documentFileName(version))
        .sort(),
    );
  });
});
