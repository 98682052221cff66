import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../../scripts/train/onnx-writer';
import { forward, trainNet } from '../../../scripts/train/ranker';
import { generateInvoices } from '../../../scripts/train/synthetic-invoices';
import { invoiceTruth, labelDoc } from '../../../scripts/train/labels';
import { buildOnnx } from '../../../scripts/train/train-extractor';
import { buildCandidates, featureMatrix, FEATURE_COUNT, FIELDS } from './candidates';
import { extractFields } from './extract';
import { DEFAULT_MODEL_PATH, loadExtractorModel } from './model';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('ranking model', () => {
  // A small model trained here on synthetic invoices: the writer, the loader and the
  // in-memory network must agree, and training must be reproducible to the byte.
  const docs = generateInvoices(11, 40).map((inv) => labelDoc(inv.pages, 'invoice', invoiceTruth(inv.truth), 1));
  const opts = { hidden: 8, epochs: 4, lr: 0.01, seed: 5, batchDocs: 8, weightDecay: 1e-4 };
  const receiptNet = trainNet(docs.slice(0, 1).map((d) => ({ ...d, groups: [] })), FEATURE_COUNT, FIELDS.receipt.length, opts);
  const invoiceNet = trainNet(docs, FEATURE_COUNT, FIELDS.invoice.length, opts);

  it('writes the same ONNX bytes when trained again with the same seed', () => {
    const a = buildOnnx(receiptNet, invoiceNet, {});
    const b = buildOnnx(trainNet(docs.slice(0, 1).map((d) => ({ ...d, groups: [] })), FEATURE_COUNT, FIELDS.receipt.length, opts), trainNet(docs, FEATURE_COUNT, FIELDS.invoice.length, opts), {});
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const decoded = decodeModel(a) as { irVersion: number; graph: { node: unknown[]; output: Array<{ name: string }> } };
    expect(decoded.irVersion).toBe(8);
    expect(decoded.graph.output.map((o) => o.name)).toEqual(['receipt', 'invoice']);
  });

  it('scores in onnxruntime as the network does in memory, loading each model once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-model-'));
    const file = path.join(dir, 'extractor.onnx');
    fs.writeFileSync(file, buildOnnx(receiptNet, invoiceNet, {}));
    const scorer = await loadExtractorModel(file);
    expect(await loadExtractorModel(file)).toBe(scorer);
    const [inv] = generateInvoices(99, 1);
    const { candidates } = buildCandidates(inv.pages);
    const x = featureMatrix(candidates);
    const onnx = await scorer.score('invoice', x, candidates.length);
    const mem = forward(invoiceNet, x, candidates.length);
    expect(onnx.length).toBe(candidates.length * FIELDS.invoice.length);
    for (let i = 0; i < onnx.length; i++) expect(onnx[i]).toBeCloseTo(mem[i], 3);
    await expect(scorer.score('invoice', new Float32Array(3), 1)).rejects.toThrow(/features/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('shipped model', () => {
  it.skipIf(!fs.existsSync(DEFAULT_MODEL_PATH))('extracts every field of an unseen synthetic invoice, with page and box', async () => {
    const [inv] = generateInvoices(424242, 1);
    const { fields, issues } = await extractFields(inv.pages, 'invoice');
    for (const [name, truth] of Object.entries(inv.truth)) {
      if (truth) expect(fields[name]?.normalized?.toUpperCase(), name).toBe(truth.normalized.toUpperCase().replace(/\s+/g, name.startsWith('vendor') || name === 'customerName' ? ' ' : ''));
    }
    expect(issues).toEqual([]);
    expect(fields.total.page).toBe(1);
    expect(fields.total.confidence).toBeGreaterThan(0.5);
    expect(fields.total.box.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('is listed in models/manifest.json with its checksum', async () => {
    const manifestFile = path.join(repoRoot, 'models/manifest.json');
    if (!fs.existsSync(manifestFile)) return;
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { models: Array<{ name: string; file: string; sha256: string }> };
    const entry = manifest.models.find((m) => m.name === 'extractor')!;
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(fs.readFileSync(path.join(repoRoot, 'models', entry.file))).digest('hex')).toBe(entry.sha256);
  });
});
