/**
 * WordPiece tokenizer built from a Hugging Face `tokenizer.json`, as BERT-family sentence
 * encoders (MiniLM, BGE, E5, GTE) ship it. It follows the format's documented behaviour:
 * normalizer (BertNormalizer: clean text, pad CJK ideographs, strip accents, lowercase),
 * pre-tokenizer (BertPreTokenizer: split on whitespace, isolate punctuation), the WordPiece
 * model (greedy longest match, `##` continuations, whole word → [UNK] when any piece is
 * missing) and the post-processor ([CLS] … [SEP]). Added tokens are not matched in the input:
 * a document that contains the text "[SEP]" is read as the word, not as the marker.
 */
import fs from 'node:fs';

/** Token ids of one text, ready for the model. */
export interface TokenizedText {
  ids: number[];
  /** Segment ids (`token_type_ids`), 0 for a single text. */
  typeIds: number[];
  tokens: string[];
}

/** A tokenizer loaded from `tokenizer.json`. Pure and reusable. */
export interface WordPieceTokenizer {
  /** Id used to pad shorter texts in a batch (padding.pad_id, else [PAD], else 0). */
  readonly padId: number;
  /** Word pieces of a text, without the special tokens the post-processor adds. */
  tokenize(text: string): string[];
  /**
   * Ids of a text with its special tokens, cut so that the whole sequence (specials
   * included) holds at most `maxTokens` ids; without it, the file's own truncation applies.
   */
  encode(text: string, maxTokens?: number): TokenizedText;
}

type Json = Record<string, any>;
type Normalize = (text: string) => string;
type Piece = { special: string; typeId: number } | { sequence: true; typeId: number };

/** Reads `tokenizer.json` from disk. */
export function loadWordPieceTokenizer(file: string): WordPieceTokenizer {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read the tokenizer ${file}: ${(err as Error).message}`);
  }
  return createWordPieceTokenizer(json);
}

/** Builds a tokenizer from the parsed content of a `tokenizer.json`; throws on parts it cannot follow. */
export function createWordPieceTokenizer(json: unknown): WordPieceTokenizer {
  if (!json || typeof json !== 'object') throw new Error('tokenizer.json: not a JSON object.');
  const spec = json as Json;
  const model = spec.model as Json | undefined;
  if (model?.type !== 'WordPiece') throw new Error(`tokenizer.json: model.type "${model?.type}" is not supported (WordPiece only).`);
  if (!model.vocab || typeof model.vocab !== 'object') throw new Error('tokenizer.json: model.vocab is missing.');
  const vocab = new Map<string, number>(Object.entries(model.vocab as Record<string, number>));
  const unk: string = model.unk_token ?? '[UNK]';
  if (!vocab.has(unk)) throw new Error(`tokenizer.json: the unknown token "${unk}" is not in the vocabulary.`);
  const prefix: string = model.continuing_subword_prefix ?? '##';
  const maxWordChars: number = model.max_input_chars_per_word ?? 100;

  const normalize = normalizerOf(spec.normalizer ?? null);
  const split = preTokenizerOf(spec.pre_tokenizer ?? null);
  const template = templateOf(spec.post_processor ?? null);
  const specials = specialIdsOf(spec.post_processor ?? null, vocab);
  const specialCount = template.reduce((n, p) => n + ('special' in p ? specials.get(p.special)!.ids.length : 0), 0);
  const truncation = spec.truncation as Json | null | undefined;
  const defaultMax: number | undefined = truncation?.max_length;
  const fromLeft = truncation?.direction === 'Left';
  const padId: number = spec.padding?.pad_id ?? vocab.get('[PAD]') ?? 0;

  const wordPieces = (word: string): string[] => {
    const chars = Array.from(word);
    if (chars.length > maxWordChars) return [unk];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | null = null;
      while (start < end) {
        const sub = (start > 0 ? prefix : '') + chars.slice(start, end).join('');
        if (vocab.has(sub)) {
          found = sub;
          break;
        }
        end -= 1;
      }
      if (found === null) return [unk];
      pieces.push(found);
      start = end;
    }
    return pieces;
  };

  const tokenize = (text: string): string[] => split(normalize(text)).flatMap(wordPieces);

  return {
    padId,
    tokenize,
    encode(text, maxTokens = defaultMax) {
      let pieces = tokenize(text);
      if (maxTokens !== undefined) {
        const room = Math.max(0, maxTokens - specialCount);
        if (pieces.length > room) pieces = fromLeft ? pieces.slice(pieces.length - room) : pieces.slice(0, room);
      }
      const out: TokenizedText = { ids: [], typeIds: [], tokens: [] };
      for (const part of template) {
        if ('special' in part) {
          const s = specials.get(part.special)!;
          out.ids.push(...s.ids);
          out.tokens.push(...s.tokens);
          out.typeIds.push(...s.ids.map(() => part.typeId));
        } else {
          for (const p of pieces) {
            out.ids.push(vocab.get(p)!);
            out.tokens.push(p);
            out.typeIds.push(part.typeId);
          }
        }
      }
      return out;
    },
  };
}

// ---- normalizer ---------------------------------------------------------------------------

const CONTROL = /\p{C}/u;
const WHITESPACE = /\p{White_Space}/u;
const NONSPACING_MARKS = /\p{Mn}/gu;

/** CJK ideograph blocks that BERT surrounds with spaces (each one becomes a word). */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Drops NUL, U+FFFD and control/format characters; every kind of whitespace becomes a space. */
function cleanText(text: string): string {
  let out = '';
  for (const c of text) {
    if (c === '\t' || c === '\n' || c === '\r') out += ' ';
    else if (c === '\0' || c === '\ufffd' || CONTROL.test(c)) continue;
    else out += WHITESPACE.test(c) ? ' ' : c;
  }
  return out;
}

function padChineseChars(text: string): string {
  let out = '';
  for (const c of text) out += isChineseChar(c.codePointAt(0)!) ? ` ${c} ` : c;
  return out;
}

const stripAccents: Normalize = (text) => text.normalize('NFD').replace(NONSPACING_MARKS, '');
/** Lowercases each character on its own, as the reference implementation does (no final-sigma rule). */
const lowercase: Normalize = (text) => Array.from(text, (c) => c.toLowerCase()).join('');

function normalizerOf(spec: Json | null): Normalize {
  if (spec === null) return (t) => t;
  switch (spec.type) {
    case 'BertNormalizer': {
      const lower = spec.lowercase ?? true;
      // `strip_accents: null` (or absent) means: strip them when lowercasing.
      const strip = spec.strip_accents ?? lower;
      const steps: Normalize[] = [];
      if (spec.clean_text ?? true) steps.push(cleanText);
      if (spec.handle_chinese_chars ?? true) steps.push(padChineseChars);
      if (strip) steps.push(stripAccents);
      if (lower) steps.push(lowercase);
      return (t) => steps.reduce((s, f) => f(s), t);
    }
    case 'Sequence': {
      const steps = ((spec.normalizers ?? []) as Json[]).map(normalizerOf);
      return (t) => steps.reduce((s, f) => f(s), t);
    }
    case 'Lowercase':
      return lowercase;
    case 'StripAccents':
      return (t) => t.replace(NONSPACING_MARKS, '');
    case 'NFD':
    case 'NFC':
    case 'NFKD':
    case 'NFKC':
      return (t) => t.normalize(spec.type);
    default:
      throw new Error(`tokenizer.json: normalizer "${spec.type}" is not supported.`);
  }
}

// ---- pre-tokenizer ------------------------------------------------------------------------

/** ASCII punctuation (including symbols such as $ + < = > ^ ` | ~) and Unicode punctuation. */
const PUNCTUATION = /[!-\/:-@\[-`{-~\p{P}]/u;

/** Words split at whitespace, with each punctuation character a word of its own. */
function bertSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  for (const c of text) {
    if (WHITESPACE.test(c)) {
      if (word) words.push(word);
      word = '';
    } else if (PUNCTUATION.test(c)) {
      if (word) words.push(word);
      words.push(c);
      word = '';
    } else {
      word += c;
    }
  }
  if (word) words.push(word);
  return words;
}

function preTokenizerOf(spec: Json | null): (text: string) => string[] {
  switch (spec?.type) {
    case 'BertPreTokenizer':
      return bertSplit;
    case 'WhitespaceSplit':
      return (t) => t.split(/\p{White_Space}+/u).filter(Boolean);
    case 'Whitespace':
      return (t) => t.match(/[\p{L}\p{N}\p{M}_]+|[^\p{L}\p{N}\p{M}_\p{White_Space}]+/gu) ?? [];
    default:
      throw new Error(`tokenizer.json: pre_tokenizer "${spec?.type ?? 'none'}" is not supported.`);
  }
}

// ---- post-processor -----------------------------------------------------------------------

/** The single-text template: special tokens and the text, each with its segment id. */
function templateOf(spec: Json | null): Piece[] {
  if (spec === null) return [{ sequence: true, typeId: 0 }];
  switch (spec.type) {
    case 'TemplateProcessing':
      return ((spec.single ?? []) as Json[]).map((p): Piece => {
        if (p.SpecialToken) return { special: p.SpecialToken.id, typeId: p.SpecialToken.type_id ?? 0 };
        if (p.Sequence) return { sequence: true, typeId: p.Sequence.type_id ?? 0 };
        throw new Error('tokenizer.json: post_processor template has an unknown part.');
      });
    case 'BertProcessing':
    case 'RobertaProcessing':
      return [{ special: spec.cls[0], typeId: 0 }, { sequence: true, typeId: 0 }, { special: spec.sep[0], typeId: 0 }];
    default:
      throw new Error(`tokenizer.json: post_processor "${spec.type}" is not supported.`);
  }
}

function specialIdsOf(spec: Json | null, vocab: Map<string, number>): Map<string, { ids: number[]; tokens: string[] }> {
  const out = new Map<string, { ids: number[]; tokens: string[] }>();
  if (spec === null) return out;
  if (spec.type === 'TemplateProcessing') {
    for (const [name, s] of Object.entries((spec.special_tokens ?? {}) as Record<string, Json>)) {
      out.set(name, { ids: s.ids, tokens: s.tokens ?? s.ids.map(() => name) });
    }
    for (const part of templateOf(spec)) {
      if ('special' in part && !out.has(part.special)) {
        const id = vocab.get(part.special);
        if (id === undefined) throw new Error(`tokenizer.json: special token "${part.special}" is not defined.`);
        out.set(part.special, { ids: [id], tokens: [part.special] });
      }
    }
  } else {
    for (const [token, id] of [spec.cls, spec.sep] as Array<[string, number]>) out.set(token, { ids: [id], tokens: [token] });
  }
  return out;
}
