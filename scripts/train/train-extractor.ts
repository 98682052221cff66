/**
 * Trains the field-ranking model and writes models/extractor.onnx with its manifest entry.
 *
 *   node --import tsx scripts/train/train-extractor.ts [--invoices 1200] [--out models/extractor.onnx]
 *
 * Data: the SROIE receipts of ../shared/data/receipts/train_text (CC-BY-4.0) except the 50
 * that have images (kept unseen for the end-to-end benchmark), and synthetic invoices from
 * scripts/train/synthetic-invoices.ts (seed TRAIN_SEED). Two one-hidden-layer MLPs, one per
 * document type, share the input; the ONNX graph has one input `features` [N, F] and two
 * outputs `receipt` [N, 5] and `invoice` [N, 13]. Everything is seeded and ordered, so a
 * re-run writes the same bytes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEATURE_COUNT, FEATURE_NAMES, FIELDS } from '../../src/modules/extraction/candidates';
import { invoiceTruth, labelDoc, receiptTrainTruth, type LabelledDoc } from './labels';
import { encodeModel, floatTensor, floatValueInfo, node } from './onnx-writer';
import { DEFAULT_TRAIN, trainNet, type Net, type TrainOptions } from './ranker';
import { imageIndex, loadTrainText, type ReceiptDoc } from './sroie';
import { generateInvoices } from './synthetic-invoices';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const receiptsDir = path.resolve(repoRoot, '../shared/data/receipts');
/** Seed of the synthetic training invoices (the benchmark uses another). */
export const TRAIN_SEED = 1001;
export const RECEIPT_TRAIN: TrainOptions = { ...DEFAULT_TRAIN, hidden: 32, epochs: 40 };
export const INVOICE_TRAIN: TrainOptions = { ...DEFAULT_TRAIN, hidden: 32, epochs: 25 };

/** Labelled receipts. */
export function labelReceipts(docs: ReceiptDoc[]): LabelledDoc[] {
  return docs.map((d) => labelDoc(d.pages, 'receipt', receiptTrainTruth(d.pages, d.key)));
}

/** Labelled synthetic invoices. */
export function labelInvoices(seed: number, count: number): LabelledDoc[] {
  return generateInvoices(seed, count).map((inv) => labelDoc(inv.pages, 'invoice', invoiceTruth(inv.truth), 1));
}

/** The ONNX bytes of the two networks. */
export function buildOnnx(receipt: Net, invoice: Net, meta: Record<string, string>): Uint8Array {
  const nodes: object[] = [];
  const inits: object[] = [];
  for (const [name, net] of [['receipt', receipt], ['invoice', invoice]] as const) {
    inits.push(floatTensor(`${name}_w1`, [net.inDim, net.hidden], net.w1), floatTensor(`${name}_b1`, [net.hidden], net.b1));
    inits.push(floatTensor(`${name}_w2`, [net.hidden, net.outDim], net.w2), floatTensor(`${name}_b2`, [net.outDim], net.b2));
    nodes.push(
      node('MatMul', ['features', `${name}_w1`], [`${name}_z1`], `${name}_matmul1`),
      node('Add', [`${name}_z1`, `${name}_b1`], [`${name}_a1`], `${name}_add1`),
      node('Relu', [`${name}_a1`], [`${name}_h`], `${name}_relu`),
      node('MatMul', [`${name}_h`, `${name}_w2`], [`${name}_z2`], `${name}_matmul2`),
      node('Add', [`${name}_z2`, `${name}_b2`], [name], `${name}_add2`),
    );
  }
  return encodeModel(
    {
      name: 'folio_field_ranker',
      nodes,
      initializers: inits,
      inputs: [floatValueInfo('features', ['candidates', FEATURE_COUNT])],
      outputs: [floatValueInfo('receipt', ['candidates', receipt.outDim]), floatValueInfo('invoice', ['candidates', invoice.outDim])],
    },
    meta,
    'Folio key-field extraction: one logit per field for each candidate (softmax over a field\'s candidates plus a none option at logit 0).',
  );
}

/** Adds or replaces one entry of models/manifest.json, keeping the others. */
export function writeManifestEntry(manifestPath: string, entry: { name: string } & Record<string, unknown>): void {
  const manifest = fs.existsSync(manifestPath) ? (JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { models?: Array<{ name: string }> }) : {};
  const models = (manifest.models ?? []).filter((m) => m.name !== entry.name);
  models.push(entry);
  models.sort((a, b) => a.name.localeCompare(b.name));
  fs.writeFileSync(manifestPath, `${JSON.stringify({ ...manifest, models }, null, 2)}\n`);
}

async function main(): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const out = path.resolve(repoRoot, arg('out', 'models/extractor.onnx'));
  const invoiceCount = Number(arg('invoices', '1200'));
  if (!fs.existsSync(receiptsDir)) {
    console.error(`No receipts at ${receiptsDir}: the SROIE training text is needed to train.`);
    process.exit(2);
  }
  const heldOut = new Set(imageIndex(receiptsDir).values());
  const all = loadTrainText(receiptsDir);
  const receipts = all.filter((d) => !heldOut.has(d.id));
  const t0 = performance.now();
  const rDocs = labelReceipts(receipts);
  const iDocs = labelInvoices(TRAIN_SEED, invoiceCount);
  console.log(`labelled ${rDocs.length} receipts (${all.length - receipts.length} held out), ${iDocs.length} invoices in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const log = (what: string) => (line: string) => console.log(`${what} ${line}`);
  const receiptNet = trainNet(rDocs, FEATURE_COUNT, FIELDS.receipt.length, { ...RECEIPT_TRAIN, log: log('receipt') });
  const invoiceNet = trainNet(iDocs, FEATURE_COUNT, FIELDS.invoice.length, { ...INVOICE_TRAIN, log: log('invoice') });
  const bytes = buildOnnx(receiptNet, invoiceNet, { 'folio.features': String(FEATURE_COUNT) });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, bytes);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  writeManifestEntry(path.join(path.dirname(out), 'manifest.json'), {
    name: 'extractor',
    file: path.basename(out),
    sha256,
    bytes: bytes.length,
    task: 'key-field extraction: ranks candidates (dates, amounts, ids, IBANs, currencies, text blocks) per field',
    format: 'ONNX IR 8, opset 13; MatMul/Add/Relu',
    inputs: { features: ['candidates', FEATURE_COUNT] },
    outputs: { receipt: ['candidates', FIELDS.receipt.length], invoice: ['candidates', FIELDS.invoice.length] },
    features: FEATURE_NAMES,
    fields: { receipt: FIELDS.receipt.map((f) => f.name), invoice: FIELDS.invoice.map((f) => f.name) },
    architecture: `per type: ${FEATURE_COUNT} → ${RECEIPT_TRAIN.hidden} ReLU → fields; listwise softmax with a none option at logit 0`,
    training: {
      script: 'scripts/train/train-extractor.ts',
      receipts: `SROIE 2019 train text (../shared/data/receipts/train_text): ${rDocs.length} receipts; the ${all.length - receipts.length} with images are held out. Receipt tax is weakly labelled (amount next to a tax word).`,
      invoices: `${iDocs.length} synthetic invoices, scripts/train/synthetic-invoices.ts seed ${TRAIN_SEED} (en/de/fr/es/nl labels; USD, GBP, EUR, CHF)`,
      options: { receipt: { ...RECEIPT_TRAIN, log: undefined }, invoice: { ...INVOICE_TRAIN, log: undefined } },
    },
    license: 'Model: trained by Folio. Receipt data: SROIE 2019 (Huang et al., ICDAR 2019), CC-BY-4.0. Synthetic invoices: generated by Folio.',
  });
  console.log(`wrote ${path.relative(repoRoot, out)}: ${bytes.length} bytes, sha256 ${sha256}`);
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await main();
