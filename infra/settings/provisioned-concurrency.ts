import * as v from 'valibot';
import { strict, wholeNumber } from './schema.ts';

const fraction = ' must be a fraction from 0.1 to 0.9';

/** Warm instances between min and max, never more than the function's reservation (`reserved`, when it has one). */
export const provisionedConcurrencySetting = (reserved: number | undefined) =>
  v.pipe(
    strict(
      {
        min: wholeNumber(1, 1_000),
        max: wholeNumber(1, 1_000),
        utilizationTarget: v.pipe(v.number(fraction), v.minValue(0.1, fraction), v.maxValue(0.9, fraction)),
      },
      '{ min, max, utilizationTarget } or left out',
    ),
    v.forward(
      v.partialCheck([['min'], ['max']], ({ min, max }) => max >= min, ' must not be below min'),
      ['max'],
    ),
    v.forward(
      v.partialCheck(
        [['max']],
        ({ max }) => reserved === undefined || max <= reserved,
        ` must not exceed reservedConcurrency (${reserved})`,
      ),
      ['max'],
    ),
  );
