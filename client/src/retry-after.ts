/** `Retry-After` in whole seconds (delta-seconds or an HTTP date), or `undefined` when absent or unreadable. */
export function retryAfterSeconds(value: string | null, nowMs: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const dateMs = Date.parse(text);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, Math.ceil((dateMs - nowMs) / 1000));
}
