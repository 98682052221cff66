/**
 * Checks a model's answer against the passages it was given: `[n]` markers must name a
 * passage that exists (others are removed); each citation carries a quote, the sentence
 * of that passage closest to the sentence that cites it, so every quote is real text of
 * the cited page. An answer without a single valid citation (and not the "not found"
 * reply) is treated as unusable.
 */
import type { RetrievedPassage } from '../search/search.service';
import { NOT_FOUND } from './prompt';

export interface Citation {
  /** The marker number in the answer. */
  n: number;
  documentId: string;
  name: string;
  page: number;
  /** A sentence of the passage, verbatim. */
  quote: string;
}

const words = (s: string) => new Set((s.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []));

export function sentencesOf(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=[\p{Lu}\d"'(\[])/u)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The sentence of `text` sharing the most words with `claim`. */
export function bestSentence(text: string, claim: string): string {
  const want = words(claim);
  let best = '';
  let bestScore = -1;
  for (const s of sentencesOf(text)) {
    const have = words(s);
    let score = 0;
    for (const w of want) if (have.has(w)) score++;
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  return best.slice(0, 400);
}

export interface CheckedAnswer {
  answer: string;
  citations: Citation[];
  /** Why the answer cannot be used as it is, if so. */
  problem?: string;
  notFound: boolean;
}

export function checkAnswer(raw: string, passages: RetrievedPassage[]): CheckedAnswer {
  const text = raw.replace(/\r/g, '').trim();
  if (!text) return { answer: '', citations: [], problem: 'the model returned an empty answer', notFound: false };
  if (text.length > 20_000) return { answer: '', citations: [], problem: 'the model returned an overlong answer', notFound: false };
  const notFound = text.toLowerCase().includes(NOT_FOUND.toLowerCase().slice(0, 30));
  // Drop markers naming passages that do not exist; keep [1], [2][3], [1, 2].
  const cleaned = text.replace(/\[(\d+(?:\s*,\s*\d+)*)\]/g, (_, list: string) => {
    const ok = list.split(',').map((x) => Number(x.trim())).filter((n) => n >= 1 && n <= passages.length);
    return ok.length ? ok.map((n) => `[${n}]`).join('') : '';
  });
  const citations: Citation[] = [];
  const seen = new Set<number>();
  for (const sentence of sentencesOf(cleaned)) {
    for (const m of sentence.matchAll(/\[(\d+)\]/g)) {
      const n = Number(m[1]);
      if (seen.has(n)) continue;
      seen.add(n);
      const p = passages[n - 1];
      citations.push({ n, documentId: p.documentId, name: p.name, page: p.page, quote: bestSentence(p.text, sentence.replace(/\[\d+\]/g, '')) });
    }
  }
  citations.sort((a, b) => a.n - b.n);
  if (!citations.length && !notFound) return { answer: cleaned, citations, problem: 'the answer cites none of the passages', notFound };
  return { answer: cleaned.replace(/[ \t]+\n/g, '\n').trim(), citations, notFound };
}
