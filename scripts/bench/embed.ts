/**
 * Sentence-encoder throughput on one thread: passages of about 150 words, windows over the
 * Cranfield abstracts (../shared/data/retrieval_cranfield/corpus.jsonl) or, without them,
 * over the repository's documentation, embedded in batches of several sizes.
 *
 *   node --import tsx scripts/bench/embed.ts [--words 150] [--passages 256] [--batches 1,8,32] [--models models]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUseEncoder } from '../../src/platform/embeddings/encoders/use';
import { ensureUseModel, readUseManifestEntry } from '../../src/platform/embeddings/use-convert';
import { loadUseTokenizer } from '../../src/platform/embeddings/use-tokenizer';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const wordsPerPassage = Number(arg('words', '150'));
const passageCount = Number(arg('passages', '256'));
const batchSizes = arg('batches', '1,8,32').split(',').map(Number);
const modelsDir = path.resolve(repoRoot, arg('models', 'models'));

const cranfield = path.resolve(repoRoot, '../shared/data/retrieval_cranfield/corpus.jsonl');

function corpusText(): { name: string; text: string } {
  if (fs.existsSync(cranfield)) {
    const lines = fs.readFileSync(cranfield, 'utf8').split('\n').filter(Boolean);
    return { name: 'Cranfield abstracts', text: lines.map((l) => (JSON.parse(l) as { text: string }).text).join(' ') };
  }
  const docs = ['README.md', 'ARCHITECTURE.md'].map((f) => path.join(repoRoot, f)).filter((f) => fs.existsSync(f));
  return { name: 'Folio documentation', text: docs.map((f) => fs.readFileSync(f, 'utf8')).join(' ') };
}

function passages(): string[] {
  const corpus = corpusText();
  console.log(`passages from the ${corpus.name}`);
  const words = corpus.text.split(/\s+/).filter(Boolean);
  if (words.length < wordsPerPassage) throw new Error(`Not enough text in the ${corpus.name} to build passages.`);
  const out: string[] = [];
  for (let i = 0; out.length < passageCount; i += 37) {
    const start = i % (words.length - wordsPerPassage);
    out.push(words.slice(start, start + wordsPerPassage).join(' '));
  }
  return out;
}

async function main(): Promise<void> {
  const files = await ensureUseModel(modelsDir);
  const entry = readUseManifestEntry(modelsDir);
  const info = { key: entry.name, kind: 'use' as const, name: entry.title, dims: entry.dims, maxTokens: entry.maxTokens, dir: files.dir, sha256: entry.sha256 };
  const loadStart = performance.now();
  const encoder = await createUseEncoder(info);
  console.log(`model loaded in ${(performance.now() - loadStart).toFixed(0)} ms`);
  const texts = passages();
  const tokenizer = loadUseTokenizer(files.vocabFile);
  const full = texts.map((t) => tokenizer.encode(t).length);
  console.log(`${texts.length} passages of ${wordsPerPassage} words, ${Math.round(full.reduce((a, b) => a + b, 0) / full.length)} tokens on average before the cut at ${info.maxTokens}`);

  let t = performance.now();
  for (const text of texts) tokenizer.encode(text, info.maxTokens);
  console.log(`tokenizer alone: ${(texts.length / ((performance.now() - t) / 1000)).toFixed(0)} passages/s`);

  await encoder.embed(texts.slice(0, 8));
  for (const size of batchSizes) {
    t = performance.now();
    for (let i = 0; i < texts.length; i += size) await encoder.embed(texts.slice(i, i + size));
    const seconds = (performance.now() - t) / 1000;
    console.log(`batch ${String(size).padStart(3)}: ${(texts.length / seconds).toFixed(1)} passages/s (${((seconds * 1000) / texts.length).toFixed(2)} ms each)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
