import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GATEWAY_REFUSALS } from '../../api/gateway-responses.ts';
import { HTTP_METHOD, PATH_PARAMETERS, RESOURCE_PATH, STAGE_NAME } from '../../api/resource.ts';
import type { Cryptogram } from '../../lambda/cashfree.ts';
import { FUNCTION_ERRORS } from '../../lambda/errors.ts';
import { parseInstrumentIds } from '../../lambda/request.ts';
import { CRYPTOGRAM_FIELDS } from '../support/cashfree-answers.ts';
import { idCandidates } from '../support/id-candidates.ts';
import {
  at,
  dereferenced,
  documentedCodes,
  documentedErrors,
  errorBranches,
  type JsonObject,
  operation,
} from './document.ts';

const document = dereferenced();
const { paths, path, item } = operation(document);
const get = at(item, HTTP_METHOD.toLowerCase()) as JsonObject;
const responses = at(get, 'responses') as JsonObject;
const parameters = at(get, 'parameters') as JsonObject[];
const parameter = (name: string) => parameters.find((p) => p.name === name) as JsonObject;
const REQUEST_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,128}$';

// The contract's five (Cashfree's schema marks all seven optional; the service refuses a 200 without these).
const REQUIRED_FIELDS = ['instrument_id', 'card_number', 'card_expiry_mm', 'card_expiry_yy', 'cryptogram'] as const;
// A field added to the function's `Cryptogram` type fails `npm run typecheck` until CRYPTOGRAM_FIELDS (and so
// the document) names it too.
type Unlisted = Exclude<keyof Cryptogram, (typeof CRYPTOGRAM_FIELDS)[number]>;
type RequiredKeys = { [K in keyof Cryptogram]-?: undefined extends Cryptogram[K] ? never : K }[keyof Cryptogram];
const allListed: [Unlisted] extends [never] ? true : false = true;
// The function's type requires exactly the fields the document requires, no more and no fewer.
type Required = (typeof REQUIRED_FIELDS)[number];
const requiredListed: [Exclude<RequiredKeys, Required> | Exclude<Required, RequiredKeys>] extends [never]
  ? true
  : false = true;

const functionStatuses = new Set(FUNCTION_ERRORS.map(({ status }) => String(status)));
const gatewayStatuses = new Set(
  Object.entries(responses)
    .filter(([, response]) => documentedErrors(response).some(({ by }) => by === 'gateway'))
    .map(([status]) => status),
);

describe('the OpenAPI document', () => {
  it('describes exactly the stack resource, method and path parameters', () => {
    expect(Object.keys(paths)).toEqual([RESOURCE_PATH]);
    expect(path).toBe(RESOURCE_PATH);
    expect(Object.keys(item)).toEqual([HTTP_METHOD.toLowerCase()]);
    const inPath = parameters.filter((p) => p.in === 'path');
    expect(inPath.map((p) => p.name)).toEqual([...PATH_PARAMETERS]);
    for (const p of inPath) expect(p.required).toBe(true);
  });

  it('names the deployed stage in its server URL', () => {
    const servers = at(document, 'servers') as JsonObject[];
    expect(servers.map((s) => s.url)).toEqual([`https://{api-id}.execute-api.{region}.amazonaws.com/${STAGE_NAME}`]);
  });

  it('requires the SigV4 scheme API Gateway checks', () => {
    expect(at(document, 'security')).toEqual([{ sigv4: [] }]);
    expect(at(document, 'components', 'securitySchemes', 'sigv4')).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    });
  });

  it('documents every status and code the function can answer', () => {
    expect(FUNCTION_ERRORS.length).toBeGreaterThan(0);
    for (const { status, code } of FUNCTION_ERRORS) {
      expect(documentedErrors(responses[String(status)] ?? null), `${status} ${code}`).toContainEqual({
        code,
        by: 'function',
      });
    }
  });

  it('documents every refusal of API Gateway with its status', () => {
    for (const refusal of Object.values(GATEWAY_REFUSALS)) {
      expect(documentedErrors(responses[String(refusal.status)] ?? null), refusal.type).toContainEqual({
        code: refusal.code,
        by: 'gateway',
      });
    }
    // The two defaults keep API Gateway's own status when deployed: any 4xx or 5xx.
    expect(documentedCodes(responses['4XX'] ?? null)).toEqual([GATEWAY_REFUSALS.default4xx.code]);
    expect(documentedCodes(responses['5XX'] ?? null)).toEqual([GATEWAY_REFUSALS.default5xx.code]);
  });

  it('documents no code that nothing can answer, and each as answered by who answers it', () => {
    const answered = new Set(FUNCTION_ERRORS.map(({ status, code }) => `${status} ${code}`));
    const refused = new Set<string>(Object.values(GATEWAY_REFUSALS).map(({ code }) => code));
    for (const [status, response] of Object.entries(responses)) {
      for (const { code, by } of documentedErrors(response)) {
        const known = by === 'function' ? answered.has(`${status} ${code}`) : refused.has(code);
        expect(known, `${status} ${code} by ${by}`).toBe(true);
      }
    }
  });

  it('explains every documented code in its response description', () => {
    for (const [status, response] of Object.entries(responses)) {
      const description = String(at(response, 'description'));
      for (const code of documentedCodes(response)) expect(description, status).toContain(`\`${code}\``);
    }
  });

  it('requires Retry-After on 429 and 503, the statuses worth retrying', () => {
    for (const status of ['429', '503']) {
      expect(at(responses[status] ?? null, 'headers', 'retry-after', 'required')).toBe(true);
    }
    const withRetryAfter = Object.entries(responses).filter(([, r]) => at(r, 'headers', 'retry-after') !== null);
    expect(withRetryAfter.map(([status]) => status).sort()).toEqual(['429', '503']);
  });

  it('promises x-amzn-RequestId, API Gateway request id, on every answer', () => {
    for (const [status, response] of Object.entries(responses)) {
      expect(at(response, 'headers', 'x-amzn-RequestId', 'required'), status).toBe(true);
      expect(at(response, 'headers', 'x-amzn-RequestId', 'schema', 'pattern'), status).toBe(REQUEST_ID_PATTERN);
    }
  });

  it('promises x-request-id on the function answers only', () => {
    for (const [status, response] of Object.entries(responses)) {
      const header = at(response, 'headers', 'x-request-id');
      const byFunction = status === '200' || functionStatuses.has(status);
      if (!byFunction) expect(header, status).toBeNull();
      else expect(at(header, 'required'), status).toBe(!gatewayStatuses.has(status));
      if (byFunction) expect(at(header, 'schema', 'pattern'), status).toBe(REQUEST_ID_PATTERN);
    }
  });

  it('gives API Gateway refusals a requestId in the body, and the function errors none', () => {
    const { 200: _cryptogram, ...errors } = responses;
    for (const [status, response] of Object.entries(errors)) {
      for (const { by, base } of errorBranches(response)) {
        expect(at(base, 'additionalProperties'), status).toBe(false);
        expect(at(base, 'required'), `${status} ${by}`).toEqual(
          by === 'gateway' ? ['message', 'code', 'requestId'] : ['message', 'code'],
        );
        if (by === 'gateway') expect(at(base, 'properties', 'requestId', 'pattern'), status).toBe(REQUEST_ID_PATTERN);
      }
    }
  });

  it('requires cache-control: no-store on every answer', () => {
    for (const [status, response] of Object.entries(responses)) {
      expect(at(response, 'headers', 'cache-control', 'required'), status).toBe(true);
      expect(at(response, 'headers', 'cache-control', 'schema', 'const'), status).toBe('no-store');
    }
  });

  it('describes the 200 body as exactly the function seven fields', () => {
    expect(allListed && requiredListed).toBe(true);
    const schema = at(responses['200'] ?? null, 'content', 'application/json', 'schema');
    expect(Object.keys(at(schema, 'properties') as JsonObject).sort()).toEqual([...CRYPTOGRAM_FIELDS].sort());
    expect([...(at(schema, 'required') as string[])].sort()).toEqual([...REQUIRED_FIELDS].sort());
    expect(at(schema, 'additionalProperties')).toBe(false);
  });

  it('lets card_display carry the last four digits, masked or not, and never more digits', () => {
    const pattern = new RegExp(
      at(
        responses['200'] ?? null,
        'content',
        'application/json',
        'schema',
        'properties',
        'card_display',
        'pattern',
      ) as string,
    );
    for (const shown of ['1234', 'XXXX XXXX XXXX 1234', 'xxxx-1234', '**** 1234', '...1234', 'XXXXXXXXXXXXXXX1234']) {
      expect(pattern.test(shown), shown).toBe(true);
    }
    for (const leak of [
      '4491365621601472',
      '4491 3656 2160 1472',
      '12345',
      'XXXX12341234',
      '123',
      'XXXXXXXXXXXXXXXX1234',
      'card 1234',
    ]) {
      expect(pattern.test(leak), leak).toBe(false);
    }
  });
});

describe('the id pattern of the document', () => {
  const schema = at(parameter('customer_id'), 'schema');
  const pattern = new RegExp(at(schema, 'pattern') as string);
  const documentAccepts = (id: string) =>
    pattern.test(id) &&
    id.length >= (at(schema, 'minLength') as number) &&
    id.length <= (at(schema, 'maxLength') as number);
  const functionAccepts = (id: string) => {
    try {
      parseInstrumentIds({ customer_id: encodeURIComponent(id), instrument_id: 'x' });
      return true;
    } catch {
      return false;
    }
  };

  it('is the same for both ids', () => {
    expect(at(parameter('instrument_id'), 'schema')).toEqual(schema);
  });

  it('accepts a string exactly when the function accepts it as an id', () => {
    fc.assert(
      fc.property(idCandidates, (value) => {
        expect(documentAccepts(value)).toBe(functionAccepts(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('decides the edge cases as the function does', () => {
    const cases = ['.', '..', 'a..b', '.a', 'a.', '...', 'a%2Fb', 'é', 'K', '', 'x'.repeat(64), 'x'.repeat(65)];
    for (const value of cases) expect(documentAccepts(value), JSON.stringify(value)).toBe(functionAccepts(value));
    expect(functionAccepts('a.b') && documentAccepts('a.b')).toBe(true);
  });
});
