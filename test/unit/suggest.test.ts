import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../../lambda/suggest.ts';

describe('editDistance', () => {
  it.each([
    ['production', 'production', 0],
    ['prodution', 'production', 1],
    ['prodcution', 'production', 2],
    ['', 'true', 4],
    ['sandbox', 'production', 8],
  ])('counts %s -> %s as %i edits', (a, b, expected) => {
    // Act
    const distance = editDistance(a, b);

    // Assess
    expect(distance).toBe(expected);
  });
});

describe('didYouMean', () => {
  it('suggests the closest known word for a dropped letter, ignoring case', () => {
    // Act
    const suggestion = didYouMean('PRODUTION', ['sandbox', 'production']);

    // Assess
    expect(suggestion).toBe(' (did you mean production?)');
  });

  it('suggests nothing for a word that is not a plausible typo of any known one', () => {
    // Act
    const suggestion = didYouMean('live', ['sandbox', 'production']);

    // Assess
    expect(suggestion).toBe('');
  });
});
