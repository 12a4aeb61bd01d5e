import type { Summary } from './stats.ts';

// What the bench and its child processes tell each other. Children get their settings in the environment
// (BENCH_WARM, BENCH_FETCH_HEADERS) and answer over IPC (warm) or one JSON line on stderr (cold).

/** The Cashfree call both sides make: the handler through an event, the baseline with a bare fetch. */
export interface Target {
  url: string;
  headers: Record<string, string>;
  customerId: string;
  instrumentId: string;
}

export interface WarmConfig extends Target {
  bundle: string;
  warmupCalls: number;
  calls: number;
  blockSize: number;
  /**
   * When set, the measured calls run one side alone under the CPU profiler, which writes its profile to
   * `file`: the profile then shows neither the import, nor the warm-up, nor the other side.
   */
  profile?: { file: string; side: Side };
}

export type Side = 'handler' | 'fetch';

export type WarmMessage =
  | { type: 'warm' }
  | { type: 'result'; handlerUs: Summary | undefined; fetchUs: Summary | undefined; failures: number };

/** A cold child's own account of its time, measured from its process start. */
export interface ColdPhases {
  /** Until the child's first line of code ran: Node's own start-up. */
  startMs: number;
  importMs: number;
  invokeMs: number;
  status: number;
}

/** A realistic-mode session child: a handler bundle, or a bare fetch of `url` when `bundle` is absent. */
export interface SessionConfig extends Target {
  bundle?: string;
}

export type SessionCommand = { type: 'calls'; count: number } | { type: 'exit' };

export type SessionReply = { type: 'ready' } | { type: 'calls'; ms: number[]; failures: number };

/** What the memory child says about its one invocation against a huge body. */
export interface MemoryReport {
  status: number;
  ms: number;
  peakRssBytes: number;
}
