import { describe, expect, it } from 'vitest';
import { queryTerms } from './search.repository';

describe('queryTerms', () => {
  it('keeps words of letters and digits, lower-cased, once, without the commonest words', () => {
    expect(queryTerms('Heat transfer at HIGH speed, heat!')).toEqual(['heat', 'transfer', 'high', 'speed']);
    expect(queryTerms('Straße Mach-2.5 "quoted" OR NEAR(* --')).toEqual(['straße', 'mach', '2', '5', 'quoted', 'near']);
  });

  it('keeps common words when nothing else is asked', () => {
    expect(queryTerms('to be or not to be')).toEqual(['to', 'be', 'or', 'not']);
  });

  it('bounds the number of terms', () => {
    expect(queryTerms(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '))).toHaveLength(32);
    expect(queryTerms('')).toEqual([]);
  });
});
