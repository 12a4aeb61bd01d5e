import type { OpenAPIV3 } from 'openapi-types';
import { describe, expect, it } from 'vitest';
import { skipWhen } from '../setup/skips.ts';
import {
  API_VERSIONS,
  cryptogramOperation,
  loadDocument,
  missingDocuments,
  OPERATION_ID,
  resolve,
} from './cashfree-document.ts';

const skipReason = missingDocuments();

/** What the service relies on in one document: the call, its parameters, statuses, headers and 200 fields. */
function essentials(document: OpenAPIV3.Document) {
  const operation = cryptogramOperation(document);
  const parameters = (operation.parameters ?? [])
    .map((p) => resolve<OpenAPIV3.ParameterObject>(document, p))
    .map((p) => `${p.in} ${p.name}${p.required ? ' required' : ''}`)
    .sort();
  const responses = Object.fromEntries(
    Object.entries(operation.responses).map(([status, r]) => {
      const response = resolve<OpenAPIV3.ResponseObject>(document, r);
      const schema = resolve<OpenAPIV3.SchemaObject>(document, response.content?.['application/json']?.schema ?? {});
      const errorType = resolve<OpenAPIV3.SchemaObject>(document, schema.properties?.type ?? {});
      return [status, { headers: Object.keys(response.headers ?? {}).sort(), errorType: errorType.enum }];
    }),
  );
  const entity = resolve<OpenAPIV3.SchemaObject>(document, { $ref: '#/components/schemas/CryptogramEntity' });
  const fields = Object.fromEntries(
    Object.entries(entity.properties ?? {}).map(([name, s]) => [
      name,
      resolve<OpenAPIV3.SchemaObject>(document, s).type,
    ]),
  );
  return {
    operationId: operation.operationId,
    parameters,
    security: operation.security,
    responses,
    fields,
    requiredFields: entity.required ?? [],
  };
}

describe("Cashfree's later API versions", skipWhen(skipReason), () => {
  it('describe the same cryptogram call, statuses, headers and CryptogramEntity fields as 2022-09-01', () => {
    const [baseline, ...later] = API_VERSIONS.map((version) => essentials(loadDocument(version)));

    expect(baseline?.operationId).toBe(OPERATION_ID);
    expect(Object.keys(baseline?.responses ?? {}).sort()).toEqual(
      ['200', '400', '401', '404', '409', '422', '429', '500', '502'].sort(),
    );
    expect(Object.keys(baseline?.fields ?? {})).toHaveLength(7);
    for (const document of later) expect(document).toEqual(baseline);
  });
});
