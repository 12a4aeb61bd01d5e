import { Agent } from 'node:http';
import type { OpenAPIBackend } from 'openapi-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS, type Fault } from '../../local/cashfree-faults.ts';
import { type CashfreeSimulator, DEMO_INSTRUMENTS, startCashfreeSimulator } from '../../local/cashfree-simulator.ts';
import { newCredentials } from '../../local/embedded.ts';
import { skipWhen } from '../setup/skips.ts';
import { createValidator, loadDocument, missingDocuments, readAnswer, undocumentedParts } from './cashfree-document.ts';

const skipReason = missingDocuments();
const demo = DEMO_INSTRUMENTS[0] ?? { customerId: '', instrumentId: '' };
const entries = Object.entries(FAULTS) as [Fault, (typeof FAULTS)[Fault]][];
const documented = entries.filter(([, info]) => info.documented).map(([fault]) => fault);
const undocumented = entries.filter(([, info]) => !info.documented).map(([fault]) => fault);
const SLOW_DELAY_MS = 2000;
const READ_TIMEOUT_MS = 600;

describe(
  "the Cashfree simulator's answers against Cashfree's 2022-09-01 OpenAPI document",
  skipWhen(skipReason),
  () => {
    const credentials = newCredentials();
    let api: OpenAPIBackend;
    let simulator: CashfreeSimulator;

    beforeAll(async () => {
      api = await createValidator(loadDocument('2022-09-01'));
      simulator = await startCashfreeSimulator({ credentials, slowDelayMs: SLOW_DELAY_MS, rateLimitPerMinute: 50 });
    });
    afterAll(() => simulator?.close());

    const url = (customerId = demo.customerId, instrumentId = demo.instrumentId) =>
      `${simulator.baseUrl}/customers/${customerId}/instruments/${instrumentId}/cryptogram`;
    const headers = (requestId: string, overrides: Record<string, string> = {}) => ({
      'x-client-id': credentials.clientId,
      'x-client-secret': credentials.clientSecret,
      'x-api-version': '2022-09-01',
      'x-request-id': requestId,
      ...overrides,
    });
    const ask = (
      requestId: string,
      options: { target?: string; headers?: Record<string, string>; agent?: Agent } = {},
    ) =>
      readAnswer(options.target ?? url(), {
        headers: headers(requestId, options.headers),
        agent: options.agent,
        timeoutMs: READ_TIMEOUT_MS,
      });

    it('answers a documented 200 CryptogramEntity with every documented header, echoing x-request-id', async () => {
      const answer = await ask('contract-success');

      expect(undocumentedParts(api, answer)).toEqual([]);
      expect(answer).toMatchObject({ status: 200, headers: { 'x-request-id': 'contract-success' } });
    });

    it.each(documented)('plays fault %s as an answer the document describes', async (fault) => {
      simulator.failNext(fault);

      const answer = await ask(`contract-${fault}`);

      expect(undocumentedParts(api, answer)).toEqual([]);
      expect(answer).toMatchObject({ headers: { 'x-request-id': `contract-${fault}` } });
    });

    it.each([
      ['an unknown instrument', 404, { target: 'unknown' }],
      ['a wrong key pair', 401, { headers: { 'x-client-secret': 'wrong' } }],
      ['a missing x-api-version', 400, { headers: { 'x-api-version': '' } }],
    ] as const)('answers %s with a documented %i', async (_, status, options) => {
      const target = 'target' in options ? url(demo.customerId, 'not-a-saved-instrument') : undefined;

      const answer = await ask(`contract-${status}`, { ...options, target });

      expect(undocumentedParts(api, answer)).toEqual([]);
      expect(answer).toMatchObject({ status });
    });

    it('answers a documented 429 once the minute’s allowance is spent, and a 200 again after resetRateLimit', async () => {
      simulator.resetRateLimit();
      for (let i = 0; i < 50; i++) await ask(`spend-${i}`);

      const limited = await ask('contract-limited');
      simulator.resetRateLimit();
      const again = await ask('contract-again');

      expect(undocumentedParts(api, limited)).toEqual([]);
      expect(limited).toMatchObject({ status: 429, headers: { 'x-ratelimit-remaining': '0' } });
      expect(Number(limited.kind === 'http' && limited.headers['x-ratelimit-retry'])).toBeGreaterThanOrEqual(1);
      expect(again).toMatchObject({ status: 200, headers: { 'x-ratelimit-remaining': '49' } });
    });

    it('asks for a 4 s wait with retry_4s', async () => {
      simulator.failNext('retry_4s');

      const answer = await ask('contract-retry');

      expect(answer).toMatchObject({ status: 429, headers: { 'x-ratelimit-retry': '4' } });
    });

    it.each(undocumented.filter((fault) => fault !== 'reset_on_reuse'))(
      'labels fault %s undocumented honestly: the document does not describe its answer',
      async (fault) => {
        simulator.failNext(fault);

        const answer = await ask(`contract-${fault}`);

        expect(undocumentedParts(api, answer)).not.toEqual([]);
      },
    );

    it('labels reset_on_reuse undocumented honestly: a documented 200, then no answer on the same connection', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      simulator.failNext('reset_on_reuse');

      const first = await ask('contract-reuse-1', { agent });
      const second = await ask('contract-reuse-2', { agent });
      agent.destroy();

      expect(undocumentedParts(api, first)).toEqual([]);
      expect(second).toMatchObject({ kind: 'none' });
      expect(undocumentedParts(api, second)).not.toEqual([]);
      const [a, b] = simulator.requests.slice(-2);
      expect(a?.connection).toBe(b?.connection);
    });

    it('redirects to another origin without calling that origin itself', async () => {
      simulator.failNext('redirect');

      const answer = await ask('contract-redirect');

      expect(answer).toMatchObject({ status: 302 });
      const location = answer.kind === 'http' ? String(answer.headers.location) : '';
      expect(new URL(location).origin).not.toBe(new URL(simulator.baseUrl).origin);
      expect(simulator.redirected).toHaveLength(0);
    });

    it('stops streaming a huge body soon after the client stops reading', async () => {
      simulator.failNext('huge_body');

      const answer = await ask('contract-huge');
      await new Promise((resolve) => setTimeout(resolve, 100));

      expect(answer).toMatchObject({ status: 200, complete: false });
      expect(simulator.requests.at(-1)?.bodyBytesSent).toBeLessThan(4 * 1024 * 1024);
    });
  },
);
