import { describe, expect, it } from 'vitest';
import { layoutPage, type PageWord } from './layout';

/** Words of one row at the given x positions (page-normalized), each 0.02 wide per character. */
const row = (words: Array<[string, number]>, y = 0.1): PageWord[] => words.map(([t, x]) => ({ t, c: 90, b: [x, y, t.length * 0.02, 0.02] }));

describe('layoutPage', () => {
  it('keeps words one space apart in one segment and splits at a column gap', () => {
    const lay = layoutPage({ words: [...row([['KAWASAN', 0.1], ['PERINDUSTRIAN', 0.265], ['BALAKONG,', 0.555]]), ...row([['TOTAL', 0.1], ['28.50', 0.8]], 0.2)] }, 1);
    expect(lay.segments.map((s) => s.text)).toEqual(['KAWASAN PERINDUSTRIAN BALAKONG,', 'TOTAL', '28.50']);
  });

  it('keeps a row printed in a spaced-out font whole', () => {
    const lay = layoutPage({ words: [...row([['MR.', 0.1], ['D.I.Y.', 0.22], ['(M)', 0.4], ['SDN', 0.52], ['BHD', 0.64]]), ...row([['X', 0.1]], 0.3)] }, 1);
    expect(lay.segments[0].text).toBe('MR. D.I.Y. (M) SDN BHD');
  });
});
