/**
 * Splits a document's pages into passages for search: a few hundred tokens each, cut at
 * paragraph or sentence ends where possible, overlapping a little so a sentence at a cut
 * is found from both sides, never crossing a page (every passage cites one page), and
 * each one keeping the heading it sits under.
 */

export interface ChunkInput {
  number: number;
  text: string;
}

export interface ChunkOutput {
  page: number;
  ord: number;
  heading: string | null;
  text: string;
  /** Estimated model tokens (words × 1.3, rounded up). */
  tokens: number;
}

export interface ChunkOptions {
  /** Words per passage aimed at. */
  targetWords: number;
  /** No passage is longer than this. */
  maxWords: number;
  /** Words repeated from the end of one passage at the start of the next. */
  overlapWords: number;
}

export const DEFAULT_CHUNKING: ChunkOptions = { targetWords: 160, maxWords: 220, overlapWords: 30 };

// A document is indexed up to this many passages (about 1.5 million words).
const MAX_CHUNKS = 10_000;

const HEADING_MAX_WORDS = 12;

/** Whether a line reads as a heading: short, no sentence end, numbered / upper / title case or marked. */
export function isHeading(line: string, next: string | undefined): boolean {
  const t = line.trim();
  if (!t || t.length > 100) return false;
  if (/^#{1,6}\s+\S/.test(t)) return true;
  const words = t.split(/\s+/);
  if (words.length > HEADING_MAX_WORDS) return false;
  if (/[.,;:!?]$/.test(t) && !/^\d+(\.\d+)*\.?\s/.test(t)) return false;
  if (!/\p{L}/u.test(t)) return false;
  // A heading introduces something longer than itself.
  if (!next || next.trim().split(/\s+/).length <= words.length) return false;
  const letters = t.replace(/[^\p{L}]/gu, '');
  if (letters.length >= 3 && letters === letters.toUpperCase()) return true;
  if (/^(\d+(\.\d+)*\.?|[IVX]+\.|[A-Z]\.)\s+\p{Lu}/u.test(t)) return true;
  const capitalized = words.filter((w) => /^\p{Lu}/u.test(w)).length;
  return words.length <= 8 && capitalized >= Math.ceil(words.length * 0.6);
}

function headingText(line: string): string {
  return line.trim().replace(/^#{1,6}\s+/, '').slice(0, 200);
}

/** Sentences of a paragraph: cut after . ! ? followed by space and a capital or digit. */
function sentences(paragraph: string): string[] {
  return paragraph.split(/(?<=[.!?])\s+(?=[\p{Lu}\d"'(])/u).filter((s) => s.trim());
}

const wordsOf = (s: string) => s.split(/\s+/).filter(Boolean);
const tokensOf = (words: number) => Math.ceil(words * 1.3);

/** Passages of every page, in reading order. */
export function chunkPages(pages: ChunkInput[], opts: ChunkOptions = DEFAULT_CHUNKING): ChunkOutput[] {
  const out: ChunkOutput[] = [];
  let heading: string | null = null;
  for (const page of pages) {
    // Units: sentences (long ones split into pieces of maxWords), each tagged with the heading in force.
    const units: { words: string[]; heading: string | null; breakBefore: boolean }[] = [];
    const lines = page.text.replace(/\r\n?/g, '\n').split('\n');
    let paragraph: string[] = [];
    const flush = () => {
      const text = paragraph.join(' ').replace(/\s+/g, ' ').trim();
      paragraph = [];
      if (!text) return;
      let first = true;
      for (const s of sentences(text)) {
        const w = wordsOf(s);
        for (let i = 0; i < w.length; i += opts.maxWords) {
          units.push({ words: w.slice(i, i + opts.maxWords), heading, breakBefore: first });
          first = false;
        }
      }
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (!line.trim()) {
        flush();
        continue;
      }
      const next = lines.slice(i + 1).find((l) => l.trim());
      if (isHeading(line, next)) {
        flush();
        heading = headingText(line);
        continue;
      }
      paragraph.push(line);
    }
    flush();

    let current: string[] = [];
    let currentHeading: string | null = units[0]?.heading ?? heading;
    let fresh = 0; // words in `current` not carried over from the previous passage
    const emit = () => {
      if (fresh > 0 && current.length) {
        out.push({ page: page.number, ord: out.length, heading: currentHeading, text: current.join(' '), tokens: tokensOf(current.length) });
      }
    };
    for (const u of units) {
      const headingChanged = u.heading !== currentHeading && fresh > 0;
      const full = current.length + u.words.length > opts.maxWords || (current.length >= opts.targetWords && u.breakBefore);
      if (headingChanged || (full && fresh > 0)) {
        emit();
        if (out.length >= MAX_CHUNKS) return out;
        current = headingChanged ? [] : current.slice(-opts.overlapWords);
        if (current.length + u.words.length > opts.maxWords) current = [];
        fresh = 0;
      }
      currentHeading = u.heading;
      current.push(...u.words);
      fresh += u.words.length;
    }
    emit();
    if (out.length >= MAX_CHUNKS) return out.slice(0, MAX_CHUNKS);
  }
  return out;
}

/** The text a model embeds for a passage: its heading, then the passage. */
export function embeddingText(chunk: { heading: string | null; text: string }): string {
  return chunk.heading ? `${chunk.heading}\n${chunk.text}` : chunk.text;
}
