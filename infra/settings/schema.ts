import * as v from 'valibot';
import { didYouMean } from '../../lambda/suggest.ts';

// Each message reads on from the setting's name (`prod.throttle` + ` must be …`): the reader puts the name in front.
export type Json = Record<string, unknown>;
export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An object of exactly these keys. Each unknown key is reported with the one most likely meant; a missing key is
 * `required`, or else reads as the value's own rule (`throttle.burstLimit must be a whole number from 1 to 5000`).
 */
export function strict<E extends v.ObjectEntries>(entries: E, shape: string, required?: string) {
  const keys = Object.keys(entries);
  return v.strictObject(entries, (issue) => {
    const [item] = issue.path ?? [];
    if (item === undefined) return ` must be ${shape}`;
    if (issue.expected !== 'never')
      return required ?? v.safeParse(entries[String(item.key)] ?? v.never(), undefined).issues?.[0].message ?? '';
    // valibot stops at the first unknown key; the rest are listed with it, one line each.
    const unknown = Object.keys(item.input as Json).filter((key) => !keys.includes(key));
    return unknown.map((key) => `${key} is not a setting${didYouMean(key, keys)}`).join('\n');
  });
}

export const notOneOf =
  (options: readonly string[]) =>
  ({ input }: { input: unknown }): string =>
    ` must be one of ${options.join(', ')}${typeof input === 'string' ? didYouMean(input, options) : ''}`;
export const oneOf = <const T extends string>(options: readonly T[]) => v.picklist(options, notOneOf(options));

export const wholeNumber = (min: number, max: number) => {
  const message = ` must be a whole number from ${min} to ${max}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
};

/** Checks each entry of a list, reporting every refused one on the list itself. */
export const eachEntry = (problem: (entry: unknown, index: number) => string | undefined) =>
  v.rawCheck<string[]>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    dataset.value.forEach((entry, index) => {
      const message = problem(entry, index);
      if (message) addIssue({ message });
    });
  });

/** A non-empty list of AWS resource ids of one kind (`subnet-0123…`). */
export const idList = (prefix: string, what: string, listed = what) => {
  const pattern = new RegExp(`^${prefix}-[0-9a-f]{8,17}$`);
  return v.pipe(
    v.custom<string[]>((list) => Array.isArray(list) && list.length > 0, ` must list at least one ${listed}`),
    eachEntry((id) => (typeof id === 'string' && pattern.test(id) ? undefined : `: ${String(id)} is not a ${what}`)),
  );
};

/** An object setting, or one of a few words (`kmsKey: 'create'` or `kmsKey: { arn }`). */
export const objectOr = <O extends v.GenericSchema, W extends v.GenericSchema>(object: O, words: W) =>
  v.lazy((input) => (isObject(input) ? object : words));

export const matching = (pattern: RegExp, message: string) => v.pipe(v.string(message), v.regex(pattern, message));
