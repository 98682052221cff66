import { describe, expect, it } from 'vitest';
import { chunkPages, DEFAULT_CHUNKING, embeddingText, isHeading } from './chunker';

const sentence = (i: number) => `Sentence number ${i} talks about boundary layers and heat transfer in supersonic flow.`;
const paragraph = (from: number, n: number) => Array.from({ length: n }, (_, i) => sentence(from + i)).join(' ');

describe('chunkPages', () => {
  it('cuts long text into overlapping passages of bounded size, at sentence ends', () => {
    const chunks = chunkPages([{ number: 1, text: paragraph(0, 120) }]);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      const words = c.text.split(' ').length;
      expect(words).toBeLessThanOrEqual(DEFAULT_CHUNKING.maxWords);
      expect(c.text).toMatch(/^Sentence number \d+|flow\.$/);
      expect(c.text.endsWith('flow.')).toBe(true);
    }
    // Consecutive passages share their edge, so a sentence at a cut is found from both sides.
    const lastOfFirst = chunks[0].text.split(' ').slice(-5).join(' ');
    expect(chunks[1].text).toContain(lastOfFirst);
    expect(chunks.map((c) => c.ord)).toEqual(chunks.map((_, i) => i));
  });

  it('never crosses a page and records the page of every passage', () => {
    const chunks = chunkPages([
      { number: 1, text: paragraph(0, 3) },
      { number: 2, text: '' },
      { number: 3, text: paragraph(100, 3) },
    ]);
    expect(chunks.map((c) => c.page)).toEqual([1, 3]);
    expect(chunks[1].text).toContain('Sentence number 100');
    expect(chunks[1].text).not.toContain('Sentence number 2 ');
  });

  it('keeps the heading a passage sits under, across pages, and starts a passage at a new heading', () => {
    const text = `1. Introduction\n${paragraph(0, 4)}\n\nEXPERIMENTAL SETUP\n${paragraph(10, 4)}`;
    const chunks = chunkPages([{ number: 1, text }, { number: 2, text: paragraph(20, 2) }]);
    expect(chunks.map((c) => c.heading)).toEqual(['1. Introduction', 'EXPERIMENTAL SETUP', 'EXPERIMENTAL SETUP']);
    expect(chunks[0].text).not.toContain('EXPERIMENTAL');
    expect(embeddingText(chunks[1])).toMatch(/^EXPERIMENTAL SETUP\nSentence number 10/);
  });

  it('splits a run-on text without sentence ends and bounds tokens', () => {
    const words = Array.from({ length: 1000 }, (_, i) => `w${i}`).join(' ');
    const chunks = chunkPages([{ number: 1, text: words }]);
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...chunks.map((c) => c.text.split(' ').length))).toBeLessThanOrEqual(DEFAULT_CHUNKING.maxWords);
    expect(chunks.every((c) => c.tokens === Math.ceil(c.text.split(' ').length * 1.3))).toBe(true);
    // Every word is in some passage.
    const seen = new Set(chunks.flatMap((c) => c.text.split(' ')));
    expect(seen.size).toBe(1000);
  });

  it('yields nothing for empty or blank pages', () => {
    expect(chunkPages([{ number: 1, text: '' }, { number: 2, text: '  \n\n ' }])).toEqual([]);
  });
});

describe('isHeading', () => {
  it.each([
    ['Introduction', 'This paper studies the flow of air over wings at high speed.', true],
    ['## Results', 'We measured the drag of the wing.', true],
    ['3.2 Boundary Conditions', 'The conditions at the wall are given by the no-slip rule here.', true],
    ['The drag was measured.', 'Then something else happened in the tunnel today.', false],
    ['Total: 14.50', 'Thank you for shopping with us today and come again.', false],
    ['Introduction', undefined, false],
  ])('%s → %s', (line, next, expected) => {
    expect(isHeading(line, next)).toBe(expected);
  });
});
