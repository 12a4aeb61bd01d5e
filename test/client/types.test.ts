import { describe, expectTypeOf, it } from 'vitest';
import type { GATEWAY_REFUSALS } from '../../api/gateway-responses.ts';
import type {
  CLIENT_ERROR_CODES,
  ClientErrorCode,
  Cryptogram,
  CryptogramErrorCode,
  CryptogramErrorStatus,
  CryptogramServiceError,
  ServiceErrorCode,
} from '../../client/src/index.ts';
import type { CRYPTOGRAM_FIELDS } from '../../client/src/types.ts';

// Type tests: `npm run typecheck` (tsc) checks them. An `expectTypeOf` that does not hold, or a
// `@ts-expect-error` line that compiles, fails the type check; at run time these tests do nothing.
// test/client/package.test.ts checks the same through the packed package, as ESM, CommonJS and node10.

describe('the error types', () => {
  it('make code the union of every documented code', () => {
    expectTypeOf<CryptogramErrorCode>().toEqualTypeOf<
      | 'invalid_request'
      | 'upstream_bad_request'
      | 'instrument_not_found'
      | 'upstream_conflict'
      | 'upstream_unprocessable'
      | 'rate_limited'
      | 'credentials_invalid'
      | 'internal_error'
      | 'upstream_auth_failed'
      | 'upstream_unavailable'
      | 'upstream_invalid_response'
      | 'credentials_unavailable'
      | 'upstream_timeout'
      | 'missing_authentication_token'
      | 'invalid_signature'
      | 'expired_token'
      | 'access_denied'
      | 'waf_filtered'
      | 'throttled'
      | 'service_unavailable'
      | 'gateway_timeout'
      | 'request_refused'
      | 'gateway_error'
      | 'client_timeout'
      | 'aborted'
      | 'network_error'
      | 'aws_credentials_unavailable'
      | 'invalid_response'
    >();
    expectTypeOf<CryptogramServiceError['code']>().toEqualTypeOf<CryptogramErrorCode>();
    expectTypeOf<ClientErrorCode>().toEqualTypeOf<(typeof CLIENT_ERROR_CODES)[keyof typeof CLIENT_ERROR_CODES]>();
    expectTypeOf<(typeof GATEWAY_REFUSALS)[keyof typeof GATEWAY_REFUSALS]['code']>().toExtend<ServiceErrorCode>();
  });

  it('make status the union of the documented statuses', () => {
    expectTypeOf<CryptogramServiceError['status']>().toEqualTypeOf<CryptogramErrorStatus | undefined>();
    expectTypeOf<200 | 400 | 403 | 404 | 409 | 422 | 429 | 500 | 502 | 503 | 504>().toExtend<CryptogramErrorStatus>();
    // API Gateway keeps its own status for request_refused and gateway_error: any 4xx or 5xx.
    expectTypeOf<401 | 413 | 499 | 501 | 599>().toExtend<CryptogramErrorStatus>();
    expectTypeOf<100>().not.toExtend<CryptogramErrorStatus>();
    expectTypeOf<201>().not.toExtend<CryptogramErrorStatus>();
    expectTypeOf<302>().not.toExtend<CryptogramErrorStatus>();
    expectTypeOf<600>().not.toExtend<CryptogramErrorStatus>();
    expectTypeOf<number>().not.toExtend<CryptogramErrorStatus>();
  });

  it('refuse to compile a misspelt code or a status the service never answers', () => {
    const misuse = (error: CryptogramServiceError) => {
      // @ts-expect-error a misspelt code matches no code
      if (error.code === 'rate_limted') return 1;
      // @ts-expect-error a status the service never answers
      if (error.status === 302) return 2;
      // @ts-expect-error statuses are numbers
      if (error.status === '429') return 3;
      if (error.code === 'rate_limited' && error.status === 429) return 4;
      return 0;
    };
    expectTypeOf(misuse).returns.toEqualTypeOf<0 | 1 | 2 | 3 | 4>();
  });
});

describe('the cryptogram type', () => {
  it('requires the five fields the service guarantees and leaves the other two optional', () => {
    type Required = { [K in keyof Cryptogram]-?: undefined extends Cryptogram[K] ? never : K }[keyof Cryptogram];
    expectTypeOf<Required>().toEqualTypeOf<
      'instrument_id' | 'card_number' | 'card_expiry_mm' | 'card_expiry_yy' | 'cryptogram'
    >();
    type Listed = {
      [K in keyof typeof CRYPTOGRAM_FIELDS]: (typeof CRYPTOGRAM_FIELDS)[K] extends 'required' ? K : never;
    };
    expectTypeOf<Listed[keyof Listed]>().toEqualTypeOf<Required>();
    expectTypeOf<Cryptogram['token_requestor_id']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Cryptogram['card_display']>().toEqualTypeOf<string | undefined>();
  });

  it('makes a caller handle an absent optional field', () => {
    const shown = (answer: Cryptogram): string => {
      // @ts-expect-error card_display is absent when Cashfree sent none
      const display: string = answer.card_display;
      const { card_expiry_mm, card_expiry_yy }: { card_expiry_mm: string; card_expiry_yy: string } = answer;
      return `${display} ${card_expiry_mm}/${card_expiry_yy}`;
    };
    expectTypeOf(shown).parameter(0).toEqualTypeOf<Cryptogram>();
  });
});
