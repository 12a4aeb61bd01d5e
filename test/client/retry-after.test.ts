import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_SECONDS, retryAfterSeconds } from '../../client/src/retry-after.ts';

// RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds; §5.6.7: the three HTTP-date forms.
const NOW_MS = Date.UTC(2026, 10, 25, 8, 49, 30);

describe('retryAfterSeconds', () => {
  // Each date is read against its own moment, close enough to be counted in exact seconds below the cap.
  it.each([
    ['IMF-fixdate', 'Wed, 25 Nov 2026 08:49:37 GMT', NOW_MS, 7],
    ['IMF-fixdate, a fraction of a second away, rounded up', 'Wed, 25 Nov 2026 08:49:31 GMT', NOW_MS + 600, 1],
    ['rfc850-date', 'Wednesday, 25-Nov-26 08:49:40 GMT', NOW_MS, 10],
    ['asctime-date, two-digit day', 'Wed Nov 25 08:49:50 2026', NOW_MS, 20],
    ['asctime-date, space-padded single-digit day', 'Tue Dec  1 00:00:00 2026', Date.UTC(2026, 10, 30, 23, 59, 48), 12],
    ['a leap day', 'Tue, 29 Feb 2028 00:00:30 GMT', Date.UTC(2028, 1, 29, 0, 0, 0), 30],
  ])('reads an %s', (_form, value, nowMs, seconds) => {
    expect(retryAfterSeconds(value, nowMs)).toBe(seconds);
  });

  it.each([
    ['the present moment', 'Wed, 25 Nov 2026 08:49:30 GMT'],
    ['a past date', 'Wed, 25 Nov 2026 08:49:29 GMT'],
    ['a rfc850 year read as 50 years ahead at most, so 76 is 1976', 'Wednesday, 25-Nov-76 08:49:40 GMT'],
    ['29 February of a common year', 'Sun, 29 Feb 2027 00:00:00 GMT'],
    ['hour 24', 'Wed, 25 Nov 2026 24:00:00 GMT'],
    ['minute 60', 'Wed, 25 Nov 2026 08:60:00 GMT'],
    ['another zone', 'Wed, 25 Nov 2026 08:49:37 UTC'],
    ['lower-case', 'wed, 25 nov 2026 08:49:37 gmt'],
    ['a one-digit IMF day', 'Wed, 5 Nov 2026 08:49:37 GMT'],
    ['ISO 8601', '2026-11-25T08:49:37Z'],
    ['an empty value', ''],
    ['spaces', '  '],
    ['a negative number', '-5'],
    ['a fraction', '1.5'],
  ])('treats %s as absent', (_case, value) => {
    expect(retryAfterSeconds(value, NOW_MS)).toBeUndefined();
  });

  it('clamps delta-seconds to the maximum and keeps 0', () => {
    expect(retryAfterSeconds('0', NOW_MS)).toBe(0);
    expect(retryAfterSeconds(String(MAX_RETRY_AFTER_SECONDS + 1), NOW_MS)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(retryAfterSeconds('9'.repeat(400), NOW_MS)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(retryAfterSeconds(null, NOW_MS)).toBeUndefined();
  });
});
