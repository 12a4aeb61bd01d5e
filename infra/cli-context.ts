import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** One process above the app: its parent's id and its arguments. */
export interface ProcessEntry {
  ppid: number;
  argv: string[];
}

export type ReadProcess = (pid: number) => ProcessEntry | undefined;

// The CLI runs the app through a shell; npx and npm may sit above it. A few levels are all there can be.
const MAX_ANCESTORS = 5;

/**
 * The `-c` / `--context` arguments without `=` (`-c env:prod`) that the CDK CLI which started this app was given.
 * The CLI drops each with a warning and runs the app without it, so the app would synthesize its default
 * environment: the only place the typo is still visible is the CLI's own command line, read from the process
 * tree. Empty when no CDK CLI is above the app (tests, `node infra/app.ts`) or the tree cannot be read.
 */
export function droppedContextArguments(read: ReadProcess = readProcess, pid = process.ppid): string[] {
  for (let depth = 0, current = pid; depth < MAX_ANCESTORS && current > 1; depth++) {
    const entry = read(current);
    if (!entry) return [];
    const cli = entry.argv.findIndex((arg) => basename(arg) === 'cdk');
    if (cli >= 0) return notAssignments(entry.argv.slice(cli + 1));
    current = entry.ppid;
  }
  return [];
}

function notAssignments(args: string[]): string[] {
  const values: string[] = [];
  args.forEach((arg, index) => {
    const value =
      arg === '-c' || arg === '--context'
        ? args[index + 1]
        : arg.startsWith('--context=')
          ? arg.slice('--context='.length)
          : undefined;
    if (value !== undefined && !value.includes('=')) values.push(value);
  });
  return values;
}

/** Linux's `/proc` when it is there (exact arguments), else `ps` (macOS; arguments split at spaces). */
function readProcess(pid: number): ProcessEntry | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // The command name in /proc/<pid>/stat is in parentheses and may hold spaces: the fields after it are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), argv };
  } catch {
    try {
      const [ppid = '', ...argv] = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)], { encoding: 'utf8' })
        .trim()
        .split(/\s+/);
      return { ppid: Number(ppid), argv };
    } catch {
      return undefined;
    }
  }
}
