import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalApi } from '../../local/api-server.ts';
import type { RunningServer } from '../../local/http.ts';
import { installLocalLog, type LocalLog, localLogFormat, prettyLine } from '../../local/log-format.ts';
import { demo, setUp } from '../support/handler-harness.ts';

// Captures this file's stdout, which the pretty log writes to, and checks it for card data at the end.
const ctx = await setUp();

describe('choosing the local log format', () => {
  it('writes short lines on a terminal and the JSON line otherwise', () => {
    expect(localLogFormat(undefined, true)).toBe('pretty');
    expect(localLogFormat(undefined, false)).toBe('json');
  });

  it('follows LOCAL_LOG over the terminal check and refuses anything else', () => {
    expect(localLogFormat('json', true)).toBe('json');
    expect(localLogFormat('pretty', false)).toBe('pretty');
    expect(() => localLogFormat('verbose', true)).toThrow(/LOCAL_LOG must be json or pretty/);
  });
});

describe('a pretty line', () => {
  it('names method, status, code, both ids, attempts, latency and request id on one line', () => {
    const line = prettyLine(
      {
        method: 'GET',
        path: '/customers/c1/instruments/i1/cryptogram',
        customerId: 'c1',
        instrumentId: 'i1',
        status: 502,
        requestId: 'req-1',
        latencyMs: 812,
      },
      { attempts: 3, errorCode: 'upstream_unavailable' },
      Date.UTC(2026, 0, 1, 12, 30, 5),
    );

    expect(line).toBe('12:30:05 GET 502 upstream_unavailable c1 i1 attempts=3 812ms id=req-1\n');
  });

  it('shows the path of an unknown route with control characters neutralised', () => {
    const line = prettyLine({ method: 'GET', path: '/a\u001b[2Jb', status: 403, code: 'x', latencyMs: 0 });

    expect(line).toContain('/a?[2Jb');
    expect(line).not.toContain('\u001b');
  });
});

describe('pretty logs of the real handler behind the local gateway', () => {
  let api: RunningServer;
  let log: LocalLog;

  beforeAll(async () => {
    log = installLocalLog('pretty', process.stdout);
    api = await startLocalApi({ handler: await ctx.loadHandler(), onAnswer: log.onAnswer });
  });

  afterAll(async () => {
    await api.close();
    log.restore();
  });

  it('writes one short line per request, matched to its own invocation when requests overlap', async () => {
    const before = ctx.output.text().length;
    const paths = {
      ok: `/customers/${demo.customerId}/instruments/${demo.instrumentId}/cryptogram`,
      notFound: `/customers/sim_404/instruments/${demo.instrumentId}/cryptogram`,
      unavailable: `/customers/sim_500/instruments/${demo.instrumentId}/cryptogram`,
    };
    const responses = await Promise.all(
      Object.entries(paths).map(async ([name, path]) => {
        const response = await fetch(`${api.url}${path}`, { headers: { 'x-request-id': `req-${name}` } });
        await response.arrayBuffer();
        return response;
      }),
    );
    const lines = ctx.output.text().slice(before).trim().split('\n');
    const lineFor = (id: string) => lines.filter((line) => line.endsWith(` id=${id}`));

    expect(responses.map((response) => response.status)).toEqual([200, 404, 502]);
    expect(lines).toHaveLength(3);
    expect(lines.some((line) => line.startsWith('{'))).toBe(false);
    expect(lineFor('req-ok')).toEqual([expect.stringMatching(/ GET 200 cust_demo_1 \S+ attempts=1 \d+ms /)]);
    expect(lineFor('req-notFound')).toEqual([
      expect.stringMatching(/ GET 404 instrument_not_found sim_404 .* attempts=1 /),
    ]);
    expect(lineFor('req-unavailable')).toEqual([
      expect.stringMatching(/ GET 502 upstream_unavailable sim_500 .* attempts=3 /),
    ]);
  });

  it('writes a line for a request the gateway refused by itself', async () => {
    const before = ctx.output.text().length;
    await (await fetch(`${api.url}/nowhere`)).arrayBuffer();

    expect(ctx.output.text().slice(before)).toMatch(/ GET 403 missing_authentication_token \/nowhere \d+ms id=/);
  });
});
