import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const DOCUMENT_PATH = new URL('../../api/openapi.yaml', import.meta.url);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The OpenAPI document as parsed YAML, `$ref`s left in place. */
export function loadDocument(): JsonObject {
  return parse(readFileSync(DOCUMENT_PATH, 'utf8')) as JsonObject;
}

/** The document with every local `$ref` replaced by its target (the document has no cycles). */
export function dereferenced(document: JsonObject = loadDocument()): JsonObject {
  const resolve = (pointer: string): Json => {
    let node: Json = document;
    for (const part of pointer.replace(/^#\//, '').split('/')) {
      const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) {
        throw new Error(`unresolved $ref ${pointer}`);
      }
      node = node[key] as Json;
    }
    return node;
  };
  const walk = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    if (typeof node.$ref === 'string') return walk(resolve(node.$ref));
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value)]));
  };
  return walk(document) as JsonObject;
}

export function at(node: Json | undefined, ...path: string[]): Json {
  let current: Json | undefined = node;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return null;
    current = current[key];
  }
  return current ?? null;
}

/** The one operation, dereferenced. */
export function operation(document: JsonObject = dereferenced()) {
  const paths = at(document, 'paths') as JsonObject;
  const [path, item] = Object.entries(paths)[0] ?? [];
  return { paths, path, item: item as JsonObject };
}

/** Who answers an error: the function (`{ message, code }`) or API Gateway itself (`requestId` added). */
export type Answerer = 'function' | 'gateway';

export interface ErrorBranch {
  by: Answerer;
  /** The schema the branch builds on (`FunctionError` or `GatewayRefusal`), dereferenced. */
  base: JsonObject;
  codes: string[];
}

/**
 * A response's error schema as its branches: the `allOf` of the schema, or of each `oneOf` branch when the
 * function and API Gateway share the status. A branch whose body requires `requestId` is API Gateway's.
 */
export function errorBranches(response: Json): ErrorBranch[] {
  const schema = at(response, 'content', 'application/json', 'schema');
  const branches = (at(schema, 'oneOf') as Json[] | null) ?? [schema];
  return branches.map((branch) => {
    const parts = (at(branch, 'allOf') as JsonObject[] | null) ?? [branch as JsonObject];
    const base = parts.find((part) => at(part, 'required') !== null) ?? {};
    const required = (at(base, 'required') as string[] | null) ?? [];
    return {
      by: required.includes('requestId') ? 'gateway' : 'function',
      base,
      codes: parts.flatMap((part) => (at(part, 'properties', 'code', 'enum') as string[] | null) ?? []),
    };
  });
}

/** The `code` values a response documents, each with who answers it. */
export function documentedErrors(response: Json): { code: string; by: Answerer }[] {
  return errorBranches(response).flatMap(({ by, codes }) => codes.map((code) => ({ code, by })));
}

/** The `code` values a response documents, whoever answers them. */
export function documentedCodes(response: Json): string[] {
  return [...new Set(documentedErrors(response).map(({ code }) => code))];
}
