/**
 * What search needs at run time, built once per process: the embedding model in use (run in
 * the `onnx` worker pool) and the sqlite-vec index that follows the database's vectors.
 */
import { fileURLToPath } from 'node:url';
import type { Database, Dialect } from '../db/db';
import { resolveModel } from '../embeddings/models';
import type { EmbeddingModelInfo } from '../embeddings/types';
import type { Logger } from '../log/logger';
import type { WorkerPools } from '../workers/pools';
import { VectorIndex } from './vector-index';

export type EmbedKind = 'query' | 'passage';

export interface SearchRuntime {
  dialect: Dialect;
  vectors: VectorIndex;
  /** The configured model, or null when its files cannot be found (keyword search still works). */
  model(): EmbeddingModelInfo | null;
  /** A model by key (an older one still serving search while the new one is built), or null. */
  modelByKey(key: string): EmbeddingModelInfo | null;
  /** Unit vectors of `texts` made by `model` (default: the configured one). */
  embed(texts: string[], kind: EmbedKind, model?: EmbeddingModelInfo): Promise<Float32Array[]>;
  close(): void;
}

/** The repository's own models folder. */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../../models', import.meta.url));

export function createSearchRuntime(opts: {
  database: Database;
  dataDir: string;
  modelsDir?: string;
  modelKey: string;
  embedBatch?: number;
  pools: () => WorkerPools;
  log: Logger;
}): SearchRuntime {
  const modelsDir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const vectors = VectorIndex.open(opts.database, opts.dataDir);
  const batch = opts.embedBatch ?? 16;
  const cache = new Map<string, EmbeddingModelInfo | null>();
  const byKey = (key: string): EmbeddingModelInfo | null => {
    if (!cache.has(key)) {
      try {
        cache.set(key, resolveModel(modelsDir, key));
      } catch (err) {
        opts.log.warn({ err: (err as Error).message, model: key }, 'embedding model not available; semantic search is off until it is');
        cache.set(key, null);
      }
    }
    return cache.get(key) ?? null;
  };
  return {
    dialect: opts.database.dialect,
    vectors,
    model: () => byKey(opts.modelKey),
    modelByKey: byKey,
    async embed(texts, kind, model) {
      const info = model ?? byKey(opts.modelKey);
      if (!info) throw new Error(`The embedding model ${opts.modelKey} is not installed.`);
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batch) {
        const slice = texts.slice(i, i + batch);
        const { dims, vectors: flat } = await opts.pools().embed({ model: info, texts: slice, kind });
        for (let j = 0; j < slice.length; j++) out.push(flat.slice(j * dims, (j + 1) * dims));
      }
      return out;
    },
    close: () => vectors.close(),
  };
}
