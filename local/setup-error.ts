/**
 * The exit status of a setup mistake (a bad setting, a busy port, an old Node): no saved file can fix it, so
 * `npm run dev` stops on it instead of waiting for the next save. `local/node-check.cjs` uses the same number.
 */
export const SETUP_ERROR_EXIT_CODE = 2;

/** One line saying what to do, no stack trace: a setup mistake is not a bug. */
export function exitWithSetupError(message: string): never {
  process.stderr.write(`cryptogram-service: ${message.replace(/\s+/g, ' ').trim()}\n`);
  process.exit(SETUP_ERROR_EXIT_CODE);
}
