import type { AnsweredRequest } from './api-server.ts';

export type LocalLogFormat = 'json' | 'pretty';

/** `LOCAL_LOG` when set, else one short line per request on a terminal and the production JSON line otherwise. */
export function localLogFormat(setting: string | undefined, isTty: boolean): LocalLogFormat {
  if (setting === 'json' || setting === 'pretty') return setting;
  if (setting) throw new Error(`LOCAL_LOG must be json or pretty, not ${JSON.stringify(setting)}`);
  return isTty ? 'pretty' : 'json';
}

/** The parts of the function's invocation line a person wants to see next to the request. */
export interface InvocationFacts {
  attempts?: number;
  errorCode?: string;
}

/** Reads one line the function wrote; anything that is not its invocation line is `undefined`. */
function invocationFacts(line: string): (InvocationFacts & { awsRequestId: string }) | undefined {
  if (!line.startsWith('{') || !line.includes('"awsRequestId"')) return undefined;
  try {
    const parsed = JSON.parse(line) as {
      awsRequestId?: unknown;
      errorCode?: unknown;
      upstream?: { attempts?: unknown };
    };
    if (typeof parsed.awsRequestId !== 'string') return undefined;
    return {
      awsRequestId: parsed.awsRequestId,
      ...(typeof parsed.upstream?.attempts === 'number' && { attempts: parsed.upstream.attempts }),
      ...(typeof parsed.errorCode === 'string' && { errorCode: parsed.errorCode }),
    };
  } catch {
    return undefined;
  }
}

// Whatever came in a URL is shown, never interpreted by the terminal.
const printable = (text: string, max = 72) => {
  const safe = text.replace(/[^\x21-\x7e]/g, '?');
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
};

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/**
 * One short line per request: time, method, status, error code, the two ids (or the path when the route is
 * unknown), Cashfree attempts, latency and the request id. Built only from the path, the status, codes and
 * counters: a body is never read, so no card data can appear.
 */
export function prettyLine(answer: AnsweredRequest, facts: InvocationFacts = {}, nowMs = Date.now()): string {
  const code = answer.code ?? facts.errorCode;
  const target =
    answer.customerId !== undefined && answer.instrumentId !== undefined
      ? `${printable(answer.customerId, 40)} ${printable(answer.instrumentId, 40)}`
      : printable(answer.path);
  const parts = [clock(nowMs), printable(answer.method, 8), String(answer.status)];
  if (code) parts.push(code);
  parts.push(target);
  if (facts.attempts !== undefined) parts.push(`attempts=${facts.attempts}`);
  parts.push(`${answer.latencyMs}ms`);
  if (answer.requestId) parts.push(`id=${printable(answer.requestId, 128)}`);
  return `${parts.join(' ')}\n`;
}

/** The line for a request the gateway refused by itself, in the JSON format (the function never ran). */
function gatewayJsonLine(answer: AnsweredRequest, nowMs = Date.now()): string {
  return `${JSON.stringify({
    timestamp: new Date(nowMs).toISOString(),
    level: 'INFO',
    message: 'local gateway refusal',
    requestId: answer.requestId,
    method: answer.method,
    path: answer.path,
    status: answer.status,
    code: answer.code,
  })}\n`;
}

const MAX_PENDING = 1000;

export interface LocalLog {
  /** Give this to `startLocalApi`. */
  onAnswer(answer: AnsweredRequest): void;
  /** Puts stdout back as it was. */
  restore(): void;
}

/**
 * Routes what the in-process function writes to stdout. In `pretty`, its JSON line is held back and merged
 * into the request's one short line, matched by the Lambda request id this gateway gave the invocation, so
 * concurrent requests never mix. In `json`, the function's line passes through untouched, as in production.
 */
export function installLocalLog(format: LocalLogFormat, stdout: NodeJS.WriteStream = process.stdout): LocalLog {
  const write = stdout.write.bind(stdout) as (chunk: string) => boolean;
  if (format === 'json') {
    return {
      onAnswer(answer) {
        if (answer.awsRequestId === undefined) write(gatewayJsonLine(answer));
      },
      restore() {},
    };
  }

  const pending = new Map<string, InvocationFacts>();
  const original = stdout.write;
  stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    const kept = text
      .split(/(?<=\n)/)
      .filter((line) => {
        const facts = invocationFacts(line);
        if (!facts) return true;
        pending.set(facts.awsRequestId, facts);
        if (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value ?? '');
        return false;
      })
      .join('');
    if (kept) return (original as (...args: unknown[]) => boolean).call(stdout, kept, ...rest);
    (rest.find((arg) => typeof arg === 'function') as (() => void) | undefined)?.();
    return true;
  }) as typeof stdout.write;

  return {
    onAnswer(answer) {
      const facts = answer.awsRequestId === undefined ? undefined : pending.get(answer.awsRequestId);
      if (answer.awsRequestId !== undefined) pending.delete(answer.awsRequestId);
      write(prettyLine(answer, facts));
    },
    restore() {
      stdout.write = original;
    },
  };
}
