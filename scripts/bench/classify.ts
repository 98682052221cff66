/**
 * Document classification benchmark: accuracy and confusion matrices
 *  (a) k-fold cross-validation over the training pool (SROIE train text without the 50
 *      image receipts, synthetic invoices of the training seed, Cranfield abstracts and
 *      generated documents) — a model is trained in memory per fold;
 *  (b) held out, through the shipped ONNX model and `classifyDocument`:
 *      - the 50 SROIE receipt images read by Folio's OCR (cached words, or OCR run here),
 *      - synthetic invoices of an unseen seed,
 *      - generated documents of an unseen seed,
 *      - the Cranfield abstracts whose id is a multiple of 5,
 *      - real text-layer pages of the pdf.js test PDFs (papers, a book, reports; other).
 *
 *   node --import tsx scripts/bench/classify.ts [--folds 5] [--invoices 300] [--others 300]
 *        [--skip cv,ocr,pdf] [--model models/classifier.onnx] [--ocr-cache /tmp/ocrcache] [--verbose]
 */
import fs from 'node:fs';
import path from 'node:path';
import { CLASSIFIER_FEATURE_COUNT, CLASSIFIER_LABELS, classifyDocument, loadClassifierModel, type ClassifyPage } from '../../src/modules/extraction/classify';
import type { PageWord } from '../../src/modules/extraction/layout';
import { parsePdf } from '../../src/platform/workers/tasks/pdf.task';
import { WorkerPools } from '../../src/platform/workers';
import { generateInvoices } from '../train/synthetic-invoices';
import { cranfieldFile, featurize, generateOtherDocuments, loadCranfield, predictInMemory, receiptsDir, repoRoot, trainClassifier, trainingDocuments } from '../train/train-classifier';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const skip = new Set(arg('skip', '').split(',').filter(Boolean));
const verbose = process.argv.includes('--verbose');
const INVOICE_SEED = 2002;
const OTHER_SEED = 5005;
const PDF_DIR = path.resolve(repoRoot, '../shared/data/pdfs/pdfjs/text');
const LABELS = [...CLASSIFIER_LABELS] as string[];

class Confusion {
  m = LABELS.map(() => LABELS.map(() => 0));
  add(truth: string, predicted: string) {
    this.m[LABELS.indexOf(truth)][LABELS.indexOf(predicted)]++;
  }
  merge(o: Confusion) {
    o.m.forEach((row, i) => row.forEach((v, j) => (this.m[i][j] += v)));
  }
  print(title: string) {
    const n = this.m.flat().reduce((a, b) => a + b, 0);
    const right = LABELS.reduce((s, _, i) => s + this.m[i][i], 0);
    console.log(`\n${title}: accuracy ${pct(right / n)} (${right}/${n})`);
    console.log(`  ${'truth \\ predicted'.padEnd(18)}${LABELS.map((l) => l.padStart(9)).join('')}   recall`);
    this.m.forEach((row, i) => {
      const t = row.reduce((a, b) => a + b, 0);
      if (t) console.log(`  ${LABELS[i].padEnd(18)}${row.map((v) => String(v).padStart(9)).join('')}   ${pct(row[i] / t)}`);
    });
  }
}
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function crossValidate(folds: number): void {
  const docs = trainingDocuments({ invoices: 900, others: 900 });
  const { x, y } = featurize(docs);
  const conf = new Confusion();
  const F = CLASSIFIER_FEATURE_COUNT;
  for (let f = 0; f < folds; f++) {
    const tr = docs.map((_, i) => i).filter((i) => i % folds !== f), te = docs.map((_, i) => i).filter((i) => i % folds === f);
    const take = (idx: number[]) => {
      const xx = new Float32Array(idx.length * F);
      idx.forEach((i, k) => xx.set(x.subarray(i * F, (i + 1) * F), k * F));
      return xx;
    };
    const net = trainClassifier(take(tr), Int32Array.from(tr, (i) => y[i]));
    const p = predictInMemory(net, take(te), te.length);
    te.forEach((i, k) => conf.add(LABELS[y[i]], LABELS[[0, 1, 2].reduce((a, b) => (p[k * 3 + b] > p[k * 3 + a] ? b : a))]));
  }
  conf.print(`(a) ${folds}-fold cross-validation over the training pool, ${docs.length} documents, a model trained per fold`);
}

async function ocrReceipts(): Promise<Array<{ id: string; pages: ClassifyPage[] }>> {
  const imgDir = path.join(receiptsDir, 'img');
  const ids = fs.readdirSync(imgDir).filter((f) => f.endsWith('.jpg')).map((f) => f.slice(0, -4)).sort();
  const cacheDir = path.resolve(arg('ocr-cache', '/tmp/ocrcache'));
  const missing = ids.filter((id) => !fs.existsSync(path.join(cacheDir, `${id}.json`)));
  if (missing.length) {
    // Same OCR as the pipeline (and scripts/bench/extract.ts), cached for the next run.
    const pools = new WorkerPools({ pdf: { threads: 2 }, ocr: { threads: 2 } });
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      await Promise.all(missing.map(async (id) => {
        const decoded = await pools.decodeImage({ bytes: new Uint8Array(fs.readFileSync(path.join(imgDir, `${id}.jpg`))) });
        if (decoded.kind !== 'decoded') throw new Error(`${id}: ${decoded.message}`);
        const result = await pools.recognize({ image: decoded.pages[0] });
        if (result.kind !== 'recognized') throw new Error(`${id}: ${result.message}`);
        const r4 = (v: number) => Math.round(v * 10000) / 10000;
        const words: PageWord[] = result.words.map((w) => ({ t: w.text, c: Math.round(w.confidence), b: [r4(w.box.x), r4(w.box.y), r4(w.box.w), r4(w.box.h)] }));
        fs.writeFileSync(path.join(cacheDir, `${id}.json`), JSON.stringify(words));
      }));
    } finally {
      await pools.close();
    }
  }
  return ids.map((id) => ({ id, pages: [{ words: JSON.parse(fs.readFileSync(path.join(cacheDir, `${id}.json`), 'utf8')) as PageWord[] }] }));
}

/** Text-layer pages of the pdf.js text PDFs, each page a document (at most 40 a file). */
async function pdfPages(): Promise<Array<{ id: string; pages: ClassifyPage[] }>> {
  const out: Array<{ id: string; pages: ClassifyPage[] }> = [];
  for (const file of fs.readdirSync(PDF_DIR).filter((f) => f.endsWith('.pdf')).sort()) {
    const res = await parsePdf({ bytes: new Uint8Array(fs.readFileSync(path.join(PDF_DIR, file))), maxTextPages: 40 });
    if (res.kind !== 'parsed') continue;
    for (const p of res.pages.slice(0, 40)) {
      if (!p.usable) continue;
      out.push({ id: `${file}#${p.number}`, pages: [{ text: p.text, words: p.words.map((w) => ({ t: w.text, b: [w.box.x, w.box.y, w.box.w, w.box.h] })) }] });
    }
  }
  return out;
}

async function heldOut(): Promise<void> {
  const model = await loadClassifierModel(path.resolve(repoRoot, arg('model', 'models/classifier.onnx')));
  const total = new Confusion();
  const run = async (title: string, truth: string, docs: Array<{ id: string; pages: ClassifyPage[] }>) => {
    const conf = new Confusion();
    const t0 = performance.now();
    let low = 0;
    for (const d of docs) {
      const c = await classifyDocument(d.pages, [], model);
      conf.add(truth, c.type);
      if (c.confidence < 0.8) low++;
      if (verbose && c.type !== truth) console.log(`  ${d.id}: ${c.type} ${JSON.stringify(c.scores)}`);
    }
    conf.print(`${title} (${((performance.now() - t0) / Math.max(docs.length, 1)).toFixed(1)} ms each; ${low} below 0.8 confidence)`);
    total.merge(conf);
  };
  if (!skip.has('ocr')) await run('(b1) the 50 SROIE receipt images, Folio OCR words (unseen in training)', 'receipt', await ocrReceipts());
  const nInv = Number(arg('invoices', '300'));
  await run(`(b2) synthetic invoices, unseen seed ${INVOICE_SEED}`, 'invoice', generateInvoices(INVOICE_SEED, nInv).map((inv) => ({ id: inv.id, pages: inv.pages })));
  await run(`(b3) synthetic invoices, unseen seed ${INVOICE_SEED}, as plain text (no word boxes)`, 'invoice', generateInvoices(INVOICE_SEED + 1, nInv).map((inv) => ({ id: inv.id, pages: [{ text: inv.runs[0].map((r) => r.text).join('\n') }] })));
  await run(`(b4) generated documents, unseen seed ${OTHER_SEED} (same templates as training)`, 'other', generateOtherDocuments(OTHER_SEED, Number(arg('others', '300'))).map((d) => ({ id: d.id, pages: [{ text: d.text }] })));
  await run('(b5) Cranfield abstracts held out of training (id divisible by 5)', 'other', loadCranfield(cranfieldFile, (id) => id % 5 === 0).map((d) => ({ id: d.id, pages: [{ text: d.text }] })));
  if (!skip.has('pdf') && fs.existsSync(PDF_DIR)) await run('(b6) real text-layer PDF pages (pdf.js test suite: papers, a book, reports), never trained on', 'other', await pdfPages());
  total.print('(b) all held-out sets');
}

if (!skip.has('cv')) crossValidate(Number(arg('folds', '5')));
await heldOut();
