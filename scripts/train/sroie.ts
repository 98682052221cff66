/**
 * Reads the SROIE receipts in ../shared/data/receipts: line transcripts with boxes
 * (`x1,y1,…,y4,text`) become pages of words (each line's box shared out over its words by
 * character count), keys become ground truth.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExtractionPage, PageWord } from '../../src/modules/extraction/candidates';

/** SROIE ground truth of one receipt. */
export interface ReceiptKey {
  company: string;
  date: string;
  address: string;
  total: string;
}

/** One receipt: its id, pages and key. */
export interface ReceiptDoc {
  id: string;
  pages: ExtractionPage[];
  key: ReceiptKey;
}

/** Words of a line-level OCR transcript; box coordinates are divided by the largest extent. */
export function wordsFromBoxCsv(csv: string): PageWord[] {
  const lines: Array<{ x0: number; y0: number; x1: number; y1: number; text: string }> = [];
  for (const row of csv.split(/\r?\n/)) {
    const parts = row.split(',');
    if (parts.length < 9) continue;
    const n = parts.slice(0, 8).map(Number);
    if (n.some((v) => !Number.isFinite(v))) continue;
    const xs = [n[0], n[2], n[4], n[6]], ys = [n[1], n[3], n[5], n[7]];
    lines.push({ x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys), text: parts.slice(8).join(',') });
  }
  const W = Math.max(1, ...lines.map((l) => l.x1)), H = Math.max(1, ...lines.map((l) => l.y1));
  const words: PageWord[] = [];
  for (const l of lines) {
    const text = l.text.trim();
    if (!text) continue;
    const per = (l.x1 - l.x0) / Math.max(1, text.length);
    const re = /\S+/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const x = l.x0 + m.index * per;
      words.push({ t: m[0], b: [x / W, l.y0 / H, (m[0].length * per) / W, (l.y1 - l.y0) / H] });
    }
  }
  return words;
}

/** The receipts of `receipts/train_text` (576), sorted by index. */
export function loadTrainText(receiptsDir: string): ReceiptDoc[] {
  const boxDir = path.join(receiptsDir, 'train_text/box'), keyDir = path.join(receiptsDir, 'train_text/key');
  return fs.readdirSync(keyDir).filter((f) => f.endsWith('.json')).sort().flatMap((f) => {
    const id = f.slice(0, -5);
    const csvFile = path.join(boxDir, `${id}.csv`);
    if (!fs.existsSync(csvFile)) return [];
    const key = JSON.parse(fs.readFileSync(path.join(keyDir, f), 'utf8')) as ReceiptKey;
    return [{ id, pages: [{ words: wordsFromBoxCsv(fs.readFileSync(csvFile, 'utf8')) }], key }];
  });
}

/** Image id → train_text index of the 50 receipts that have images (they are also in train_text). */
export function imageIndex(receiptsDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of fs.readFileSync(path.join(receiptsDir, 'manifest.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { id: string; zzzDavid_index: string };
    out.set(row.id, row.zzzDavid_index);
  }
  return out;
}
