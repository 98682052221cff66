/**
 * Key-field extraction benchmark: per-field exact and normalized accuracy
 *  (a) on the SROIE training text with k-fold cross-validation — a model is trained in
 *      memory per fold, so no receipt is scored by a model that saw it;
 *  (b) on synthetic invoices generated with a seed other than the training seed, through
 *      the shipped ONNX model;
 *  (c) end to end on the 50 SROIE receipt images: Folio's OCR (worker pools) then
 *      extraction with the shipped model (which was trained without these 50 receipts).
 *
 *   node --import tsx scripts/bench/extract.ts [--folds 5] [--invoices 300] [--skip cv,synthetic,ocr]
 *        [--model models/extractor.onnx] [--ocr-cache DIR]
 *
 * Exact: the value as printed equals the key (SROIE's metric). Normalized: names and
 * addresses compared case- and space-folded, dates as ISO dates, amounts as numbers,
 * currencies as ISO codes, IBANs compacted; a field absent from the truth counts as right
 * when nothing is extracted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildCandidates, featureMatrix, FEATURE_COUNT, FIELDS, type ExtractionPage, type PageWord } from '../../src/modules/extraction/candidates';
import { extractFields, pickFields, type ExtractedField } from '../../src/modules/extraction/extract';
import { loadExtractorModel } from '../../src/modules/extraction/model';
import { normalizeAmount, normalizeDate } from '../../src/modules/extraction/normalize';
import { WorkerPools } from '../../src/platform/workers';
import { compare, labelDoc, receiptTrainTruth } from '../train/labels';
import { forward, trainNet } from '../train/ranker';
import { loadTrainText, type ReceiptDoc, type ReceiptKey } from '../train/sroie';
import { generateInvoices } from '../train/synthetic-invoices';
import { RECEIPT_TRAIN, receiptsDir, repoRoot } from '../train/train-extractor';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const skip = new Set(arg('skip', '').split(',').filter(Boolean));
const modelPath = path.resolve(repoRoot, arg('model', 'models/extractor.onnx'));
const BENCH_SEED = 2002;
const RECEIPT_FIELDS = ['company', 'address', 'date', 'total'] as const;
const OCR_THREADS = 2;

class Tally {
  #rows = new Map<string, { exact: number; normalized: number; n: number }>();
  add(field: string, r: { exact: boolean; normalized: boolean }) {
    const row = this.#rows.get(field) ?? { exact: 0, normalized: 0, n: 0 };
    row.n++;
    if (r.exact) row.exact++;
    if (r.normalized) row.normalized++;
    this.#rows.set(field, row);
  }
  print(title: string) {
    console.log(`\n${title}`);
    console.log(`  ${'field'.padEnd(16)} ${'exact'.padStart(7)} ${'normalized'.padStart(11)}   n`);
    let e = 0, m = 0, n = 0;
    for (const [field, r] of this.#rows) {
      console.log(`  ${field.padEnd(16)} ${pct(r.exact / r.n).padStart(7)} ${pct(r.normalized / r.n).padStart(11)}   ${r.n}`);
      e += r.exact;
      m += r.normalized;
      n += r.n;
    }
    console.log(`  ${'all fields'.padEnd(16)} ${pct(e / n).padStart(7)} ${pct(m / n).padStart(11)}   ${n}`);
  }
}
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Scores a receipt's extraction against its SROIE key. */
function scoreReceipt(tally: Tally, fields: Record<string, ExtractedField>, key: ReceiptKey): void {
  for (const name of RECEIPT_FIELDS) {
    const truth = key[name];
    if (typeof truth !== 'string') continue; // a few SROIE keys lack a field: not scored
    const kind = FIELDS.receipt.find((f) => f.name === name)!.kind;
    const norm = name === 'date' ? normalizeDate(truth.replace(/^.*?(\d)/, '$1')) : name === 'total' ? normalizeAmount(truth.replace(/[^\d.,-]/g, '')) : truth;
    tally.add(name, compare(name, kind, fields[name], truth, norm));
  }
}

function crossValidate(docs: ReceiptDoc[], folds: number): void {
  const started = performance.now();
  const labelled = docs.map((d) => labelDoc(d.pages, 'receipt', receiptTrainTruth(d.pages, d.key)));
  const tally = new Tally();
  for (let f = 0; f < folds; f++) {
    const train = labelled.filter((_, i) => i % folds !== f);
    const net = trainNet(train, FEATURE_COUNT, FIELDS.receipt.length, RECEIPT_TRAIN);
    docs.forEach((d, i) => {
      if (i % folds !== f) return;
      const { candidates } = buildCandidates(d.pages);
      const logits = forward(net, featureMatrix(candidates), candidates.length);
      scoreReceipt(tally, pickFields(candidates, logits, 'receipt').fields, d.key);
    });
  }
  tally.print(`(a) SROIE training text, ${folds}-fold cross-validation: ${docs.length} receipts, a model trained per fold (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

async function syntheticInvoices(count: number): Promise<void> {
  const scorer = await loadExtractorModel(modelPath);
  const tally = new Tally();
  const started = performance.now();
  for (const inv of generateInvoices(BENCH_SEED, count)) {
    const { fields } = await extractFields(inv.pages, 'invoice', scorer);
    for (const spec of FIELDS.invoice) {
      const t = inv.truth[spec.name];
      tally.add(spec.name, compare(spec.name, spec.kind, fields[spec.name], t ? t.value : null, t ? t.normalized : null));
    }
  }
  tally.print(`(b) unseen synthetic invoices (seed ${BENCH_SEED}, training seed differs): ${count} invoices, ${((performance.now() - started) / count).toFixed(1)} ms each`);
}

async function ocrPages(pools: WorkerPools, file: string, cacheDir: string | null): Promise<ExtractionPage[]> {
  const cached = cacheDir && path.join(cacheDir, `${path.basename(file, '.jpg')}.json`);
  if (cached && fs.existsSync(cached)) return [{ words: JSON.parse(fs.readFileSync(cached, 'utf8')) as PageWord[] }];
  const decoded = await pools.decodeImage({ bytes: new Uint8Array(fs.readFileSync(file)) });
  if (decoded.kind !== 'decoded') throw new Error(`${file}: ${decoded.message}`);
  const result = await pools.recognize({ image: decoded.pages[0] });
  if (result.kind !== 'recognized') throw new Error(`${file}: ${result.message}`);
  // The same shape as document_page.words.
  const r4 = (v: number) => Math.round(v * 10000) / 10000;
  const words: PageWord[] = result.words.map((w) => ({ t: w.text, c: Math.round(w.confidence), b: [r4(w.box.x), r4(w.box.y), r4(w.box.w), r4(w.box.h)] }));
  if (cached) {
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(cached, JSON.stringify(words));
  }
  return [{ words }];
}

async function endToEnd(): Promise<void> {
  const imgDir = path.join(receiptsDir, 'img');
  const ids = fs.readdirSync(imgDir).filter((f) => f.endsWith('.jpg')).map((f) => f.slice(0, -4)).sort();
  const scorer = await loadExtractorModel(modelPath);
  const cacheDir = process.argv.includes('--ocr-cache') ? path.resolve(arg('ocr-cache', '')) : null;
  const pools = new WorkerPools({ pdf: { threads: 2 }, ocr: { threads: OCR_THREADS } });
  const tally = new Tally();
  const ceiling = new Tally();
  const started = performance.now();
  let extractMs = 0;
  let ocrMs = 0;
  try {
    // As many images in flight as there are OCR workers: a task's time limit counts from
    // submission, so queueing all 50 at once would charge the last ones for the queue.
    const pages: ExtractionPage[][] = new Array(ids.length);
    let next = 0;
    const ocrStarted = performance.now();
    await Promise.all(Array.from({ length: OCR_THREADS }, async () => {
      while (next < ids.length) {
        const i = next++;
        pages[i] = await ocrPages(pools, path.join(imgDir, `${ids[i]}.jpg`), cacheDir);
      }
    }));
    ocrMs = performance.now() - ocrStarted;
    for (let i = 0; i < ids.length; i++) {
      const key = JSON.parse(fs.readFileSync(path.join(receiptsDir, 'key', `${ids[i]}.json`), 'utf8')) as ReceiptKey;
      const t = performance.now();
      const { fields } = await extractFields(pages[i], 'receipt', scorer);
      extractMs += performance.now() - t;
      scoreReceipt(tally, fields, key);
      // Ceiling: is the right value among the candidates at all (OCR spelling permitting)?
      const { candidates } = buildCandidates(pages[i]);
      for (const name of RECEIPT_FIELDS) {
        const kind = FIELDS.receipt.find((f) => f.name === name)!.kind;
        const norm = name === 'date' ? normalizeDate(key.date.replace(/^.*?(\d)/, '$1')) : name === 'total' ? normalizeAmount(key.total.replace(/[^\d.,-]/g, '')) : key[name];
        const hit = candidates.some((c) => c.kind === kind && compare(name, kind, { value: c.text, normalized: c.normalized }, key[name], norm).normalized);
        ceiling.add(name, { exact: hit, normalized: hit });
      }
      if (process.argv.includes('--verbose')) console.log(ids[i], JSON.stringify(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.value]))), JSON.stringify(key));
    }
  } finally {
    await pools.close();
  }
  tally.print(`(c) end to end on ${ids.length} SROIE receipt images: OCR${cacheDir ? ' (cached where present)' : ''} + extraction, ${((performance.now() - started) / 1000).toFixed(0)} s (OCR ${(ocrMs / 1000).toFixed(1)} s, ${OCR_THREADS} workers); extraction ${(extractMs / ids.length).toFixed(1)} ms a receipt`);
  ceiling.print('    ceiling: receipts whose OCR output holds the right value among the candidates at all');
}

async function main(): Promise<void> {
  if (!fs.existsSync(receiptsDir)) {
    console.error(`No receipts at ${receiptsDir}`);
    process.exit(2);
  }
  if (!skip.has('cv')) crossValidate(loadTrainText(receiptsDir), Number(arg('folds', '5')));
  if (!skip.has('synthetic')) await syntheticInvoices(Number(arg('invoices', '300')));
  if (!skip.has('ocr')) await endToEnd();
}

await main();
