import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, expect, vi } from 'vitest';
import { DEMO_INSTRUMENTS } from '../../local/cashfree-simulator.ts';
import { type EmbeddedUpstreams, startEmbeddedUpstreams } from '../../local/embedded.ts';
import { apiGatewayEvent, type EventInput, lambdaContext } from '../../local/lambda-event.ts';
import { SAMPLE_CRYPTOGRAM } from './cashfree-answers.ts';

export const demo =
  DEMO_INSTRUMENTS[0] ??
  (() => {
    throw new Error('no demo instrument');
  })();

type Handler = (event: ReturnType<typeof apiGatewayEvent>, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Captures everything the handler writes to stdout and stderr in this file, so a leak check can scan it; the
 * writes are kept from the terminal to keep test output readable.
 */
function captureOutput(): { text(): string } {
  const chunks: string[] = [];
  const keep = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return { text: () => chunks.join('') };
}

/**
 * Starts the simulators and imports a fresh copy of the real handler module configured against them, as a new
 * Lambda execution environment would load it. Every output line of the file is checked for leaks at the end.
 */
export async function setUp(options: { slowDelayMs?: number; rateLimitPerMinute?: number } = {}) {
  const upstreams: EmbeddedUpstreams = await startEmbeddedUpstreams({ slowDelayMs: 3000, ...options });
  const output = captureOutput();
  const originalEnv = { ...process.env };
  const secretsSeen = new Set<string>([upstreams.credentials.clientSecret]);

  const loadHandler = async (env: Record<string, string> = {}): Promise<Handler> => {
    vi.resetModules();
    process.env = { ...originalEnv, ...upstreams.env, ...env };
    const module = await import('../../lambda/handler.ts');
    return module.handler;
  };

  afterAll(async () => {
    await upstreams.close();
    vi.restoreAllMocks();
    process.env = originalEnv;
    secretsSeen.add(upstreams.credentials.clientSecret);
    // The simulator's issued cards, and the sample that hand-made Cashfree answers carry (cashfree-answers.ts).
    const cards = [...upstreams.cashfree.issued, SAMPLE_CRYPTOGRAM.card_number, SAMPLE_CRYPTOGRAM.cryptogram];
    assertNoLeaks(output.text(), [...secretsSeen, ...cards]);
  });

  return {
    upstreams,
    output,
    loadHandler,
    rotate() {
      const next = upstreams.rotate();
      secretsSeen.add(next.clientSecret);
      return next;
    },
  };
}

export function assertNoLeaks(output: string, sensitive: readonly string[]): void {
  expect(output.length).toBeGreaterThan(0);
  for (const value of sensitive) expect(output.includes(value), 'log output leaks sensitive data').toBe(false);
}

export async function invoke(handler: Handler, input: EventInput = {}, timeoutMs = 10_000) {
  const event = apiGatewayEvent({ customerId: demo.customerId, instrumentId: demo.instrumentId, ...input });
  const startedAtMs = Date.now();
  const response = await handler(event, lambdaContext(timeoutMs));
  return {
    event,
    response,
    elapsedMs: Date.now() - startedAtMs,
    body: JSON.parse(response.body) as Record<string, unknown>,
  };
}

/** The invocation log lines written so far, parsed. */
export function logLines(output: { text(): string }): Record<string, unknown>[] {
  return output
    .text()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
