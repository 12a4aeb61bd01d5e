import { readFileSync } from 'node:fs';
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenAPIBackend, SetMatchType } from 'openapi-backend';
import type { OpenAPIV3 } from 'openapi-types';
import { parse } from 'yaml';
import type { SkipReason } from '../setup/skips.ts';
import {
  DOCUMENTS_DIR,
  documentFileName,
  holdsPinned,
  PINNED_DOCUMENTS,
  type PinnedDocument,
  shownDir,
} from './fetch-documents.ts';

// Cashfree's own documents are Cashfree's: the project never carries a copy. They are read from where
// `npm run fetch:cashfree-docs` puts them (inside the clone, ignored by git), else from the team's shared
// reference folder beside the clone; a file counts only when it holds the pinned bytes.
const SHARED_DIR = fileURLToPath(new URL('../../../shared/reference/cashfree-openapi/', import.meta.url));
const DOCUMENT_DIRS = [DOCUMENTS_DIR, SHARED_DIR] as const;
export const OPERATION_ID = 'PGCustomerInstrumentsFetchCryptogram';
const OPERATION_PATH = '/customers/{customer_id}/instruments/{instrument_id}/cryptogram';
export const API_VERSIONS = PINNED_DOCUMENTS.map(({ version }) => version);
export type ApiVersion = PinnedDocument['version'];

const pinnedFor = (version: ApiVersion): PinnedDocument =>
  PINNED_DOCUMENTS.find((pinned) => pinned.version === version) as PinnedDocument;

// Each look hashes up to 1.3 MB per directory; the files do not change while the tests run.
const found = new Map<ApiVersion, string | undefined>();

/** The first file holding the pinned document of `version`, or undefined. */
export function documentPath(version: ApiVersion): string | undefined {
  if (!found.has(version)) {
    const files = DOCUMENT_DIRS.map((dir) => join(dir, documentFileName(version)));
    found.set(
      version,
      files.find((file) => holdsPinned(file, pinnedFor(version))),
    );
  }
  return found.get(version);
}

/** Why the contract tests cannot run here, and how to make them, or undefined when every document is present. */
export const missingDocuments = (): SkipReason | undefined => {
  const missing = API_VERSIONS.filter((version) => documentPath(version) === undefined);
  if (missing.length === 0) return undefined;
  return {
    reason:
      `Cashfree's OpenAPI documents ${missing.join(', ')} are in neither ${shownDir(DOCUMENTS_DIR)}/ nor ` +
      '../shared/reference/cashfree-openapi/ (as pinned: same sha256)',
    enable: 'npm run fetch:cashfree-docs (needs internet; docs/cashfree.md)',
  };
};

export function loadDocument(version: ApiVersion): OpenAPIV3.Document {
  const file = documentPath(version);
  if (file === undefined) throw new Error(`no pinned ${documentFileName(version)} here: npm run fetch:cashfree-docs`);
  return parse(readFileSync(file, 'utf8')) as OpenAPIV3.Document;
}

export function cryptogramOperation(document: OpenAPIV3.Document): OpenAPIV3.OperationObject {
  const operation = document.paths[OPERATION_PATH]?.get;
  if (!operation) throw new Error(`the document has no GET ${OPERATION_PATH}`);
  return operation;
}

/** The document's own `$ref`s, followed within it. */
export function resolve<T>(document: OpenAPIV3.Document, value: T | OpenAPIV3.ReferenceObject): T {
  if (!value || typeof value !== 'object' || !('$ref' in value)) return value as T;
  const target = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], document);
  return resolve(document, target as T | OpenAPIV3.ReferenceObject);
}

/**
 * openapi-backend over one document: it routes by the path of the document's first server (`/pg`) and validates
 * with Ajv. The document declares formats Ajv does not know; they are defined here so they are checked, not skipped.
 */
export async function createValidator(document: OpenAPIV3.Document): Promise<OpenAPIBackend> {
  const serverUrl = document.servers?.[0]?.url ?? 'https://example.invalid/';
  const api = new OpenAPIBackend({
    definition: document,
    apiRoot: new URL(serverUrl).pathname,
    quick: true,
    customizeAjv: (ajv) => {
      ajv.addFormat('YYYY-MM-DD', /^\d{4}-\d{2}-\d{2}$/);
      ajv.addFormat('UUID', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
      ajv.addFormat('boolean', /^(true|false)$/);
      return ajv;
    },
  });
  await api.init();
  return api;
}

/** What a client saw: an HTTP answer (its body read up to a bound), or none at all. */
export type Answer =
  | { kind: 'http'; status: number; headers: IncomingHttpHeaders; body: string; complete: boolean }
  | { kind: 'none'; code: string | undefined };

/** The service's own bound on a Cashfree body. */
const READ_CAP_BYTES = 64 * 1024;

/** One GET with node:http (which never follows redirects), the body read up to `READ_CAP_BYTES` and `timeoutMs`. */
export function readAnswer(
  url: string,
  options: { headers: Record<string, string>; agent?: Agent; timeoutMs: number },
): Promise<Answer> {
  return new Promise((settle) => {
    const req = request(url, { headers: options.headers, agent: options.agent ?? false });
    const timer = setTimeout(() => req.destroy(), options.timeoutMs);
    req.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      settle({ kind: 'none', code: error.code });
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const done = (complete: boolean) => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks).toString('utf8');
        settle({ kind: 'http', status: res.statusCode ?? 0, headers: res.headers, body, complete });
      };
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > READ_CAP_BYTES) {
          done(false);
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.once('end', () => done(true));
      // A destroyed response after a timeout or the cap: whatever arrived is an incomplete answer.
      res.once('close', () => done(res.complete));
    });
    req.end();
  });
}

// The document lists these on every answer of the call, yet describes them as POST-only; a GET never gets them.
const POST_ONLY_HEADERS = new Set(['x-idempotency-key', 'x-idempotency-replayed']);

/**
 * Everything in `answer` that the document does not describe for the cryptogram call: an empty list means the
 * answer is one the document lists (status, content type, body schema, headers and their types).
 */
export function undocumentedParts(api: OpenAPIBackend, answer: Answer): string[] {
  if (answer.kind === 'none') return [`no HTTP answer (${answer.code ?? 'connection closed'})`];
  if (!answer.complete) return ['the body did not complete within the read bound'];
  const document = api.document as OpenAPIV3.Document;
  const described = cryptogramOperation(document).responses[String(answer.status)];
  if (!described) return [`status ${answer.status} is not listed`];
  const response = resolve<OpenAPIV3.ResponseObject>(document, described);
  const mediaType =
    String(answer.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim() ?? '';
  if (!response.content?.[mediaType]) return [`content type "${mediaType}" is not listed for ${answer.status}`];

  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return ['the body is not JSON'];
  }
  const problems: string[] = [];
  const describe = (errors: { instancePath: string; message?: string }[] | null | undefined) =>
    (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
  problems.push(...describe(api.validateResponse(body, OPERATION_ID, answer.status).errors));
  problems.push(
    ...describe(
      api.validateResponseHeaders(answer.headers, OPERATION_ID, {
        statusCode: answer.status,
        setMatchType: SetMatchType.Any,
      }).errors,
    ),
  );
  for (const name of Object.keys(response.headers ?? {})) {
    if (!POST_ONLY_HEADERS.has(name) && answer.headers[name] === undefined) problems.push(`header ${name} is missing`);
  }
  return problems;
}
