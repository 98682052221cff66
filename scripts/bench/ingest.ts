/**
 * Ingest benchmark: text-PDF parsing throughput, scanned-page OCR throughput with two OCR
 * workers, peak memory, and the same scanned pages read by the native `tesseract` CLI.
 *
 *   node --import tsx scripts/bench/ingest.ts [--rounds 3]
 *
 * Uses ../shared/data/pdfs (categories `text_layer` and `scanned` of its manifest).
 *
 * OCR comparison, stated in the output as well:
 *  - both sides read the same rendered pages (8-bit gray PGM files, ≤ 300 dpi), two at a time:
 *    ours in two OCR pool workers, native in two `tesseract` processes with one thread each;
 *  - ours does what the product does per page: trims dark scan borders, detects the orientation
 *    (tesseract OSD on a ≤ 2.5 MP copy), turns the page upright, recognizes it (LSTM, automatic
 *    layout = --psm 3) and returns lines and words with boxes and confidences;
 *  - native runs `tesseract <page> stdout --psm 3 --dpi <dpi> tsv` (words with boxes and
 *    confidences, no orientation detection) with the same LSTM traineddata file as ours; then
 *    with `--psm 1`, which adds orientation detection with the same osd model as ours, so both
 *    sides do the same work; and once more with Debian's own eng model for reference;
 *  - wall time is the headline; CPU time (all threads / child processes) is reported too, as it
 *    is less affected by other load on a shared machine; the load average is printed.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { WorkerPools } from '../../src/platform/workers/pools';
import { OCR_MODEL } from '../../src/platform/workers/tasks/ocr.task';
import { encodePgm } from '../../src/platform/workers/tasks/raster';
import type { GrayImage } from '../../src/platform/workers/tasks/types';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pdfDir = path.resolve(repoRoot, '../shared/data/pdfs');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
const OCR_THREADS = 2;

interface Entry {
  file: string;
  category: string;
  pages?: number | null;
}

/** Peak resident memory of this process (all threads: main, pool workers, tesseract workers). */
function peakRssMb(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

const read = (file: string) => new Uint8Array(fs.readFileSync(path.join(pdfDir, file)));
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');

/** CPU time in ms: of this process (all threads), or of its finished child processes. */
function cpuMs(of: 'self' | 'children'): number {
  if (of === 'self') {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  // /proc/self/stat fields 16 and 17: cutime, cstime in clock ticks (100 Hz on Linux).
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** Wall and CPU time of one OCR run over the pages. */
interface OcrTiming {
  ms: number;
  cpuMs: number;
}

async function benchText(pools: WorkerPools, files: Entry[]): Promise<void> {
  // Warm-up round: starts the workers and loads pdfjs in each.
  await Promise.all(files.map((e) => pools.parsePdf({ bytes: read(e.file) })));
  let pages = 0;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    const results = await Promise.all(files.map((e) => pools.parsePdf({ bytes: read(e.file) })));
    for (const res of results) if (res.kind === 'parsed') pages += res.pageCount;
  }
  const ms = performance.now() - started;
  console.log(`text PDFs: ${files.length} files x ${rounds} rounds = ${pages} pages in ${seconds(ms)} s`);
  console.log(`  parse throughput: ${((pages / ms) * 1000).toFixed(0)} pages/s (${pools.config.pdf.threads} pdf workers)`);
}

/** A rendered page kept on disk as PGM, so that the benchmark itself holds no pixels. */
interface PageFile {
  file: string;
  dpi: number;
}

function readPgm({ file, dpi }: PageFile): GrayImage {
  const bytes = fs.readFileSync(file);
  const [, w, h] = /^P5\n(\d+) (\d+)\n255\n/.exec(bytes.subarray(0, 40).toString('latin1'))!;
  const headerLength = `P5\n${w} ${h}\n255\n`.length;
  return { width: Number(w), height: Number(h), data: new Uint8Array(bytes.subarray(headerLength)), dpi };
}

async function renderScanned(pools: WorkerPools, files: Entry[], dir: string): Promise<PageFile[]> {
  const images: PageFile[] = [];
  const started = performance.now();
  const results = await Promise.all(
    files.map((e) => pools.renderPdfPages({ bytes: read(e.file), pages: Array.from({ length: e.pages ?? 1 }, (_, i) => i + 1) })),
  );
  for (const [i, res] of results.entries()) {
    if (res.kind !== 'pages') {
      console.log(`  ${files[i].file}: ${res.message}`);
      continue;
    }
    for (const p of res.pages) {
      if (p.kind === 'rendered') {
        const file = path.join(dir, `page-${images.length}.pgm`);
        fs.writeFileSync(file, encodePgm(p.image));
        images.push({ file, dpi: p.image.dpi ?? 300 });
      }
      else console.log(`  ${files[i].file} page ${p.page}: ${p.message}`);
    }
  }
  console.log(`scanned PDFs: rendered ${images.length} pages at up to 300 dpi in ${seconds(performance.now() - started)} s`);
  return images;
}

async function benchOcr(pools: WorkerPools, images: PageFile[]): Promise<OcrTiming> {
  // Warm-up: one small page per OCR worker loads tesseract and the traineddata.
  const small = { width: 400, height: 100, data: new Uint8Array(400 * 100).fill(255) };
  await Promise.all(Array.from({ length: OCR_THREADS }, () => pools.recognize({ image: { ...small, data: small.data.slice() } })));
  console.log(`  load average before OCR: ${load()}`);
  const cpuBefore = cpuMs('self');
  const started = performance.now();
  const results = await Promise.all(images.map((page) => pools.recognize({ image: readPgm(page) })));
  const ms = performance.now() - started;
  const cpu = cpuMs('self') - cpuBefore;
  const words = results.reduce((n, r) => n + (r.kind === 'recognized' ? r.words.length : 0), 0);
  const turned = results.filter((r) => r.kind === 'recognized' && r.rotation !== 0).length;
  console.log(`OCR (tesseract.js ${tesseractVersion()}, ${OCR_THREADS} pool workers; per page: border trim, orientation detection, one LSTM pass, words with boxes): ${images.length} pages in ${seconds(ms)} s`);
  console.log(`  ${((images.length / ms) * 60_000).toFixed(1)} scanned pages/min; CPU ${seconds(cpu)} s; ${words} words; ${turned} pages turned upright; load average after: ${load()}`);
  return { ms, cpuMs: cpu };
}

function tesseractVersion(): string {
  const pkg = fileURLToPath(import.meta.resolve('tesseract.js/package.json'));
  return JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
}

async function benchNative(images: PageFile[], ours: OcrTiming, dir: string): Promise<void> {
  let version: string;
  try {
    const { stdout, stderr } = await run('tesseract', ['--version']);
    version = /tesseract ([\w.]+)/.exec(stdout + stderr)?.[1] ?? '?';
  } catch {
    console.log('native tesseract: not installed (apt-get install -y tesseract-ocr) — skipped');
    return;
  }
  const files = images.map((p) => ({ file: p.file, dpi: String(p.dpi >= 70 ? p.dpi : 300) }));
  // The very traineddata file our OCR loads (OCR_MODEL of the OCR task), unpacked for the CLI.
  const ourModel = path.join(dir, 'tessdata');
  fs.mkdirSync(ourModel);
  const gz = path.join(path.dirname(fileURLToPath(import.meta.resolve('@tesseract.js-data/eng/package.json'))), OCR_MODEL, 'eng.traineddata.gz');
  fs.writeFileSync(path.join(ourModel, 'eng.traineddata'), zlib.gunzipSync(fs.readFileSync(gz)));
  // The orientation model our OCR loads, for the like-for-like run with orientation detection.
  const osdGz = path.join(path.dirname(fileURLToPath(import.meta.resolve('@tesseract.js-data/osd/package.json'))), '4.0.0', 'osd.traineddata.gz');
  fs.writeFileSync(path.join(ourModel, 'osd.traineddata'), zlib.gunzipSync(fs.readFileSync(osdGz)));

  for (const [label, psm, extra] of [
    [`the same traineddata as ours (@tesseract.js-data/eng ${OCR_MODEL}), no orientation detection`, '3', ['--tessdata-dir', ourModel]],
    [`the same traineddata as ours, with orientation detection like ours (--psm 1, @tesseract.js-data/osd)`, '1', ['--tessdata-dir', ourModel]],
    ["Debian's eng model (tessdata_fast, a smaller network: reference only), no orientation detection", '3', [] as string[]],
  ] as const) {
    console.log(`  load average before native run: ${load()}`);
    const cpuBefore = cpuMs('children');
    const started = performance.now();
    let next = 0;
    const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
    // Two processes at a time, one thread each: the same parallelism as our two workers.
    await Promise.all(
      Array.from({ length: OCR_THREADS }, async () => {
        while (next < files.length) {
          const { file, dpi } = files[next++];
          await run('tesseract', [file, 'stdout', '--dpi', dpi, '--psm', psm, '-l', 'eng', ...extra, 'tsv'], { env, maxBuffer: 1 << 26 });
        }
      }),
    );
    const ms = performance.now() - started;
    const cpu = cpuMs('children') - cpuBefore;
    console.log(`native tesseract ${version} CLI, ${label}: ${OCR_THREADS} processes, OMP_THREAD_LIMIT=1, --psm ${psm}, tsv output: ${images.length} pages in ${seconds(ms)} s`);
    console.log(`  ${((images.length / ms) * 60_000).toFixed(1)} pages/min; CPU ${seconds(cpu)} s; load average after: ${load()}`);
    console.log(`  => ours takes ${(ours.ms / ms).toFixed(2)}x the native wall time per page (CPU time: ${(ours.cpuMs / cpu).toFixed(2)}x)`);
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(pdfDir, 'manifest.json'))) {
    console.error(`No benchmark data at ${pdfDir}`);
    process.exit(2);
  }
  const manifest: Entry[] = JSON.parse(fs.readFileSync(path.join(pdfDir, 'manifest.json'), 'utf8'));
  const pools = new WorkerPools({ ocr: { threads: OCR_THREADS } });
  let sampledPeak = 0;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss)), 100);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-bench-'));
  console.log(`cores: ${os.availableParallelism()}, node ${process.version}`);
  try {
    await benchText(pools, manifest.filter((e) => e.category === 'text_layer'));
    const images = await renderScanned(pools, manifest.filter((e) => e.category === 'scanned'), dir);
    const ocr = await benchOcr(pools, images);
    console.log(`peak memory (RSS, main thread + all worker threads): ${peakRssMb()} MB (sampled every 100 ms: ${Math.round(sampledPeak / 1048576)} MB)`);
    await benchNative(images, ocr, dir);
  } finally {
    clearInterval(sampler);
    fs.rmSync(dir, { recursive: true, force: true });
    await pools.close();
  }
}

await main();
