import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lambda/config.ts';
import { FAULTS, type Fault } from '../../local/cashfree-simulator.ts';
import { cryptogramAnswer } from '../support/cashfree-answers.ts';
import { demo, invoke, logLines, setUp } from '../support/handler-harness.ts';
import { writeThenReset } from '../support/hostile-behaviours.ts';
import { deadPort, startTestServer, type TestHandler, type TestServer } from '../support/test-server.ts';

// Every fault the tests play, through the real handler with the shipped defaults (a 5 s budget, 2 s attempts,
// 3 attempts, a 2 s Secrets Manager bound), one at a time so no fault's CPU delays another's timers. Each
// answer's time is the handler's own (`durationMs`, from its start to its answer), held to the budget; with
// ANSWER_TIMES_REPORT=<file> the table behind docs/performance.md is written to that file.
const ctx = await setUp({ slowDelayMs: 8000 });
const BUDGET_MS = DEFAULTS.requestBudgetMs;
const servers: TestServer[] = [];
const times: { fault: string; status: number; durationMs: number }[] = [];

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  const report = process.env.ANSWER_TIMES_REPORT;
  if (!report) return;
  const rows = [...times].sort((a, b) => b.durationMs - a.durationMs);
  const lines = rows.map(
    ({ fault, status, durationMs }) => `${String(durationMs).padStart(5)} ms  ${status}  ${fault}`,
  );
  writeFileSync(report, `answer times, budget ${BUDGET_MS} ms, worst first\n${lines.join('\n')}\n`);
});

type Handler = Awaited<ReturnType<typeof ctx.loadHandler>>;

async function answerTime(fault: string, handler: Handler, customerId = demo.customerId) {
  const before = logLines(ctx.output).length;
  const { response } = await invoke(handler, { customerId }, 10_000);
  const durationMs = Number(logLines(ctx.output).slice(before)[0]?.durationMs);
  times.push({ fault, status: response.statusCode, durationMs });
  return { status: response.statusCode, durationMs };
}

describe('the simulator’s faults', () => {
  let handler: Handler;

  it.each(Object.keys(FAULTS) as Fault[])('answers sim_%s within the request budget', async (fault) => {
    handler ??= await ctx.loadHandler();

    const { durationMs } = await answerTime(`sim_${fault}`, handler, `sim_${fault}`);

    expect(durationMs).toBeGreaterThanOrEqual(0);
    expect(durationMs).toBeLessThanOrEqual(BUDGET_MS);
  });
});

const HOSTILE: readonly [string, TestHandler][] = [
  ['no answer at all', () => undefined],
  ['a reset before any byte, on every connection', (req) => req.socket.resetAndDestroy()],
  ['a partial status line, then a reset', (req) => writeThenReset(req.socket, 'HTTP/1.1 200 OK\r\nConte')],
  ['a 103 Early Hints, then a reset', (req) => writeThenReset(req.socket, 'HTTP/1.1 103 Early Hints\r\n\r\n')],
  [
    'a 200 head and half its body, then a reset',
    (req) => writeThenReset(req.socket, 'HTTP/1.1 200 OK\r\ncontent-length: 300\r\n\r\n{"card_'),
  ],
  [
    'a 200 head, then a body that never ends',
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"card_number":"44');
    },
  ],
  [
    'an endless stream of 102 Processing',
    (req) => {
      const processing = Buffer.from('HTTP/1.1 102 Processing\r\n\r\n'.repeat(1000));
      const pump = () => {
        while (!req.socket.destroyed && req.socket.write(processing)) {}
        if (!req.socket.destroyed) req.socket.once('drain', pump);
      };
      req.socket.on('error', () => {});
      pump();
    },
  ],
  ['a redirect to itself', (_req, res, seen) => res.writeHead(302, { location: seen.path }).end()],
  [
    'a 200 declaring 200 MB',
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(200 * 1024 * 1024) });
      res.write('{"card_number":"');
    },
  ],
  [
    'a gzip bomb',
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(Buffer.alloc(64 * 1024 * 1024, '1')));
    },
  ],
  [
    'a 200 whose card_display is a full PAN',
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(cryptogramAnswer(demo.instrumentId, { card_display: '4491365621601472123' })));
    },
  ],
];

describe('hostile servers', () => {
  it.each(HOSTILE)('answers %s within the request budget', async (fault, listener) => {
    const server = await startTestServer(listener);
    servers.push(server);
    const handler = await ctx.loadHandler({ CASHFREE_BASE_URL: `${server.origin}/pg` });

    const { durationMs } = await answerTime(fault, handler);

    expect(durationMs).toBeLessThanOrEqual(BUDGET_MS);
  });

  it('answers a refused connection within the request budget', async () => {
    const handler = await ctx.loadHandler({ CASHFREE_BASE_URL: `http://127.0.0.1:${await deadPort()}/pg` });

    const { status, durationMs } = await answerTime('a refused connection', handler);

    expect(status).toBe(502);
    expect(durationMs).toBeLessThanOrEqual(BUDGET_MS);
  });
});

describe('Secrets Manager failing at request time', () => {
  it.each([
    ['never answering', 'hang'],
    ['throttling', 'throttled'],
    ['failing', 'internal_error'],
  ] as const)('answers with Secrets Manager %s within the request budget', async (description, mode) => {
    ctx.upstreams.secretsManager.setMode(mode);
    const handler = await ctx.loadHandler();

    const { status, durationMs } = await answerTime(`Secrets Manager ${description}`, handler);
    ctx.upstreams.secretsManager.setMode('ok');

    expect(status).toBe(503);
    expect(durationMs).toBeLessThanOrEqual(BUDGET_MS);
  });
});
