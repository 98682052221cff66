import { describe, expect, it } from 'vitest';
import { correctOcrWords, correctWord } from './ocr-correct';

describe('correctWord', () => {
  it('reads a word one look-alike letter away from a common receipt word as that word', () => {
    expect(correctWord('TAHAN')).toBe('TAMAN');
    expect(correctWord('SON')).toBe('SDN');
    expect(correctWord('FETALING')).toBe('PETALING');
  });

  it('keeps known words, short words, numbers and words with a different first or last letter', () => {
    expect(correctWord('JALAN')).toBeNull();
    expect(correctWord('AB')).toBeNull();
    expect(correctWord('41150')).toBeNull();
    expect(correctWord('SINAR')).toBeNull();
  });
});

describe('correctOcrWords', () => {
  it('corrects OCR words in their own letter case and keeps punctuation and boxes', () => {
    const box: [number, number, number, number] = [0.1, 0.1, 0.2, 0.02];
    const [word] = correctOcrWords([{ t: 'Fetaling,', c: 80, b: box }]);
    expect(word.t).toBe('Petaling,');
    expect(word.b).toBe(box);
  });

  it('leaves text layers alone', () => {
    expect(correctOcrWords([{ t: 'TAHAN', b: [0, 0, 0.1, 0.1] }])[0].t).toBe('TAHAN');
  });
});
