import { readFileSync, writeFileSync } from 'node:fs';
import type { Verdict } from '../../infra/functions/pre-traffic-check.ts';
import type { RunResult } from './release-policy.simulation.ts';

/** What the runs of one scenario at one rate came to. */
export interface Cell {
  runs: number;
  stopped: number;
  rolledBack: number;
  completed: number;
  /** The minutes the rolled-back runs were rolled back at, sorted. */
  rollbackMinutes: number[];
  /** Every alarm that was in ALARM at a rollback. */
  alarms: string[];
  /** The minute of the final shift, where a completed run is at 100%. */
  finalShiftMinute: number;
  verdict: Verdict;
  /** Completed runs in which the new version had answered a crashing call in time for the alarms to see it. */
  completedAfterASeenCrash: number;
  /** The most calls the new version got in one minute the alarms saw, over all runs. */
  mostCallsSeen: number;
}

export function cellOf(results: readonly RunResult[], finalShiftMinute: number): Cell {
  const [first] = results;
  if (!first) throw new Error('no runs');
  const rolledBack = results.flatMap((run) => (run.outcome.kind === 'rolled back' ? [run.outcome] : []));
  return {
    runs: results.length,
    stopped: results.filter((run) => run.outcome.kind === 'stopped by the check').length,
    rolledBack: rolledBack.length,
    completed: results.filter((run) => run.outcome.kind === 'at 100%').length,
    rollbackMinutes: rolledBack.map((outcome) => outcome.minute).sort((a, b) => a - b),
    alarms: [...new Set(rolledBack.flatMap((outcome) => outcome.alarms))].sort(),
    finalShiftMinute,
    verdict: first.verdict,
    completedAfterASeenCrash: results.filter((run) => run.outcome.kind === 'at 100%' && run.crashesSeen > 0).length,
    mostCallsSeen: Math.max(...results.map((run) => run.mostCallsSeen)),
  };
}

function minutes(sorted: readonly number[]): string {
  const low = sorted[0];
  const high = sorted[sorted.length - 1];
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return low === high ? `minute ${low}` : `minute ${median} (${low} to ${high})`;
}

/** Why a broken version reaches 100%: said per scenario, since only the scenario knows what "unseen" means. */
export type Unseen = (cell: Cell) => string;

/** The table cell: the outcome and its minute, with the number of runs when the runs disagree. */
export function cellText(cell: Cell, unseen: Unseen | undefined): string {
  const { runs, stopped, rolledBack, completed } = cell;
  if (stopped === runs) {
    const answer = [cell.verdict.status, cell.verdict.code && `\`${cell.verdict.code}\``].filter(Boolean).join(' ');
    return `stopped at minute 0 by the pre-traffic check (${answer})`;
  }
  if (stopped > 0) throw new Error('a scenario both stopped and passed by the check');
  const atFull = `100% at minute ${cell.finalShiftMinute}${unseen ? `: ${unseen(cell)}` : ''}`;
  const rollback = `rolled back at ${minutes(cell.rollbackMinutes)} by ${cell.alarms.map((a) => `\`${a}\``).join(', ')}`;
  if (rolledBack === runs) return rollback;
  if (completed === runs) return atFull;
  return `${rollback} in ${rolledBack} of ${runs} runs; the other ${completed} reach ${atFull}`;
}

export interface Row {
  label: string;
  cells: string[];
}

/** A markdown table: one row per scenario, one column per rate. */
export function markdownTable(rates: readonly string[], rows: readonly Row[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(['scenario', ...rates]),
    line(['---', ...rates.map(() => '---')]),
    ...rows.map((row) => line([row.label, ...row.cells])),
  ].join('\n');
}

export const TABLE_START = '<!-- release-policy table: written by test/infra/release-policy.test.ts -->';
export const TABLE_END = '<!-- end of the release-policy table -->';

/**
 * The table as committed in `path` (between the markers) and as computed; with `update`, the file is rewritten
 * with the computed one first, so the comparison passes and the diff shows what changed.
 */
export function syncedSection(
  path: string,
  computed: string,
  update: boolean,
): { committed: string; computed: string } {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`${path} has no release-policy table markers`);
  const before = text.slice(0, start + TABLE_START.length);
  const after = text.slice(end);
  const body = `\n${computed}\n`;
  if (update) writeFileSync(path, `${before}${body}${after}`);
  return { committed: update ? body : text.slice(start + TABLE_START.length, end), computed: body };
}
