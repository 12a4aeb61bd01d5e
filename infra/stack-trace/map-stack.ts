import { SourceMap, type SourceMapPayload } from 'node:module';

/** A location in the function's bundle as a stack frame prints it, `file:///var/task/index.mjs:1:2345`. */
const BUNDLE_LOCATION = /(?:file:\/\/)?[^\s()]*\bindex\.mjs:(\d+):(\d+)/g;

/**
 * The function logs an unexpected error as `Class caused by Cause | at fn (file:///var/task/index.mjs:1:2345) | ...`
 * (lambda/telemetry.ts). Takes that text, or the whole JSON log line holding it as `error`, and returns it one
 * part a line, every bundle location replaced by the source location it was built from (`lambda/x.ts:12:5`).
 */
export function mapStack(logged: string, payload: SourceMapPayload): string[] {
  const map = new SourceMap(payload);
  return errorText(logged)
    .split(/ \| |\n/)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part, i) => {
      const mapped = part.replace(BUNDLE_LOCATION, (location, line: string, column: string) => {
        const origin = map.findOrigin(Number(line), Number(column));
        if (!('fileName' in origin)) return `${location} (not in this map: is it the deployed build's?)`;
        return `${origin.fileName}:${origin.lineNumber}:${origin.columnNumber}`;
      });
      return i === 0 ? mapped : `    ${mapped}`;
    });
}

function errorText(logged: string): string {
  const json = logged.slice(Math.max(0, logged.indexOf('{')));
  try {
    const { error } = JSON.parse(json) as { error?: unknown };
    if (typeof error === 'string') return error;
  } catch {
    // Not a JSON log line: the error text itself, as pasted.
  }
  return logged;
}
