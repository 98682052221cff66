/**
 * The field-ranking model: an ONNX network (models/extractor.onnx) that maps each
 * candidate's feature vector to one logit per field of each document type. Loaded with
 * onnxruntime-node once per process or worker thread (sessions are cached by path) and run
 * single-threaded, so a pool of worker threads can each hold one without oversubscribing
 * the cores. Nothing here touches the database or configuration.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { FEATURE_COUNT, FEATURE_NAMES, FIELDS, type DocumentType } from './candidates';

/** Scores candidate feature matrices: `rows × FIELDS[type].length` logits, row-major. */
export interface FieldScorer {
  score(type: DocumentType, features: Float32Array, rows: number): Promise<Float32Array>;
}

/** Where the shipped model lives: `<repo>/models/extractor.onnx`. */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../../models/extractor.onnx', import.meta.url));

/** The model's manifest entry, as `models/manifest.json` records it. */
export interface ExtractorManifestEntry {
  name: string;
  file: string;
  sha256: string;
  features: string[];
  fields: Record<DocumentType, string[]>;
}

const sessions = new Map<string, Promise<FieldScorer>>();

/**
 * The scorer for the model at `modelPath`, loaded on first use and shared afterwards. When a
 * `manifest.json` sits beside the model, its feature and field lists must match this code's,
 * so a model trained for other features fails loudly instead of scoring nonsense.
 */
export function loadExtractorModel(modelPath = DEFAULT_MODEL_PATH): Promise<FieldScorer> {
  const key = path.resolve(modelPath);
  let loaded = sessions.get(key);
  if (!loaded) {
    loaded = createScorer(key);
    loaded.catch(() => sessions.delete(key));
    sessions.set(key, loaded);
  }
  return loaded;
}

async function createScorer(modelPath: string): Promise<FieldScorer> {
  checkManifest(modelPath);
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  for (const name of ['receipt', 'invoice']) {
    if (!session.outputNames.includes(name)) throw new Error(`The extraction model ${modelPath} has no "${name}" output.`);
  }
  return {
    async score(type, features, rows) {
      if (rows === 0) return new Float32Array(0);
      if (features.length !== rows * FEATURE_COUNT) throw new Error(`Expected ${rows} × ${FEATURE_COUNT} features, got ${features.length} values.`);
      const input = new ort.Tensor('float32', features, [rows, FEATURE_COUNT]);
      const out = await session.run({ features: input }, [type]);
      const data = out[type].data as Float32Array;
      if (data.length !== rows * FIELDS[type].length) throw new Error(`The extraction model returned ${data.length} scores for ${rows} candidates.`);
      return data;
    },
  };
}

function checkManifest(modelPath: string): void {
  const file = path.join(path.dirname(modelPath), 'manifest.json');
  if (!fs.existsSync(file)) return;
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { models?: ExtractorManifestEntry[] };
  const entry = manifest.models?.find((m) => m.file === path.basename(modelPath));
  if (!entry) return;
  if (JSON.stringify(entry.features) !== JSON.stringify(FEATURE_NAMES)) {
    throw new Error(`The extraction model ${path.basename(modelPath)} was trained for different features; retrain it with scripts/train/train-extractor.ts.`);
  }
  for (const type of Object.keys(FIELDS) as DocumentType[]) {
    if (JSON.stringify(entry.fields?.[type]) !== JSON.stringify(FIELDS[type].map((f) => f.name))) {
      throw new Error(`The extraction model ${path.basename(modelPath)} has different ${type} fields; retrain it with scripts/train/train-extractor.ts.`);
    }
  }
}
