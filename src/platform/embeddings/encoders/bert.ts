/**
 * BERT-family sentence encoders (all-MiniLM, BGE, E5, GTE …) exported to ONNX the way
 * Hugging Face exports them: `model.onnx` taking int64 `input_ids`, `attention_mask` and
 * (when the graph declares it) `token_type_ids`, giving token vectors `last_hidden_state`
 * [batch, tokens, dims]; `tokenizer.json` with a WordPiece model. Token vectors are pooled
 * (mean over the real tokens, or the [CLS] vector) and scaled to unit length, as
 * sentence-transformers does.
 *
 * Settings come from the model folder: `folio.json` (written by the administrator) first,
 * then the files sentence-transformers and transformers ship (`config.json`,
 * `sentence_bert_config.json`, `1_Pooling/config.json`, `config_sentence_transformers.json`).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import type { EmbeddingModelInfo, EmbedOptions, Encoder } from '../types';
import { loadWordPieceTokenizer, type TokenizedText } from '../wordpiece';

/** `folio.json`: what an administrator may state about a dropped-in model. Every key is optional. */
const ZFolioJson = z
  .object({
    name: z.string().min(1).optional(),
    dims: z.number().int().positive().optional(),
    maxTokens: z.number().int().min(2).optional(),
    /** Put before queries, e.g. "query: " (E5) or "Represent this sentence for searching relevant passages: " (BGE). */
    queryPrefix: z.string().optional(),
    /** Put before indexed texts, e.g. "passage: " (E5). */
    passagePrefix: z.string().optional(),
    pooling: z.enum(['mean', 'cls']).optional(),
  })
  .strict();

/** How a BERT-family model in a folder is to be run. */
export interface BertSettings {
  /** From folio.json; the registry falls back to the folder name. */
  name?: string;
  /** Vector length if the folder states it (folio.json `dims`, else config.json `hidden_size`). */
  dims?: number;
  maxTokens: number;
  queryPrefix: string;
  passagePrefix: string;
  pooling: 'mean' | 'cls';
}

/** Longest input read by default: BERT's position limit, and a sane cost on a CPU. */
const DEFAULT_MAX_TOKENS = 512;
/** Texts per inference call inside one `embed`; similar lengths are grouped to pad little. */
const RUN_BATCH = 16;
const INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'];
const TOKEN_OUTPUTS = ['last_hidden_state', 'token_embeddings'];

function readJson(file: string): Record<string, any> | null {
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

const positiveInt = (v: unknown): number | undefined => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : undefined);

/** Reads the settings of the model in `dir`; throws when `folio.json` is present but invalid. */
export function readBertSettings(dir: string): BertSettings {
  const folioFile = path.join(dir, 'folio.json');
  const raw = readJson(folioFile);
  let folio: z.infer<typeof ZFolioJson> = {};
  if (raw !== null) {
    const parsed = ZFolioJson.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new Error(`${folioFile}: ${problems}`);
    }
    folio = parsed.data;
  }
  const config = readJson(path.join(dir, 'config.json')) ?? {};
  const sbert = readJson(path.join(dir, 'sentence_bert_config.json')) ?? {};
  const poolingConfig = readJson(path.join(dir, '1_Pooling', 'config.json'));
  const prompts = (readJson(path.join(dir, 'config_sentence_transformers.json'))?.prompts ?? {}) as Record<string, unknown>;
  const prompt = (...names: string[]) => names.map((n) => prompts[n]).find((p): p is string => typeof p === 'string');
  const limit = Math.min(positiveInt(sbert.max_seq_length) ?? DEFAULT_MAX_TOKENS, positiveInt(config.max_position_embeddings) ?? DEFAULT_MAX_TOKENS, DEFAULT_MAX_TOKENS);
  return {
    name: folio.name,
    dims: folio.dims ?? positiveInt(config.hidden_size),
    maxTokens: folio.maxTokens ?? limit,
    queryPrefix: folio.queryPrefix ?? prompt('query') ?? '',
    passagePrefix: folio.passagePrefix ?? prompt('passage', 'document') ?? '',
    pooling: folio.pooling ?? (poolingConfig?.pooling_mode_cls_token === true && poolingConfig.pooling_mode_mean_tokens !== true ? 'cls' : 'mean'),
  };
}

/**
 * Loads the model in `info.dir` (one inference thread: the pool runs one model per worker)
 * and checks that its vectors have `info.dims` values; when `info.dims` is 0 the encoder's
 * `info` gives the length found.
 */
export async function createBertEncoder(info: EmbeddingModelInfo): Promise<Encoder> {
  const settings = readBertSettings(info.dir);
  const tokenizer = loadWordPieceTokenizer(path.join(info.dir, 'tokenizer.json'));
  const modelFile = path.join(info.dir, 'model.onnx');
  const session = await ort.InferenceSession.create(modelFile, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const inputs = session.inputNames;
  const unknown = inputs.filter((n) => !INPUTS.includes(n));
  if (!inputs.includes('input_ids') || unknown.length > 0) {
    throw new Error(`${modelFile}: expected inputs input_ids, attention_mask and optionally token_type_ids; the graph takes ${inputs.join(', ')}.`);
  }
  const output = TOKEN_OUTPUTS.find((n) => session.outputNames.includes(n)) ?? session.outputNames[0];

  const run = async (batch: TokenizedText[]): Promise<Float32Array[]> => {
    const rows = batch.length;
    const seq = Math.max(...batch.map((t) => t.ids.length));
    const ids = new BigInt64Array(rows * seq).fill(BigInt(tokenizer.padId));
    const mask = new BigInt64Array(rows * seq);
    const types = new BigInt64Array(rows * seq);
    batch.forEach((t, i) => {
      for (let j = 0; j < t.ids.length; j++) {
        ids[i * seq + j] = BigInt(t.ids[j]);
        mask[i * seq + j] = 1n;
        types[i * seq + j] = BigInt(t.typeIds[j]);
      }
    });
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [rows, seq]) };
    if (inputs.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', mask, [rows, seq]);
    if (inputs.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', types, [rows, seq]);
    const result = (await session.run(feeds, [output]))[output];
    if (result.type !== 'float32') throw new Error(`${modelFile}: output ${output} is ${result.type}, not float32.`);
    const data = result.data as Float32Array;
    const dims = result.dims;
    if (dims.length === 2 && dims[0] === rows) {
      // Already one vector per text (an export with pooling inside the graph).
      const width = dims[1];
      return batch.map((_, i) => unit(data.slice(i * width, (i + 1) * width)));
    }
    if (dims.length !== 3 || dims[0] !== rows || dims[1] !== seq) {
      throw new Error(`${modelFile}: output ${output} has shape [${dims.join(', ')}], expected [${rows}, ${seq}, dims].`);
    }
    const width = dims[2];
    return batch.map((t, i) => {
      // The mean's division by the token count is left out: scaling to unit length undoes it.
      const v = new Float32Array(width);
      const used = settings.pooling === 'cls' ? 1 : t.ids.length;
      for (let j = 0; j < used; j++) {
        const at = (i * seq + j) * width;
        for (let k = 0; k < width; k++) v[k] += data[at + k];
      }
      return unit(v);
    });
  };

  const found = (await run([tokenizer.encode('', info.maxTokens)]))[0].length;
  if (info.dims > 0 && info.dims !== found) {
    throw new Error(`${modelFile} makes ${found}-dimensional vectors, but ${info.dims} were expected (check folio.json or config.json).`);
  }
  const loaded: EmbeddingModelInfo = Object.freeze({ ...info, dims: found });

  return {
    info: loaded,
    async embed(texts: string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
      const prefix = opts.kind === 'query' ? settings.queryPrefix : opts.kind === 'passage' ? settings.passagePrefix : '';
      const encoded = texts.map((t) => tokenizer.encode(prefix + t, info.maxTokens));
      const order = encoded.map((_, i) => i).sort((a, b) => encoded[a].ids.length - encoded[b].ids.length);
      const out = new Array<Float32Array>(texts.length);
      for (let start = 0; start < order.length; start += RUN_BATCH) {
        const slice = order.slice(start, start + RUN_BATCH);
        const vectors = await run(slice.map((i) => encoded[i]));
        slice.forEach((i, k) => (out[i] = vectors[k]));
      }
      return out;
    },
  };
}

/** Scales a vector to length 1 in place (a zero vector stays zero). */
function unit(v: Float32Array): Float32Array {
  let sum = 0;
  for (let k = 0; k < v.length; k++) sum += v[k] * v[k];
  const norm = Math.sqrt(sum);
  if (norm > 1e-12) for (let k = 0; k < v.length; k++) v[k] /= norm;
  return v;
}
