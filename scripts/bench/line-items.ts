/**
 * Line-item benchmark on synthetic invoices of a seed the extractor was not trained on:
 *  (a) from the generator's words and boxes;
 *  (b) end to end through a real PDF (scripts/train/pdf-writer.ts) read back by Folio's PDF
 *      text-layer task.
 * A row is right when its description (space-folded), quantity, unit price and amount all
 * equal the truth at the same position; an invoice is right when every row is and no row
 * is extra. Per-column figures count truth rows.
 *
 *   node --import tsx scripts/bench/line-items.ts [--invoices 300] [--pdf 100] [--verbose]
 */
import { extractLineItems, type LineItem } from '../../src/modules/extraction/line-items';
import type { ExtractionPage } from '../../src/modules/extraction/layout';
import { parsePdf } from '../../src/platform/workers/tasks/pdf.task';
import { generateInvoices, invoicePdf, type SyntheticInvoice } from '../train/synthetic-invoices';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const SEED = 2002;
const verbose = process.argv.includes('--verbose');
const pct = (a: number, n: number) => `${((100 * a) / Math.max(n, 1)).toFixed(1)}%`;
const squash = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

async function score(title: string, invoices: SyntheticInvoice[], pagesOf: (inv: SyntheticInvoice) => Promise<ExtractionPage[]>): Promise<void> {
  let rows = 0, rowsRight = 0, docsRight = 0, extra = 0, missing = 0;
  const col = { description: 0, quantity: 0, unitPrice: 0, amount: 0 };
  const t0 = performance.now();
  let ms = 0;
  for (const inv of invoices) {
    const pages = await pagesOf(inv);
    const t = performance.now();
    const got: LineItem[] = extractLineItems(pages);
    ms += performance.now() - t;
    let all = got.length === inv.lineItems.length;
    extra += Math.max(0, got.length - inv.lineItems.length);
    missing += Math.max(0, inv.lineItems.length - got.length);
    inv.lineItems.forEach((truth, i) => {
      const g = got[i];
      rows++;
      const ok = {
        description: !!g && squash(g.description) === squash(truth.description),
        quantity: !!g && g.quantity === truth.quantity,
        unitPrice: !!g && g.unitPrice === truth.unitPrice,
        amount: !!g && g.amount === truth.amount,
      };
      for (const k of Object.keys(col) as Array<keyof typeof col>) if (ok[k]) col[k]++;
      if (Object.values(ok).every(Boolean)) rowsRight++;
      else {
        all = false;
        if (verbose) console.log(`  ${inv.id} ${inv.locale} row ${i}: got ${JSON.stringify(g ?? null)} want ${JSON.stringify(truth)}`);
      }
    });
    if (all) docsRight++;
  }
  console.log(`\n${title}: ${invoices.length} invoices, ${rows} rows (${((performance.now() - t0) / 1000).toFixed(1)} s; extraction ${(ms / invoices.length).toFixed(2)} ms an invoice)`);
  console.log(`  rows right (all four columns)  ${pct(rowsRight, rows).padStart(7)}   ${rowsRight}/${rows}`);
  for (const [k, v] of Object.entries(col)) console.log(`  ${k.padEnd(30)} ${pct(v, rows).padStart(7)}`);
  console.log(`  invoices with every row right  ${pct(docsRight, invoices.length).padStart(7)}   ${docsRight}/${invoices.length}`);
  console.log(`  rows missed ${missing}, extra rows ${extra}`);
}

const invoices = generateInvoices(SEED, Number(arg('invoices', '300')));
await score(`(a) unseen synthetic invoices (seed ${SEED}), generator words and boxes`, invoices, async (inv) => inv.pages);
await score(`(b) the same invoices as PDFs, read back through the text-layer task`, invoices.slice(0, Number(arg('pdf', '100'))), async (inv) => {
  const res = await parsePdf({ bytes: invoicePdf(inv) });
  if (res.kind !== 'parsed') throw new Error(`${inv.id}: ${res.kind}`);
  return res.pages.map((p) => ({ words: p.words.map((w) => ({ t: w.text, b: [w.box.x, w.box.y, w.box.w, w.box.h] as [number, number, number, number] })) }));
});
