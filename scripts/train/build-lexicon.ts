/**
 * Builds the receipt word lexicon (src/modules/extraction/receipt-lexicon.json) that OCR
 * correction checks words against: every word of three or more letters and how many receipts
 * use it, from the SROIE 2019 training text (../shared/data/receipts/train_text: line
 * transcripts and keys, CC-BY-4.0); and the company names and addresses of those receipts'
 * keys, commonest first, which OCR'd names and addresses are snapped to, and which name went
 * with which address (known-values.ts). The 50 receipts that have images — the end-to-end
 * benchmark's test set — are left out, as they are from the extractor's training, so the
 * benchmark stays a measure on unseen receipts. Words used by fewer than MIN_RECEIPTS
 * receipts are dropped. Deterministic: a re-run writes the same bytes.
 *
 *   node --import tsx scripts/train/build-lexicon.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { imageIndex, loadTrainText } from './sroie';
import { receiptsDir, repoRoot } from './train-extractor';

/** A word must occur on at least this many training receipts to enter the lexicon. */
const MIN_RECEIPTS = 2;

/** Distinct values (spacing tidied) and how many receipts have each, commonest first. */
function countValues(values: Array<string | undefined>): Record<string, number> {
  const n = new Map<string, number>();
  for (const v of values) {
    const value = v?.replace(/\s+/g, ' ').trim();
    if (value) n.set(value, (n.get(value) ?? 0) + 1);
  }
  return Object.fromEntries([...n].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

function main(): void {
  if (!fs.existsSync(receiptsDir)) {
    console.error(`No receipts at ${receiptsDir}`);
    process.exit(2);
  }
  const heldOut = new Set(imageIndex(receiptsDir).values());
  const docs = loadTrainText(receiptsDir).filter((d) => !heldOut.has(d.id));
  const df = new Map<string, number>();
  for (const d of docs) {
    const text = [...d.pages.flatMap((p) => p.words.map((w) => w.t)), d.key.company ?? '', d.key.address ?? ''].join(' ');
    const words = new Set(text.toUpperCase().match(/\p{Lu}{3,}/gu) ?? []);
    for (const w of words) df.set(w, (df.get(w) ?? 0) + 1);
  }
  const companies = countValues(docs.map((d) => d.key.company));
  const addresses = countValues(docs.map((d) => d.key.address));
  // Which name went with which address, each pair once, in receipt order.
  const tidy = (v: string | undefined) => v?.replace(/\s+/g, ' ').trim() ?? '';
  const vendors = [...new Set(docs.filter((d) => tidy(d.key.company) && tidy(d.key.address)).map((d) => JSON.stringify([tidy(d.key.company), tidy(d.key.address)])))].map((v) => JSON.parse(v) as [string, string]);
  const words = Object.fromEntries([...df].filter(([, n]) => n >= MIN_RECEIPTS).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  const out = path.join(repoRoot, 'src/modules/extraction/receipt-lexicon.json');
  const doc = {
    about: `Words of 3+ letters and the number of receipts using them, from ${docs.length} SROIE 2019 training receipts (CC-BY-4.0; the ${heldOut.size} benchmark receipts left out). Written by scripts/train/build-lexicon.ts.`,
    receipts: docs.length,
    words,
    companies,
    addresses,
    vendors,
  };
  fs.writeFileSync(out, `${JSON.stringify(doc)}\n`);
  console.log(`wrote ${path.relative(repoRoot, out)}: ${Object.keys(words).length} words, ${Object.keys(companies).length} companies, ${Object.keys(addresses).length} addresses from ${docs.length} receipts`);
}

main();
