/**
 * Tokenizer of the Universal Sentence Encoder lite: a SentencePiece unigram model whose
 * vocabulary (`vocab.json`, pairs of piece and log-probability) ships with the model. It
 * reproduces the ids of the tokenizer that runs the original TF.js model:
 *
 * - the text is NFKC-normalized; a non-empty text gets a leading `▁` and every ASCII space
 *   becomes `▁` (other whitespace stays as it is);
 * - the text, read as code points, is segmented by Viterbi over the lattice of all pieces
 *   that match at each position; the first six ids (`�`, `<s>`, `</s>`, three spares) are
 *   never matched; a code point that starts no piece becomes the unknown id 0 (score 0);
 * - a later candidate wins a tie, and a position whose running score is exactly 0 counts as
 *   not yet reached (the reference's convention, kept so the ids agree);
 * - runs of unknown ids collapse into one.
 *
 * An empty text has no ids. The model reads at most 128 tokens per text; `encode` cuts long
 * texts before the segmentation so hostile input stays cheap.
 */
import fs from 'node:fs';

/**
 * `vocab.json`: `[piece, score]` in id order. A few symbol pieces (`:`, `://`, `▁:)`, …) carry
 * `null`, which scores as 0, as in the reference.
 */
export type UseVocabulary = Array<[string, number | null]>;

/** A tokenizer built from a vocabulary. Pure and reusable. */
export interface UseTokenizer {
  /** Number of pieces (the model's embedding table has a few more rows). */
  readonly size: number;
  /** Ids of a text, at most `maxTokens` of them when given. */
  encode(text: string, maxTokens?: number): number[];
  /** The piece of an id, for inspection. */
  piece(id: number): string;
}

/** Word separator SentencePiece writes in place of a space. */
export const USE_SEPARATOR = '\u2581';
/** Id of an unknown character. */
export const USE_UNKNOWN_ID = 0;
/** Ids below this are control symbols, never produced from text. */
const RESERVED_IDS = 6;
/**
 * Code units kept per token of `maxTokens` before segmenting a long text. Pieces are at most
 * 16 characters, so the kept prefix covers the first tokens with room to spare, and the
 * segmentation of the beginning does not depend on text that far away.
 */
const CHARS_PER_TOKEN = 32;

interface TrieNode {
  next: Map<number, TrieNode>;
  /** Id of the piece that ends here, or -1. */
  id: number;
}

/** Reads `vocab.json`. */
export function loadUseTokenizer(file: string): UseTokenizer {
  let vocab: unknown;
  try {
    vocab = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read the vocabulary ${file}: ${(err as Error).message}`);
  }
  return createUseTokenizer(vocab);
}

/** Builds a tokenizer from the parsed `vocab.json`; throws when it is not a list of `[piece, score]`. */
export function createUseTokenizer(vocab: unknown): UseTokenizer {
  if (!Array.isArray(vocab) || vocab.length <= RESERVED_IDS) throw new Error('vocab.json: expected a list of [piece, score] pairs.');
  const pieces: string[] = [];
  const scores = new Float64Array(vocab.length);
  const lengths = new Int32Array(vocab.length);
  vocab.forEach((entry, id) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || (typeof entry[1] !== 'number' && entry[1] !== null)) {
      throw new Error(`vocab.json: entry ${id} is not a [piece, score] pair.`);
    }
    pieces.push(entry[0]);
    scores[id] = entry[1] ?? 0;
    lengths[id] = Array.from(entry[0]).length;
  });

  const root: TrieNode = { next: new Map(), id: -1 };
  for (let id = RESERVED_IDS; id < pieces.length; id++) {
    let at = root;
    for (const ch of pieces[id]) {
      const cp = ch.codePointAt(0)!;
      let child = at.next.get(cp);
      if (!child) {
        child = { next: new Map(), id: -1 };
        at.next.set(cp, child);
      }
      at = child;
    }
    // A piece listed twice keeps its last id, as in the reference.
    if (at !== root) at.id = id;
  }

  const segment = (codePoints: number[]): number[] => {
    const n = codePoints.length;
    const best = new Float64Array(n + 1);
    const chosen = new Int32Array(n + 1);
    const offer = (end: number, id: number, score: number): void => {
      if (best[end] === 0 || score >= best[end]) {
        best[end] = score;
        chosen[end] = id;
      }
    };
    // Every edge into a position starts before it, so scanning start positions in order
    // settles each position before edges leave it, and offers reach a position in the same
    // order (by start) as in the reference.
    for (let start = 0; start < n; start++) {
      let at: TrieNode | undefined = root;
      let matched = false;
      for (let end = start + 1; end <= n; end++) {
        at = at.next.get(codePoints[end - 1]);
        if (!at) break;
        if (at.id >= 0) {
          matched = true;
          offer(end, at.id, scores[at.id] + best[start]);
        }
      }
      if (!matched) offer(start + 1, USE_UNKNOWN_ID, 0 + best[start]);
    }
    const reversed: number[] = [];
    for (let pos = n; pos > 0; pos -= lengths[chosen[pos]]) {
      const id = chosen[pos];
      if (id === USE_UNKNOWN_ID && reversed.length > 0 && reversed[reversed.length - 1] === USE_UNKNOWN_ID) continue;
      reversed.push(id);
    }
    return reversed.reverse();
  };

  return {
    size: pieces.length,
    piece: (id) => pieces[id] ?? '',
    encode(text, maxTokens) {
      let input = text;
      if (maxTokens !== undefined && input.length > maxTokens * CHARS_PER_TOKEN) {
        let cut = maxTokens * CHARS_PER_TOKEN;
        const last = input.charCodeAt(cut - 1);
        if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
        input = input.slice(0, cut);
      }
      const normalized = input.normalize('NFKC');
      if (normalized.length === 0) return [];
      const marked = USE_SEPARATOR + normalized.replaceAll(' ', USE_SEPARATOR);
      const ids = segment(Array.from(marked, (ch) => ch.codePointAt(0)!));
      return maxTokens !== undefined && ids.length > maxTokens ? ids.slice(0, maxTokens) : ids;
    },
  };
}
