/**
 * The embedding models Folio can run, found in the models folder:
 *
 * - built in: `use-lite`, listed in `manifest.json` with its sha256, dims and token limit;
 * - dropped in: any folder `<modelsDir>/<key>/` holding a BERT-family `model.onnx` and its
 *   `tokenizer.json` (as exported from Hugging Face), optionally with a `folio.json` giving
 *   its name, vector length, token limit, query/passage prefixes and pooling.
 *
 * Listing is cheap after the first call: a model file is hashed again only when its size or
 * modification time changes. A folder that cannot be used is left out of the list, and
 * `resolveModel` on its key says why.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createBertEncoder, readBertSettings } from './encoders/bert';
import { createUseEncoder } from './encoders/use';
import type { EmbeddingModelInfo, Encoder, EncoderKind } from './types';

/** Models that ship with Folio, by manifest name. */
const BUILT_IN: Record<string, { kind: EncoderKind; name: string }> = {
  'use-lite': { kind: 'use', name: 'Universal Sentence Encoder Lite' },
};

/** A dropped-in model's key is its folder name: letters, digits, dot, dash, underscore. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface Scan {
  models: EmbeddingModelInfo[];
  /** Why a key that looks like a model is not usable. */
  problems: Map<string, string>;
}

/** Every usable model in `modelsDir`: the built-in ones first, then the others by key. */
export function listModels(modelsDir: string): EmbeddingModelInfo[] {
  return scan(modelsDir).models;
}

/** The model stored under `key`; throws saying why it cannot be used, or which keys exist. */
export function resolveModel(modelsDir: string, key: string): EmbeddingModelInfo {
  const { models, problems } = scan(modelsDir);
  const found = models.find((m) => m.key === key);
  if (found) return found;
  const problem = problems.get(key);
  if (problem) throw new Error(`The embedding model "${key}" cannot be used: ${problem}`);
  const available = models.map((m) => m.key).join(', ') || 'none';
  throw new Error(`No embedding model "${key}" in ${modelsDir}. Available: ${available}.`);
}

/** Loads a model for use in this thread (called inside the `onnx` pool's workers). */
export function createEncoder(info: EmbeddingModelInfo): Promise<Encoder> {
  switch (info.kind) {
    case 'bert':
      return createBertEncoder(info);
    case 'use':
      return createUseEncoder(info);
    default:
      throw new Error(`Unknown kind of embedding model: ${String((info as { kind: unknown }).kind)}`);
  }
}

function scan(modelsDir: string): Scan {
  const out: Scan = { models: [], problems: new Map() };
  if (!isDir(modelsDir)) {
    for (const key of Object.keys(BUILT_IN)) out.problems.set(key, `there is no models folder at ${modelsDir}.`);
    return out;
  }
  addBuiltIn(modelsDir, out);
  const dropped: EmbeddingModelInfo[] = [];
  for (const entry of fs.readdirSync(modelsDir).sort()) {
    const dir = path.join(modelsDir, entry);
    if (Object.hasOwn(BUILT_IN, entry) || !isDir(dir)) continue;
    if (!fs.existsSync(path.join(dir, 'model.onnx'))) {
      // Hugging Face repositories keep the export in onnx/; Folio reads the folder itself.
      if (fs.existsSync(path.join(dir, 'onnx', 'model.onnx'))) out.problems.set(entry, `move ${dir}/onnx/model.onnx up to ${dir}/model.onnx.`);
      continue;
    }
    if (!KEY.test(entry)) {
      out.problems.set(entry, 'a model folder name may hold only letters, digits, ".", "-" and "_".');
      continue;
    }
    if (!fs.existsSync(path.join(dir, 'tokenizer.json'))) {
      out.problems.set(entry, `${dir} has model.onnx but no tokenizer.json (BERT-family models with a WordPiece tokenizer.json are supported).`);
      continue;
    }
    try {
      const settings = readBertSettings(dir);
      dropped.push({
        key: entry,
        kind: 'bert',
        name: settings.name ?? entry,
        // 0: not stated in the folder; the encoder finds it on loading.
        dims: settings.dims ?? 0,
        maxTokens: settings.maxTokens,
        dir,
        sha256: sha256File(path.join(dir, 'model.onnx')),
      });
    } catch (err) {
      out.problems.set(entry, (err as Error).message);
    }
  }
  out.models.push(...dropped);
  return out;
}

/** Adds the built-in models whose manifest entry and file are present. */
function addBuiltIn(modelsDir: string, out: Scan): void {
  const manifestFile = path.join(modelsDir, 'manifest.json');
  let entries: Array<Record<string, unknown>> = [];
  try {
    entries = fs.existsSync(manifestFile) ? (JSON.parse(fs.readFileSync(manifestFile, 'utf8')).models ?? []) : [];
  } catch (err) {
    for (const key of Object.keys(BUILT_IN)) out.problems.set(key, `${manifestFile} is not valid JSON (${(err as Error).message}).`);
    return;
  }
  for (const [key, builtIn] of Object.entries(BUILT_IN)) {
    const entry = entries.find((e) => e.name === key);
    if (!entry) {
      out.problems.set(key, `${manifestFile} has no "${key}" entry.`);
      continue;
    }
    const file = path.join(modelsDir, String(entry.file ?? ''));
    if (typeof entry.file !== 'string' || !fs.existsSync(file)) {
      out.problems.set(key, `its model file ${file} is missing.`);
      continue;
    }
    const dims = entry.dims;
    const maxTokens = entry.maxTokens;
    if (!Number.isInteger(dims) || !Number.isInteger(maxTokens)) {
      out.problems.set(key, `its entry in ${manifestFile} lacks dims or maxTokens.`);
      continue;
    }
    const sha256 = sha256File(file);
    if (sha256 !== entry.sha256) {
      out.problems.set(key, `${file} does not match the sha256 in ${manifestFile}.`);
      continue;
    }
    out.models.push({ key, kind: builtIn.kind, name: builtIn.name, dims: dims as number, maxTokens: maxTokens as number, dir: path.dirname(file), sha256 });
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

/** sha256 (hex) of a file, read in chunks; remembered until the file's size or mtime changes. */
export function sha256File(file: string): string {
  const stat = fs.statSync(file);
  const known = hashes.get(file);
  if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.sha256;
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  const sha256 = hash.digest('hex');
  hashes.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
  return sha256;
}
