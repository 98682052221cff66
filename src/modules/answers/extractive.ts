/**
 * The answer Folio gives without a language model: the best passages, each reduced to
 * its sentences that share the most words with the question, cited like a model's answer.
 */
import type { RetrievedPassage } from '../search/search.service';
import { stem } from '../search/snippet';
import { type Citation, sentencesOf } from './citations';

export function extractiveAnswer(question: string, terms: string[], passages: RetrievedPassage[], max = 3): { answer: string; citations: Citation[] } {
  const stems = [...new Set(terms.map(stem))];
  const hits = (s: string) => {
    const toks = s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    return stems.filter((st) => toks.some((t) => t.startsWith(st))).length;
  };
  const lines: string[] = [];
  const citations: Citation[] = [];
  passages.slice(0, max).forEach((p, i) => {
    const n = i + 1;
    const ranked = sentencesOf(p.text)
      .map((s, idx) => ({ s, idx, score: hits(s) }))
      .sort((a, b) => b.score - a.score || a.idx - b.idx);
    const chosen = ranked.slice(0, 2).sort((a, b) => a.idx - b.idx);
    const quote = chosen[0]?.s ?? p.text.slice(0, 300);
    lines.push(`${chosen.map((c) => c.s).join(' ') || quote} [${n}]`);
    citations.push({ n, documentId: p.documentId, name: p.name, page: p.page, quote: ranked[0]?.s.slice(0, 400) ?? quote });
  });
  if (!lines.length) return { answer: `No passage of the documents you can read matches "${question.slice(0, 200)}".`, citations: [] };
  return { answer: lines.join('\n\n'), citations };
}
