/** Where the on-call engineer reads what an alarm means and what to do. */
export const RUNBOOK = 'docs/runbook.md';

/** An alarm description that names its section in the runbook (headings there are the alarm ids). */
export function runbookDescription(alarmId: string, meaning: string): string {
  return `${meaning}. What to do: ${RUNBOOK}#${alarmId.toLowerCase()}`;
}
