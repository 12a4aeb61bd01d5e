import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where `npm run fetch:cashfree-docs` puts the documents: inside the clone, ignored by git (.gitignore). */
const FETCHED_DIR = join(ROOT, '.cache', 'cashfree-openapi');
/** Where they are fetched to and where the contract tests read them first: `CASHFREE_DOCS_DIR`, else FETCHED_DIR. */
export const DOCUMENTS_DIR = process.env.CASHFREE_DOCS_DIR || FETCHED_DIR;

/** A directory as a person would type it here: relative when inside the working directory. */
export function shownDir(dir: string): string {
  const inside = relative(process.cwd(), dir);
  return inside === '' || inside.startsWith('..') ? dir : inside;
}

/** One of Cashfree's published OpenAPI documents, pinned to the commit and the bytes the contract tests know. */
export interface PinnedDocument {
  version: '2022-09-01' | '2025-01-01' | '2026-01-01';
  repository: string;
  commit: string;
  path: string;
  sha256: string;
}

// Cashfree's SDK generator commits the document to each SDK repository; these are the commits the team's
// reference copy came from (docs/cashfree.md, "Cashfree's OpenAPI documents").
export const PINNED_DOCUMENTS: readonly PinnedDocument[] = [
  {
    version: '2022-09-01',
    repository: 'cashfree/cashfree-pg-sdk-java',
    commit: '48c7faa7bcde5167b12898c38f0dae38fd9a74eb',
    path: 'api/openapi.yaml',
    sha256: 'f00dcc0285c71b15d5545f257a43a93ed0535453bdf12ce47a3751ba61af4aa4',
  },
  {
    version: '2025-01-01',
    repository: 'cashfree/cashfree-pg',
    commit: '628e913fd0162ef80c2ad9bea66f72747ae9b378',
    path: 'api/openapi.yaml',
    sha256: 'ebfcc29e97873ee0a26158eeba365c6cc68701a57975039c1754aa1ea71cb952',
  },
  {
    version: '2026-01-01',
    repository: 'cashfree/cashfree-pg-sdk-dotnet',
    commit: '769d3172ae19e41dadb5837f50f94137e1a74090',
    path: 'api/openapi.yaml',
    sha256: '4874e2768861673cae522470803491ce8bf88e6682310c216c2585076e36e72c',
  },
];

export const documentFileName = (version: PinnedDocument['version']): string => `cashfree-pg-${version}.openapi.yaml`;

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Whether `file` holds exactly the pinned bytes. */
export const holdsPinned = (file: string, pinned: PinnedDocument): boolean =>
  existsSync(file) && sha256(readFileSync(file)) === pinned.sha256;

// The largest document is 1.3 MB; a wrong URL serving something huge is cut off well before memory matters.
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 60_000;

/** A download that did not yield the pinned document: one line for a person, printed without a stack. */
class FetchError extends Error {
  override name = 'FetchError';
}

async function download(url: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (error) {
    throw new FetchError(`cannot reach ${url}: ${reason(error)}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new FetchError(`${url} answered HTTP ${response.status}`);
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of response.body ?? []) {
      bytes += chunk.length;
      if (bytes > MAX_DOCUMENT_BYTES) throw new FetchError(`${url} sent more than ${MAX_DOCUMENT_BYTES} bytes`);
      chunks.push(Buffer.from(chunk));
    }
  } catch (error) {
    if (error instanceof FetchError) throw error;
    throw new FetchError(`the download from ${url} broke off after ${bytes} bytes: ${reason(error)}`);
  }
  return Buffer.concat(chunks);
}

const reason = (error: unknown): string => {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return cause.code;
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${DOWNLOAD_TIMEOUT_MS} ms`;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
};

export interface FetchOptions {
  /** Where the repositories are served; raw.githubusercontent.com. Only tests point it elsewhere. */
  baseUrl?: string;
  /** Where the documents go; DOCUMENTS_DIR. */
  dir?: string;
  /** Each line of progress. */
  say?: (line: string) => void;
}

/**
 * Downloads each pinned document that `dir` does not already hold, checks its SHA-256 against the pin, and only
 * then renames it into place: a failed or mismatched download leaves no file behind, and a good file already
 * there is never replaced by a bad one. Throws a `FetchError` on the first document that fails.
 */
async function fetchDocuments(options: FetchOptions = {}): Promise<void> {
  const { baseUrl = 'https://raw.githubusercontent.com', dir = DOCUMENTS_DIR, say = () => {} } = options;
  mkdirSync(dir, { recursive: true });
  for (const pinned of PINNED_DOCUMENTS) {
    const file = join(dir, documentFileName(pinned.version));
    if (holdsPinned(file, pinned)) {
      say(`${documentFileName(pinned.version)}: already here, sha256 matches`);
      continue;
    }
    const url = `${baseUrl.replace(/\/$/, '')}/${pinned.repository}/${pinned.commit}/${pinned.path}`;
    const bytes = await download(url);
    const actual = sha256(bytes);
    if (actual !== pinned.sha256) {
      throw new FetchError(
        `${url} is not the pinned ${documentFileName(pinned.version)}: sha256 ${actual}, expected ${pinned.sha256}`,
      );
    }
    const partial = `${file}.${process.pid}.partial`;
    try {
      writeFileSync(partial, bytes);
      renameSync(partial, file);
    } finally {
      rmSync(partial, { force: true });
    }
    say(`${documentFileName(pinned.version)}: fetched from ${pinned.repository}@${pinned.commit.slice(0, 8)}`);
  }
}

if (import.meta.main) {
  try {
    await fetchDocuments({
      baseUrl: process.env.CASHFREE_DOCS_BASE_URL || undefined,
      say: (line) => process.stdout.write(`${line}\n`),
    });
    const test = process.env.CASHFREE_DOCS_DIR ? 'npm test with the same CASHFREE_DOCS_DIR' : 'npm test';
    process.stdout.write(
      `Cashfree's OpenAPI documents are in ${shownDir(DOCUMENTS_DIR)}; ${test} runs the contract tests against them\n`,
    );
  } catch (error) {
    if (!(error instanceof FetchError)) throw error;
    process.stderr.write(`fetch:cashfree-docs: ${error.message}\n`);
    process.exitCode = 1;
  }
}
