import { describe, expect, it } from 'vitest';
import { CLIENT_ERROR_CODES } from '../../client/src/errors.ts';
import { CRYPTOGRAM_FIELDS } from '../../client/src/types.ts';
import { at, documentedCodes, operation } from '../api/document.ts';

const responses = at(operation().item, 'get', 'responses');
const documented = Object.values(responses as Record<string, never>).flatMap((response) => documentedCodes(response));

describe('the client and the OpenAPI document', () => {
  it('return the same seven fields the document describes', () => {
    const properties = at(responses, '200', 'content', 'application/json', 'schema', 'properties');
    expect([...CRYPTOGRAM_FIELDS].sort()).toEqual(Object.keys(properties as object).sort());
  });

  it('keep the client own codes apart from the service codes, but for invalid_request which means the same', () => {
    for (const code of Object.values(CLIENT_ERROR_CODES)) {
      expect(documented.includes(code), code).toBe(code === CLIENT_ERROR_CODES.invalidRequest);
    }
  });
});
