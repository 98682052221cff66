/**
 * Encoder for the Universal Sentence Encoder lite converted to ONNX (`use-convert.ts`):
 * tokenizes each text with our SentencePiece tokenizer (`vocab.json` beside the model), cut
 * to `maxTokens`, and runs the batch in its sparse form, (text, position) → token id. Runs
 * single-threaded: it lives in a worker thread of a pool.
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { EmbeddingModelInfo, Encoder } from '../types';
import { loadUseTokenizer } from '../use-tokenizer';

/**
 * The model counts texts as the largest text number plus one, so a text without tokens (the
 * empty string) at the end of a batch would have no row. Such a batch gets one more text
 * holding this single token (`.`); its row is dropped.
 */
const FILLER_ID = 6;

/** Loads `model.onnx` and `vocab.json` from `info.dir`. */
export async function createUseEncoder(info: EmbeddingModelInfo): Promise<Encoder> {
  const tokenizer = loadUseTokenizer(path.join(info.dir, 'vocab.json'));
  const session = await ort.InferenceSession.create(path.join(info.dir, 'model.onnx'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  for (const name of ['indices', 'values']) {
    if (!session.inputNames.includes(name)) throw new Error(`The model in ${info.dir} has no "${name}" input; is it a converted USE model?`);
  }
  if (!session.outputNames.includes('embeddings')) throw new Error(`The model in ${info.dir} has no "embeddings" output.`);

  return {
    info,
    async embed(texts) {
      if (texts.length === 0) return [];
      const ids = texts.map((t) => tokenizer.encode(String(t ?? ''), info.maxTokens));
      if (ids[ids.length - 1].length === 0) ids.push([FILLER_ID]);
      const count = ids.reduce((n, row) => n + row.length, 0);
      const indices = new BigInt64Array(count * 2);
      const values = new BigInt64Array(count);
      let k = 0;
      ids.forEach((row, text) => {
        row.forEach((id, position) => {
          indices[2 * k] = BigInt(text);
          indices[2 * k + 1] = BigInt(position);
          values[k] = BigInt(id);
          k += 1;
        });
      });
      const out = await session.run({
        indices: new ort.Tensor('int64', indices, [count, 2]),
        values: new ort.Tensor('int64', values, [count]),
      });
      const data = out.embeddings.data as Float32Array;
      const dims = info.dims;
      if (data.length !== ids.length * dims) throw new Error(`The model returned ${data.length} values for ${ids.length} texts of ${dims}.`);
      return texts.map((_, i) => unit(data.slice(i * dims, (i + 1) * dims)));
    },
  };
}

/** Scales a vector to length 1 (the model's output already nearly is). */
function unit(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0 && Number.isFinite(norm)) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}
