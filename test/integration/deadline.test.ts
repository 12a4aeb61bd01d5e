import { describe, expect, it } from 'vitest';
import { invoke, setUp } from '../support/handler-harness.ts';

const ctx = await setUp({ slowDelayMs: 5000 });
const { upstreams } = ctx;

describe('the Lambda deadline', () => {
  it('answers 504 before the function times out when Cashfree is slower than the deadline', async () => {
    const handler = await ctx.loadHandler();
    await invoke(handler);
    upstreams.cashfree.failNext('slow', 3);

    const { response, body, elapsedMs } = await invoke(handler, {}, 1500);

    expect(response.statusCode).toBe(504);
    expect(body).toEqual({ message: 'Cashfree did not answer in time', code: 'upstream_timeout' });
    expect(elapsedMs).toBeLessThan(1500);
  });

  it('retries an attempt that outlives its own timeout and returns the next attempt’s cryptogram', async () => {
    const handler = await ctx.loadHandler({ CASHFREE_ATTEMPT_TIMEOUT_MS: '300' });
    await invoke(handler);
    upstreams.cashfree.failNext('slow');

    const { response, elapsedMs } = await invoke(handler, {}, 3000);

    expect(response.statusCode).toBe(200);
    expect(elapsedMs).toBeGreaterThanOrEqual(300);
  });

  it('answers 502 when Cashfree refuses connections, well within the deadline', async () => {
    const handler = await ctx.loadHandler({ CASHFREE_BASE_URL: 'http://127.0.0.1:9/pg' });

    const { response, body, elapsedMs } = await invoke(handler, {}, 5000);

    expect(response.statusCode).toBe(502);
    expect(body.code).toBe('upstream_unavailable');
    expect(elapsedMs).toBeLessThan(5000);
  });
});
