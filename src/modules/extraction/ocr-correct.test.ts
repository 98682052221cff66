import { describe, expect, it } from 'vitest';
import { correctOcrWords, correctWord, lettersForDigits } from './ocr-correct';

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

describe('lettersForDigits', () => {
  it('reads a look-alike digit inside a word as its letter', () => {
    expect(lettersForDigits('URBAN 1DEA SDN BHD')).toBe('URBAN IDEA SDN BHD');
    expect(lettersForDigits('1 UTAMA SHOPP1NG CENTRE')).toBe('1 UTAMA SHOPPING CENTRE');
    expect(lettersForDigits('0ld Town Kopitiam')).toBe('Old Town Kopitiam');
    expect(lettersForDigits('Sh0p')).toBe('Shop');
  });

  it('leaves numbers, codes and ordinals alone', () => {
    const kept = ['LOT 1ST FLOOR, 2nd', 'NO.1, JALAN SS6/5A', 'LG226, LGF', 'JALAN 7/118B', 'U13/BG', 'B-10', 'KL1', '1851-A', 'A1'];
    for (const text of kept) expect(lettersForDigits(text)).toBe(text);
  });
});
