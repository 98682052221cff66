import { describe, expect, it } from 'vitest';
import { wordGroups, type ReadChar } from './text-reader';

/** Characters at steps 0, 3, 6, …; `gaps[i]` is the blank gap (px of the 48 px region) after character i, `hints[i]` the space probability there. */
function read(text: string, gaps: Record<number, number> = {}, hints: Record<number, number> = {}) {
  const chars: ReadChar[] = [...text].map((ch, i) => ({ ch, step: i * 3, p: 0.99 }));
  const at = (from: number) => from / 3;
  const words = wordGroups(chars, (from) => gaps[at(from)] ?? 4, (from) => hints[at(from)] ?? 0);
  return words.map((w) => w.map((c) => c.ch).join(''));
}

describe('words of a read region', () => {
  it('breaks at spaces the recognizer read', () => {
    expect(read('THANK YOU')).toEqual(['THANK', 'YOU']);
  });

  it('breaks at a wide blank gap, and at a narrower one where a space was hinted', () => {
    // "TAMANDAYA": gap of 20 px after N (0.4 of 48 is 19.2).
    expect(read('TAMANDAYA', { 4: 20 })).toEqual(['TAMAN', 'DAYA']);
    // 16 px is not enough alone (0.3 of 48 is 14.4 with a hint of at least 0.1) …
    expect(read('JOHORBAHRU', { 4: 16 })).toEqual(['JOHORBAHRU']);
    expect(read('JOHORBAHRU', { 4: 16 }, { 4: 0.37 })).toEqual(['JOHOR', 'BAHRU']);
    // … nor a hint over a narrow gap.
    expect(read('JOHORBAHRU', { 4: 10 }, { 4: 0.9 })).toEqual(['JOHORBAHRU']);
  });

  it('breaks letter-spaced print only at its word gaps', () => {
    // Every gap wide (20 px), the word gap wider still: one break, not five.
    expect(read('SDNBHD', { 0: 20, 1: 20, 2: 44, 3: 20, 4: 20 })).toEqual(['SDN', 'BHD']);
    expect(read('STATION', { 0: 20, 1: 20, 2: 22, 3: 20, 4: 20, 5: 20 })).toEqual(['STATION']);
  });

  it('keeps an amount printed wide together', () => {
    expect(read('RM96.20', { 4: 25 })).toEqual(['RM96.20']);
    expect(read('RM 41 .90')).toEqual(['RM', '41.90']);
    expect(read('1,250.00', { 1: 30 })).toEqual(['1,250.00']);
    // A full stop ending a sentence before a number still breaks.
    expect(read('TOTAL. 20')).toEqual(['TOTAL.', '20']);
  });
});
