/**
 * Worker task: OCR of a gray page. The page is turned upright first (orientation from
 * tesseract's OSD, checked against recognition confidence), then read by one of two
 * engines: the PP-OCRv4 models in onnxruntime (`text-reader.ts`; English, the default) or
 * tesseract.js with local traineddata (any installed language, and the `tesseract` engine).
 * The engines are created once per thread and reused; the turn applied and the skew found
 * are reported with the words.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { isWorkerThread } from 'piscina';
import Tesseract from 'tesseract.js';
import { boxAround, contentRect, cropGray, downscaleToDpi, downscaleToPixels, encodePgm, medianSkewDegrees, rotateGray, shrinkGray, type PixelRect } from './raster';
import { readText, type ReadRegion } from './text-reader';
import { DEFAULT_LIMITS, type Box, type GrayImage, type OcrEngine, type QuarterTurn, type TaskFailure } from './types';

const require = createRequire(import.meta.url);

/** Input of `recognize`. */
export interface OcrInput {
  image: GrayImage;
  /** Traineddata language installed as `@tesseract.js-data/<lang>`. Default 'eng'. */
  lang?: string;
  /** 'ppocr' reads English with the PP-OCRv4 models (other languages with tesseract); 'tesseract' always uses tesseract. Default 'ppocr'. */
  engine?: OcrEngine;
  /** 'auto' detects the orientation; a number forces that clockwise turn. Default 'auto'. */
  rotation?: 'auto' | QuarterTurn;
  /** Refuse larger images (the pool's image limit). Default 64 MP. */
  maxPixels?: number;
}

/** A recognized word; the box is normalized to the upright image. */
export interface OcrWord {
  text: string;
  /** 0..100 */
  confidence: number;
  box: Box;
  /** Index into `lines`. */
  line: number;
}

/** A recognized line of words. */
export interface OcrLine {
  text: string;
  confidence: number;
  box: Box;
}

/** Result of `recognize`. */
export type OcrResult =
  | {
      kind: 'recognized';
      /** Clockwise turn applied to the input to make it upright (see `toSourceBox`). */
      rotation: QuarterTurn;
      /** Skew of the text lines after the turn, in degrees counter-clockwise; tesseract reads along it. */
      skewDegrees: number;
      /** Size of the upright image the boxes refer to. */
      width: number;
      height: number;
      /** Mean word confidence weighted by word length, 0..100 (0 without words). */
      confidence: number;
      text: string;
      lines: OcrLine[];
      words: OcrWord[];
      orientation: { degrees: number; confidence: number } | null;
    }
  | TaskFailure<'image_too_large' | 'empty_image' | 'unknown_language'>;

/** OSD confidence from which its verdict is applied without a second look. */
const OSD_TRUSTED = 5;
/** Orientation checks run on a copy shrunk to about this many pixels (~150 dpi Letter). */
const PREVIEW_PIXELS = 2_500_000;
/** Recognition at or above this mean confidence is accepted as upright without comparing turns. */
const GOOD_CONFIDENCE = 50;
/** Below this many words there is nothing to compare orientations with. */
const MIN_WORDS_TO_COMPARE = 3;
/** Pages with a higher known resolution are scaled down to this for recognition. */
const MAX_OCR_DPI = 300;
/**
 * Pages of unknown resolution with more pixels than A4 at 300 dpi are scaled down to it:
 * such images are high-resolution scans that lost their DPI (many scanners write 72), and
 * tesseract reads them no better, only several times slower.
 */
const MAX_UNKNOWN_DPI_PIXELS = 2480 * 3508;

const engines = new Map<string, Promise<Tesseract.Worker>>();

/**
 * Tesseract prints diagnostics ("Estimating resolution as 300", leptonica errors) from its
 * own thread, which Node forwards to this worker's stdout/stderr and on into the process's
 * JSON logs. In a pool worker, those known lines are dropped; anything else passes.
 */
const TESSERACT_NOISE = /^(Estimating resolution as|Warning\. Invalid resolution|Detected \d+ diacritics|Too few characters|Error in \w+:|Empty page)/;
if (isWorkerThread) {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      const kept = text.split(/(?<=\n)/).filter((line) => !TESSERACT_NOISE.test(line)).join('');
      if (text && kept === '') return true;
      return write(text ? kept : chunk, ...rest);
    }) as typeof stream.write;
  }
}

/**
 * Traineddata variant of the recognition languages. '4.0.0_best_int' holds only the LSTM
 * model; '4.0.0' holds an LSTM model of the same architecture (as fast; same 12.9% CER on the
 * receipt benchmark) plus the legacy engine's data, 4× the size. OSD needs 'osd' 4.0.0.
 */
export const OCR_MODEL = '4.0.0_best_int';

function dataDir(lang: string, legacy: boolean): string {
  const pkg = path.dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`));
  return path.join(pkg, legacy ? '4.0.0' : OCR_MODEL);
}

/** The thread's engine for a language (LSTM) or for orientation detection ('osd', legacy). */
function engine(lang: string): Promise<Tesseract.Worker> {
  let worker = engines.get(lang);
  if (!worker) {
    const legacy = lang === 'osd';
    worker = Tesseract.createWorker(lang, legacy ? Tesseract.OEM.TESSERACT_ONLY : Tesseract.OEM.LSTM_ONLY, {
      langPath: dataDir(lang, legacy),
      cacheMethod: 'none',
      gzip: true,
      legacyCore: legacy,
      legacyLang: legacy,
    }).then(async (w) => {
      await w.setParameters({ debug_file: '/dev/null' });
      return w;
    });
    worker.catch(() => engines.delete(lang));
    engines.set(lang, worker);
  }
  return worker;
}

/** Reads the words of a page image, turning it upright first. */
export async function recognize(input: OcrInput): Promise<OcrResult> {
  const { image } = input;
  const lang = input.lang ?? 'eng';
  const maxPixels = input.maxPixels ?? DEFAULT_LIMITS.maxImagePixels;
  if (image.width < 1 || image.height < 1 || image.data.length < image.width * image.height) {
    return { kind: 'error', code: 'empty_image', message: 'The page image is empty.' };
  }
  if (image.width * image.height > maxPixels) {
    return { kind: 'error', code: 'image_too_large', message: `The page image is larger than ${Math.round(maxPixels / 1e6)} MP.` };
  }
  if (!/^[a-z_]{3,12}$/.test(lang) || !hasLanguage(lang)) {
    return { kind: 'error', code: 'unknown_language', message: `No OCR data is installed for language "${lang}".` };
  }
  // Scans above ~300 dpi are read at 300 dpi (those of unknown resolution at the size of A4
  // at 300 dpi at most): tesseract reads no better from more pixels, only slower. Boxes are
  // normalized, so they do not depend on the scale; the reported size is that of the input
  // turned upright.
  const page = downscaleToPixels(downscaleToDpi(image, MAX_OCR_DPI), MAX_UNKNOWN_DPI_PIXELS);
  const withModels = (input.engine ?? 'ppocr') === 'ppocr' && lang === 'eng';
  const read = async (img: GrayImage, turn: QuarterTurn): Promise<Reading> => {
    const reading = withModels ? await readTurnedWithModels(img, turn) : await readTurned(img, turn, lang);
    const quarter = turn === 90 || turn === 270;
    return { ...reading, width: quarter ? image.height : image.width, height: quarter ? image.width : image.height };
  };

  if (input.rotation !== undefined && input.rotation !== 'auto') return { ...(await read(page, input.rotation)), orientation: null };

  const preview = shrinkGray(page, PREVIEW_PIXELS);
  const orientation = await detectOrientation(preview);
  if (orientation && orientation.confidence >= OSD_TRUSTED) return { ...(await read(page, orientation.degrees)), orientation };

  // OSD is unsure: read upright, and only if that reading is poor compare the four turns
  // on the small preview, re-reading at full size when another turn is clearly better.
  const upright = await read(page, 0);
  if (upright.confidence >= GOOD_CONFIDENCE || upright.words.length < MIN_WORDS_TO_COMPARE) return { ...upright, orientation };
  const scores = new Map<QuarterTurn, number>();
  for (const turn of [0, 90, 180, 270] as QuarterTurn[]) scores.set(turn, (await read(preview, turn)).confidence);
  const [bestTurn, bestScore] = [...scores].sort((a, b) => b[1] - a[1])[0];
  if (bestTurn === 0 || bestScore < scores.get(0)! + 10) return { ...upright, orientation };
  const turned = await read(page, bestTurn);
  return { ...(turned.confidence > upright.confidence ? turned : upright), orientation };
}

function hasLanguage(lang: string): boolean {
  try {
    dataDir(lang, false);
    return true;
  } catch {
    return false;
  }
}

async function detectOrientation(image: GrayImage): Promise<{ degrees: QuarterTurn; confidence: number } | null> {
  try {
    const osd = await engine('osd');
    await osd.setParameters({ user_defined_dpi: dpiOf(image) });
    const { data } = await osd.detect(encodePgm(cropGray(image, contentRect(image))) as never);
    if (data.orientation_degrees === null || data.orientation_confidence === null) return null;
    const degrees = (((data.orientation_degrees % 360) + 360) % 360) as QuarterTurn;
    return { degrees, confidence: Math.round(data.orientation_confidence * 100) / 100 };
  } catch {
    return null; // Too little text to tell; recognition decides.
  }
}

type Reading = Omit<Extract<OcrResult, { kind: 'recognized' }>, 'orientation'>;

/**
 * The DPI to tell tesseract: the image's own when plausible, else '0' so that tesseract
 * estimates it from the text height. 72 and 96 are what cameras and editors write when they
 * do not know, so they count as unknown.
 */
function dpiOf(image: GrayImage): string {
  return String(image.dpi && image.dpi > 96 && image.dpi <= 2400 ? image.dpi : 0);
}

async function readTurned(image: GrayImage, turn: QuarterTurn, lang: string): Promise<Reading> {
  const upright = rotateGray(image, turn);
  const { width, height } = upright;
  const rect = contentRect(upright);
  const worker = await engine(lang);
  // One pass of tesseract: its layout analysis measures the skew and reads each line along
  // it; only the words (JSON blocks) are built, no text, hOCR or TSV rendering.
  const { data } = await worker.recognize(
    encodePgm(cropGray(upright, rect)) as never,
    { user_defined_dpi: dpiOf(upright) } as never,
    { blocks: true, text: false },
  );
  const box = (b: { x0: number; y0: number; x1: number; y1: number }) => pixelBox(b, rect, width, height);
  const lines: OcrLine[] = [];
  const words: OcrWord[] = [];
  const slopes: Array<[angle: number, weight: number]> = [];
  let weighted = 0;
  let letters = 0;
  for (const block of data.blocks ?? []) {
    for (const para of block.paragraphs) {
      for (const line of para.lines) {
        const lineWords = line.words.filter((w) => w.text.trim());
        if (lineWords.length === 0) continue;
        for (const w of lineWords) {
          words.push({ text: w.text.trim(), confidence: Math.round(w.confidence), box: box(w.bbox), line: lines.length });
          weighted += w.confidence * w.text.length;
          letters += w.text.length;
        }
        const text = lineWords.map((w) => w.text.trim()).join(' ');
        lines.push({ text, confidence: Math.round(line.confidence), box: box(line.bbox) });
        const b = line.baseline;
        if (b && b.x1 - b.x0 > 0) slopes.push([Math.atan2(b.y1 - b.y0, b.x1 - b.x0), (b.x1 - b.x0) * lineWords.length]);
      }
    }
  }
  return reading({ rotation: turn, skewDegrees: medianSkewDegrees(slopes), width, height, lines, words }, weighted, letters);
}

/** A reading from its lines and words; its confidence is `weighted` (confidence × letters) over `letters`. */
function reading(parts: Omit<Reading, 'kind' | 'confidence' | 'text'>, weighted: number, letters: number): Reading {
  const confidence = letters ? Math.round((weighted / letters) * 10) / 10 : 0;
  return { kind: 'recognized', ...parts, confidence, text: parts.lines.map((l) => l.text).join('\n') };
}

/**
 * Reads a turned page with the PP-OCRv4 models. Their text regions become lines: regions
 * side by side on one row (a label and its amount far to the right) make one line, left to
 * right.
 */
async function readTurnedWithModels(image: GrayImage, turn: QuarterTurn): Promise<Reading> {
  const upright = rotateGray(image, turn);
  const { width, height } = upright;
  const rect = contentRect(upright);
  const { regions, skewDegrees } = await readText(cropGray(upright, rect));
  const box = (b: { left: number; top: number; right: number; bottom: number }) => pixelBox({ x0: b.left, y0: b.top, x1: b.right, y1: b.bottom }, rect, width, height);
  const lines: OcrLine[] = [];
  const words: OcrWord[] = [];
  let weighted = 0;
  let letters = 0;
  for (const row of rowsOf(regions)) {
    const rowWords = row.flatMap((r) => r.words);
    let lineWeighted = 0, lineLetters = 0;
    for (const w of rowWords) {
      words.push({ text: w.text, confidence: w.confidence, box: box(w), line: lines.length });
      lineWeighted += w.confidence * w.text.length;
      lineLetters += w.text.length;
    }
    weighted += lineWeighted;
    letters += lineLetters;
    const around = { left: Math.min(...row.map((r) => r.left)), top: Math.min(...row.map((r) => r.top)), right: Math.max(...row.map((r) => r.right)), bottom: Math.max(...row.map((r) => r.bottom)) };
    lines.push({ text: rowWords.map((w) => w.text).join(' '), confidence: Math.round(lineWeighted / lineLetters), box: box(around) });
  }
  return reading({ rotation: turn, skewDegrees, width, height, lines, words }, weighted, letters);
}

/**
 * Text regions grouped into rows, top to bottom: a region joins the row above when the
 * middle of each lies within the other's height. Each row's regions are left to right.
 */
export function rowsOf(regions: ReadRegion[]): ReadRegion[][] {
  const sorted = [...regions].sort((a, b) => a.top + a.bottom - (b.top + b.bottom));
  const rows: ReadRegion[][] = [];
  for (const region of sorted) {
    const row = rows.at(-1);
    const middle = (region.top + region.bottom) / 2;
    const last = row?.at(-1);
    if (row && last && middle >= last.top && middle <= last.bottom && (last.top + last.bottom) / 2 >= region.top && (last.top + last.bottom) / 2 <= region.bottom) row.push(region);
    else rows.push([region]);
  }
  for (const row of rows) row.sort((a, b) => a.left - b.left);
  return rows;
}


/** A tesseract box on the cropped rectangle, as a box normalized to the whole upright image. */
function pixelBox(b: { x0: number; y0: number; x1: number; y1: number }, rect: PixelRect, width: number, height: number): Box {
  const { left: dx, top: dy } = rect;
  return boxAround([[b.x0 + dx, b.y0 + dy], [b.x1 + dx, b.y1 + dy]], width, height);
}

/** Stops this thread's engines (used by tests and on pool shutdown). */
export async function shutdownOcr(): Promise<void> {
  const all = [...engines.values()];
  engines.clear();
  await Promise.all(all.map(async (w) => (await w.catch(() => null))?.terminate()));
}
