// What the bench and its child processes tell each other. Children get their settings in the environment
// (BENCH_TARGET, BENCH_PROFILE) and answer with one JSON line on stderr (one-shot children) or over IPC
// (sessions).

/** The Cashfree call every subject makes: a handler through an API Gateway event, the baseline with a fetch. */
export interface Target {
  url: string;
  headers: Record<string, string>;
  customerId: string;
  instrumentId: string;
}

/** A one-shot child's own account of its life, measured from its process start. */
export interface ColdReport {
  /** Until the child's first line of code ran: Node's own start-up. */
  startMs: number;
  /** Importing the subject, its init included (a handler's secret read and pre-connect). */
  importMs: number;
  /** The one invocation (or the bare fetch). */
  invokeMs: number;
  status: number;
  /** Peak resident memory when the import and init were done, and at the end. */
  initRssBytes: number;
  peakRssBytes: number;
}

/** Which of a session's two ways of calling Cashfree: through the handler, or with a bare fetch. */
export type Side = 'handler' | 'fetch';

/** A long-lived child (an execution environment): a handler bundle, or only a bare fetch when absent. */
export interface SessionConfig extends Target {
  bundle?: string;
}

/** `count` calls per side, in blocks of `blockSize` that take turns, the order flipping every block. */
export type SessionCommand = { type: 'calls'; sides: Side[]; count: number; blockSize: number } | { type: 'exit' };

export type SessionReply = { type: 'ready' } | { type: 'calls'; ms: Record<Side, number[]>; failures: number };
