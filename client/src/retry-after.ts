/**
 * The longest `Retry-After` the client reports or waits. Every wait the service asks for is shorter: API
 * Gateway's throttle and a Secrets Manager failure say 1 s, and Cashfree's rate-limit window is a minute.
 */
export const MAX_RETRY_AFTER_SECONDS = 60;

const DAY = '(Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// RFC 9110 §5.6.7: IMF-fixdate, and the two obsolete forms a recipient must still accept.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/**
 * `Retry-After` in whole seconds, at most `MAX_RETRY_AFTER_SECONDS`: delta-seconds (digits only) or an HTTP-date
 * still in the future. Anything else (a sign, a fraction, an exponent, a date that has passed or does not exist,
 * several values) is treated as absent: `undefined`.
 */
export function retryAfterSeconds(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value)) return Math.min(Number(value), MAX_RETRY_AFTER_SECONDS);
  const atMs = httpDateMs(value, nowMs);
  // A date that has passed says nothing about how long to wait (the two clocks may simply differ).
  if (atMs === undefined || atMs <= nowMs) return undefined;
  return Math.min(Math.ceil((atMs - nowMs) / 1000), MAX_RETRY_AFTER_SECONDS);
}

type DateParts = [year: string, month: string, day: string, hours: string, minutes: string, seconds: string];

function httpDateMs(value: string, nowMs: number): number | undefined {
  const imf = imfFixdate(value) ?? asctimeDate(value);
  if (imf) return dateMs(imf);
  const rfc850 = rfc850Date(value);
  if (!rfc850) return undefined;
  // RFC 9110: a two-digit year that appears more than 50 years ahead is the latest past year with those digits.
  const fiftyYearsAhead = new Date(nowMs);
  fiftyYearsAhead.setUTCFullYear(fiftyYearsAhead.getUTCFullYear() + 50);
  const [yy, ...rest] = rfc850;
  const century = Math.floor(new Date(nowMs).getUTCFullYear() / 100) * 100;
  for (const year of [century + 100, century, century - 100].map((c) => c + Number(yy))) {
    const ms = dateMs([String(year), ...rest]);
    if (ms === undefined || ms <= fiftyYearsAhead.getTime()) return ms;
  }
  return undefined;
}

function dateMs(parts: DateParts): number | undefined {
  const [year, month, day, hours, minutes, seconds] = [parts[0], MONTHS.indexOf(parts[1]), ...parts.slice(2)].map(
    Number,
  ) as [number, number, number, number, number, number];
  // Date.UTC rolls 31 Feb over into March: a day that does not exist is not a date.
  if (new Date(Date.UTC(year, month, day)).getUTCDate() !== day) return undefined;
  if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
  return Date.UTC(year, month, day, hours, minutes, seconds);
}

function imfFixdate(value: string): DateParts | undefined {
  const [, , day = '', month = '', year = '', hours = '', minutes = '', seconds = ''] = IMF_FIXDATE.exec(value) ?? [];
  return day ? [year, month, day, hours, minutes, seconds] : undefined;
}

/** The parts of an rfc850-date, its two-digit year as it is. */
function rfc850Date(value: string): DateParts | undefined {
  const [, , day = '', month = '', yy = '', hours = '', minutes = '', seconds = ''] = RFC850_DATE.exec(value) ?? [];
  return day ? [yy, month, day, hours, minutes, seconds] : undefined;
}

function asctimeDate(value: string): DateParts | undefined {
  const [, , month = '', day = '', hours = '', minutes = '', seconds = '', year = ''] = ASCTIME_DATE.exec(value) ?? [];
  return month ? [year, month, day.trim(), hours, minutes, seconds] : undefined;
}
