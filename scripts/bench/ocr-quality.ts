/**
 * OCR quality benchmark: character error rate (CER) of Folio's OCR on the 50 SROIE receipts
 * in ../shared/data/receipts, against their line transcripts (box/<id>.csv).
 *
 *   node --import tsx scripts/bench/ocr-quality.ts [--engine ppocr|tesseract|both] [--native]
 *
 * Comparison, applied identically to our output and to the reference:
 *  1. take text lines with their boxes (reference: CSV rows; ours: OCR lines, boxes mapped
 *     back to the image as stored if the page was turned);
 *  2. order them for reading: group lines into rows whose vertical centres lie within half a
 *     line height of each other, rows top to bottom, lines left to right within a row;
 *  3. join with single spaces, collapse runs of whitespace, trim, and fold case (upper);
 *  4. CER = Levenshtein distance / reference length. Reported micro-averaged (all edits over
 *     all reference characters), as a median per receipt, and without case folding.
 * --engine picks Folio's OCR engine (default ppocr; both runs one after the other). With
 * --native the Debian `tesseract` CLI reads the same images for comparison.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WorkerPools } from '../../src/platform/workers/pools';
import { toSourceBox } from '../../src/platform/workers/tasks/raster';
import { OCR_ENGINES, type OcrEngine } from '../../src/platform/workers/tasks/types';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const receipts = path.resolve(repoRoot, '../shared/data/receipts');
const native = process.argv.includes('--native');
const engineArg = process.argv.includes('--engine') ? process.argv[process.argv.indexOf('--engine') + 1] : 'ppocr';
const engines: OcrEngine[] = engineArg === 'both' ? ['ppocr', 'tesseract'] : [engineArg as OcrEngine];
if (!engines.every((e) => (OCR_ENGINES as readonly string[]).includes(e))) {
  console.error(`--engine must be ${OCR_ENGINES.join(', ')} or both`);
  process.exit(2);
}

/** A line of text with its box (any consistent unit, origin top-left). */
interface Line {
  text: string;
  x: number;
  y: number;
  h: number;
}

/** Reading-order text of a set of lines (step 2 and 3 above, without case folding). */
function readingText(lines: Line[]): string {
  const sorted = lines.filter((l) => l.text.trim()).sort((a, b) => a.y + a.h / 2 - (b.y + b.h / 2));
  const rows: Line[][] = [];
  for (const line of sorted) {
    const row = rows.at(-1);
    const centre = line.y + line.h / 2;
    const last = row?.at(-1);
    if (row && last && Math.abs(centre - (last.y + last.h / 2)) <= Math.min(line.h, last.h) / 2) row.push(line);
    else rows.push([line]);
  }
  return rows
    .map((row) => row.sort((a, b) => a.x - b.x).map((l) => l.text).join(' '))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Levenshtein distance with two rolling rows. */
function editDistance(a: string, b: string): number {
  let prev = new Uint32Array(b.length + 1).map((_, j) => j);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

function referenceLines(id: string): Line[] {
  const rows = fs.readFileSync(path.join(receipts, 'box', `${id}.csv`), 'utf8').split(/\r?\n/);
  const lines: Line[] = [];
  for (const row of rows) {
    const parts = row.split(',');
    if (parts.length < 9) continue;
    const nums = parts.slice(0, 8).map(Number);
    const xs = [nums[0], nums[2], nums[4], nums[6]], ys = [nums[1], nums[3], nums[5], nums[7]];
    const y = Math.min(...ys);
    lines.push({ text: parts.slice(8).join(','), x: Math.min(...xs), y, h: Math.max(...ys) - y });
  }
  return lines;
}

async function ourLines(pools: WorkerPools, file: string, engine: OcrEngine): Promise<Line[]> {
  const decoded = await pools.decodeImage({ bytes: new Uint8Array(fs.readFileSync(file)) });
  if (decoded.kind !== 'decoded') throw new Error(`${file}: ${decoded.message}`);
  const result = await pools.recognize({ image: decoded.pages[0], engine });
  if (result.kind !== 'recognized') throw new Error(`${file}: ${result.message}`);
  const { width, height } = decoded.pages[0];
  return result.lines.map((l) => {
    const b = toSourceBox(l.box, result.rotation);
    return { text: l.text, x: b.x * width, y: b.y * height, h: b.h * height };
  });
}

async function nativeLines(file: string): Promise<Line[]> {
  const { stdout } = await run('tesseract', [file, 'stdout', '--psm', '3', 'tsv'], {
    env: { ...process.env, OMP_THREAD_LIMIT: '1' },
    maxBuffer: 1 << 26,
  });
  const byLine = new Map<string, { words: string[]; x: number; y: number; y2: number }>();
  for (const row of stdout.split('\n').slice(1)) {
    const c = row.split('\t');
    if (c.length < 12 || c[0] !== '5' || !c[11].trim()) continue;
    const key = `${c[2]}.${c[3]}.${c[4]}`;
    const [left, top, , height] = c.slice(6, 10).map(Number);
    const line = byLine.get(key) ?? { words: [], x: left, y: top, y2: top + height };
    line.words.push(c[11]);
    line.x = Math.min(line.x, left);
    line.y = Math.min(line.y, top);
    line.y2 = Math.max(line.y2, top + height);
    byLine.set(key, line);
  }
  return [...byLine.values()].map((l) => ({ text: l.words.join(' '), x: l.x, y: l.y, h: l.y2 - l.y }));
}

interface Score {
  edits: number;
  editsCased: number;
  chars: number;
}

function score(hyp: Line[], ref: Line[]): Score {
  const h = readingText(hyp), r = readingText(ref);
  return { edits: editDistance(h.toUpperCase(), r.toUpperCase()), editsCased: editDistance(h, r), chars: r.length };
}

function report(label: string, scores: Score[], ms: number): void {
  const sum = (k: keyof Score) => scores.reduce((n, s) => n + s[k], 0);
  const per = scores.map((s) => s.edits / s.chars).sort((a, b) => a - b);
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  console.log(`${label}: ${scores.length} receipts in ${(ms / 1000).toFixed(1)} s`);
  console.log(`  CER (case-folded, micro): ${pct(sum('edits') / sum('chars'))}; median per receipt ${pct(per[per.length >> 1])}; worst ${pct(per.at(-1)!)}`);
  console.log(`  CER (case-sensitive, micro): ${pct(sum('editsCased') / sum('chars'))}`);
}

async function main(): Promise<void> {
  const imgDir = path.join(receipts, 'img');
  if (!fs.existsSync(imgDir)) {
    console.error(`No receipts at ${imgDir}`);
    process.exit(2);
  }
  const ids = fs.readdirSync(imgDir).filter((f) => f.endsWith('.jpg')).map((f) => f.slice(0, -4)).sort();
  const pools = new WorkerPools({ pdf: { threads: 2 }, ocr: { threads: 2 } });
  try {
    let started = performance.now();
    for (const engine of engines) {
      started = performance.now();
      const ours = await Promise.all(ids.map(async (id) => score(await ourLines(pools, path.join(imgDir, `${id}.jpg`), engine), referenceLines(id))));
      report(`Folio OCR (${engine === 'ppocr' ? 'PP-OCRv4 models in onnxruntime' : 'tesseract.js'}, 2 workers)`, ours, performance.now() - started);
    }
    if (native) {
      started = performance.now();
      const theirs: Score[] = [];
      for (let i = 0; i < ids.length; i += 2) {
        const pair = ids.slice(i, i + 2);
        const lines = await Promise.all(pair.map((id) => nativeLines(path.join(imgDir, `${id}.jpg`))));
        pair.forEach((id, k) => theirs.push(score(lines[k], referenceLines(id))));
      }
      report("native tesseract CLI (Debian's eng model, 2 processes)", theirs, performance.now() - started);
    }
  } finally {
    await pools.close();
  }
}

await main();
