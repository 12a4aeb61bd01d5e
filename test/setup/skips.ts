import type { TestOptions } from 'vitest';

/** Why tests do not run on this machine, and the command that makes them run. */
export interface SkipReason {
  reason: string;
  enable: string;
}

declare module 'vitest' {
  interface TaskMeta {
    skipReason?: SkipReason;
  }
}

/**
 * Options for `describe(name, skipWhen(...), factory)`: skipped, with the reason and the enabling command
 * attached for the summary at the end of the run (test/setup/skip-summary.ts), when `skip` is given; a normal
 * suite when it is undefined.
 */
export function skipWhen(skip: SkipReason | undefined): TestOptions {
  return skip ? { skip: true, meta: { skipReason: skip } } : {};
}
