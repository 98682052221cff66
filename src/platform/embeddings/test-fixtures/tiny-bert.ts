/**
 * A BERT-shaped model small enough to write at test time: token and segment embeddings,
 * summed and projected, give `last_hidden_state` [batch, tokens, 8]. No attention, so each
 * token's vector depends on that token alone and the tests can compute the expected
 * sentence vectors by hand. Written with the ONNX writer of the training scripts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeModel, floatTensor, floatValueInfo, node } from '../../../../scripts/train/onnx-writer';

export const TINY_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'the', 'invoice', 'receipt', 'total', 'due', 'paid', '##s', 'query', 'passage', ':', '.', 'a', 'b', 'c'];
export const TINY_HIDDEN = 6;
export const TINY_DIMS = 8;

const INT64 = 7;

/** Deterministic weights in [-1, 1). */
function weights(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export const TINY_WEIGHTS = {
  word: weights(TINY_VOCAB.length * TINY_HIDDEN, 1),
  segment: weights(2 * TINY_HIDDEN, 2),
  projection: weights(TINY_HIDDEN * TINY_DIMS, 3),
};

function int64Input(name: string): object {
  return { name, type: { tensorType: { elemType: INT64, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'sequence' }] } } } };
}

/** The model's output for one token (segment 0), before pooling. */
export function tokenVector(id: number, segments: boolean): Float32Array {
  const h = new Float32Array(TINY_HIDDEN);
  for (let k = 0; k < TINY_HIDDEN; k++) h[k] = TINY_WEIGHTS.word[id * TINY_HIDDEN + k] + (segments ? TINY_WEIGHTS.segment[k] : 0);
  const out = new Float32Array(TINY_DIMS);
  for (let d = 0; d < TINY_DIMS; d++) for (let k = 0; k < TINY_HIDDEN; k++) out[d] += h[k] * TINY_WEIGHTS.projection[k * TINY_DIMS + d];
  return out;
}

/** The unit sentence vector the encoder should give for these tokens (with [CLS] and [SEP]). */
export function expectedVector(tokens: string[], pooling: 'mean' | 'cls', segments = true): Float32Array {
  const used = pooling === 'cls' ? tokens.slice(0, 1) : tokens;
  const sum = new Float32Array(TINY_DIMS);
  for (const t of used) tokenVector(TINY_VOCAB.indexOf(t), segments).forEach((v, d) => (sum[d] += v / used.length));
  const norm = Math.hypot(...sum);
  return sum.map((v) => v / norm);
}

export interface TinyBertOptions {
  /** Declare and use `token_type_ids` (default true). */
  segments?: boolean;
  /** Content of folio.json, if any. */
  folio?: object;
  /** Content of config.json; null leaves it out. Default: hidden_size 8. */
  config?: object | null;
}

/** Writes model.onnx, tokenizer.json (and config.json, folio.json) into `dir`. */
export function writeTinyBert(dir: string, opts: TinyBertOptions = {}): string {
  const segments = opts.segments ?? true;
  fs.mkdirSync(dir, { recursive: true });
  const nodes = [node('Gather', ['word_embeddings', 'input_ids'], ['words'], 'words')];
  const initializers = [
    floatTensor('word_embeddings', [TINY_VOCAB.length, TINY_HIDDEN], TINY_WEIGHTS.word),
    floatTensor('projection', [TINY_HIDDEN, TINY_DIMS], TINY_WEIGHTS.projection),
  ];
  const inputs = [int64Input('input_ids'), int64Input('attention_mask')];
  if (segments) {
    initializers.push(floatTensor('token_type_embeddings', [2, TINY_HIDDEN], TINY_WEIGHTS.segment));
    nodes.push(node('Gather', ['token_type_embeddings', 'token_type_ids'], ['segments'], 'segments'));
    nodes.push(node('Add', ['words', 'segments'], ['embeddings'], 'embeddings'));
    inputs.push(int64Input('token_type_ids'));
  }
  nodes.push(node('MatMul', [segments ? 'embeddings' : 'words', 'projection'], ['last_hidden_state'], 'project'));
  const bytes = encodeModel(
    { name: 'tiny-bert', nodes, initializers, inputs, outputs: [floatValueInfo('last_hidden_state', ['batch', 'sequence', TINY_DIMS])] },
    {},
    'Tiny BERT-shaped model for tests',
  );
  fs.writeFileSync(path.join(dir, 'model.onnx'), bytes);
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizer()));
  const config = opts.config === undefined ? { model_type: 'bert', hidden_size: TINY_DIMS, max_position_embeddings: 512 } : opts.config;
  if (config) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  if (opts.folio) fs.writeFileSync(path.join(dir, 'folio.json'), JSON.stringify(opts.folio));
  return dir;
}

function tinyTokenizer(): object {
  const id = (t: string) => TINY_VOCAB.indexOf(t);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i])) },
  };
}
