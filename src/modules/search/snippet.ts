/**
 * Snippets: the part of a passage where the query's words are densest, HTML-escaped, with
 * those words marked. Matching is by word stem, so "turbulent" marks "turbulence".
 */

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const ENDINGS = ['ations', 'ation', 'ingly', 'ments', 'ities', 'ings', 'ment', 'ness', 'ence', 'ance', 'ing', 'ity', 'ers', 'ent', 'ant', 'ive', 'ous', 'er', 'ed', 'es', 'ly', 'al', 'ic', 's', 'e', 'y'];

/** A crude stem: the word without its longest common English ending, at least 4 letters kept. */
export function stem(word: string): string {
  const w = word.toLowerCase();
  for (const e of ENDINGS) if (w.endsWith(e) && w.length - e.length >= 4) return w.slice(0, -e.length);
  return w;
}

/** Whether `token` (a word of the text) matches one of the query's stems. */
function matches(token: string, stems: string[]): boolean {
  const t = token.toLowerCase();
  return stems.some((s) => (s.length <= 2 ? t === s : t.startsWith(s)));
}

export interface Snippet {
  /** Safe HTML: escaped text with `<mark>` around matched words. */
  html: string;
  /** The same words as plain text (for highlighting on the document page). */
  text: string;
  /** The matched words as they appear, lower-cased, unique. */
  matched: string[];
}

/** A window of about `words` words around the densest run of query words. */
export function makeSnippet(text: string, terms: string[], words = 36): Snippet {
  const tokens = text.split(/(\s+)/).filter((t) => t.length);
  const wordIdx: number[] = [];
  tokens.forEach((t, i) => {
    if (!/^\s+$/.test(t)) wordIdx.push(i);
  });
  const stems = [...new Set(terms.map(stem))].filter(Boolean);
  const RUN = /[\p{L}\p{N}]+/gu;
  const isHit = wordIdx.map((i) => stems.length > 0 && (tokens[i].match(RUN) ?? []).some((r) => matches(r, stems)));
  let best = 0;
  let bestScore = -1;
  let score = 0;
  for (let i = 0; i < wordIdx.length; i++) {
    score += isHit[i] ? 1 : 0;
    if (i >= words) score -= isHit[i - words] ? 1 : 0;
    if (i >= Math.min(words, wordIdx.length) - 1 && score > bestScore) {
      bestScore = score;
      best = Math.max(0, i - words + 1);
    }
  }
  // Start a little before the first hit of the window, for context.
  const firstHit = isHit.indexOf(true, best);
  if (firstHit > best + 8) best = Math.min(firstHit - 4, Math.max(0, wordIdx.length - words));
  const from = best;
  const to = Math.min(wordIdx.length, from + words);
  const html: string[] = [];
  const plain: string[] = [];
  const matched = new Set<string>();
  for (let w = from; w < to; w++) {
    const tok = tokens[wordIdx[w]];
    plain.push(tok);
    if (isHit[w]) {
      // Mark the matching runs of letters inside the word, escape everything else.
      let out = '';
      let last = 0;
      for (const m of tok.matchAll(RUN)) {
        out += escapeHtml(tok.slice(last, m.index));
        if (matches(m[0], stems)) {
          matched.add(m[0].toLowerCase());
          out += `<mark>${escapeHtml(m[0])}</mark>`;
        } else out += escapeHtml(m[0]);
        last = m.index + m[0].length;
      }
      html.push(out + escapeHtml(tok.slice(last)));
    } else html.push(escapeHtml(tok));
  }
  const pre = from > 0 ? '… ' : '';
  const post = to < wordIdx.length ? ' …' : '';
  return { html: pre + html.join(' ') + post, text: plain.join(' '), matched: [...matched] };
}
