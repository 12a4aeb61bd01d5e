import fc from 'fast-check';
import { MAX_ID_LENGTH } from '../../lambda/request.ts';

/** Characters near the id rule's edges: allowed marks, URL structure, whitespace, look-alike and astral letters. */
export const NEAR_ID_CHARACTERS = 'aZ09_.:@+=-%/?# \u00e9\u0130\u212a\u{1f600}\n';

/**
 * Strings that probe the id rule where it is easiest to get wrong: edge characters, dot runs, arbitrary
 * graphemes and lengths around the limit. Every copy of the rule (document, client) is checked against the
 * function's own validator with these.
 */
export const idCandidates = fc.oneof(
  fc.string({ unit: fc.constantFrom(...NEAR_ID_CHARACTERS), maxLength: MAX_ID_LENGTH + 2 }),
  fc.string({ unit: fc.constantFrom('a', '.'), maxLength: 5 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: fc.constantFrom('a', '-'), minLength: MAX_ID_LENGTH - 1, maxLength: MAX_ID_LENGTH + 1 }),
);
