/**
 * Worker task of the `onnx` pool: sentence embeddings. Each thread loads a model once and
 * keeps it for the next texts; a model whose file changed (same key, other sha256) is loaded
 * afresh. The vectors come back in one Float32Array, moved rather than copied.
 */
import { withTransfer } from '../workers/tasks/transfer';
import { createEncoder } from './models';
import type { EmbeddingModelInfo, Encoder } from './types';

/** Input of `embed`. */
export interface EmbedInput {
  /** As `resolveModel` gives it. */
  model: EmbeddingModelInfo;
  texts: string[];
  /** Queries and indexed passages get their own prefix on models trained with one. */
  kind?: 'query' | 'passage';
}

/** Result of `embed`: text i's unit vector is `vectors.subarray(i * dims, (i + 1) * dims)`. */
export interface EmbedResult {
  dims: number;
  vectors: Float32Array;
}

const encoders = new Map<string, { sha256: string; encoder: Promise<Encoder> }>();

function encoderFor(info: EmbeddingModelInfo): Promise<Encoder> {
  const cached = encoders.get(info.key);
  if (cached && cached.sha256 === info.sha256) return cached.encoder;
  const encoder = createEncoder(info);
  const entry = { sha256: info.sha256, encoder };
  encoder.catch(() => {
    if (encoders.get(info.key) === entry) encoders.delete(info.key);
  });
  encoders.set(info.key, entry);
  return encoder;
}

/** Unit vectors of `input.texts`, in order, made by `input.model`. */
export async function embed(input: EmbedInput): Promise<EmbedResult> {
  const encoder = await encoderFor(input.model);
  const dims = encoder.info.dims;
  const vectors = new Float32Array(input.texts.length * dims);
  if (input.texts.length > 0) {
    const out = await encoder.embed(input.texts, { kind: input.kind });
    out.forEach((v, i) => {
      if (v.length !== dims) throw new Error(`The model ${input.model.key} gave a vector of ${v.length} values, not ${dims}.`);
      vectors.set(v, i * dims);
    });
  }
  return withTransfer({ dims, vectors }, [vectors.buffer]);
}
