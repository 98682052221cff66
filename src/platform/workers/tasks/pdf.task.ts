/**
 * Worker task: read a PDF's structure and text layer. Pure: bytes and options in, a typed
 * result out. Expected failures (password, damage, limits) are results, not exceptions.
 */
import { loadPdfJs, openPdf } from './pdfjs';
import { buildPageText, type PdfLine, type PdfWord, type PositionedItem } from './text-layer';
import { DEFAULT_LIMITS, type DocumentLimits, type TaskFailure } from './types';

/** Input of `parsePdf`. */
export interface ParsePdfInput {
  bytes: Uint8Array;
  password?: string;
  limits?: Partial<DocumentLimits>;
  /** Only the first N pages get their text extracted (all are counted). Default: all. */
  maxTextPages?: number;
}

/** One page of a parsed PDF. Sizes are in points (1/72 in) after /Rotate and UserUnit. */
export interface PdfPage {
  number: number;
  width: number;
  height: number;
  /** The page's /Rotate, clockwise degrees. */
  rotation: number;
  text: string;
  words: PdfWord[];
  lines: PdfLine[];
  realChars: number;
  /** True when the text layer is good enough to skip OCR. */
  usable: boolean;
  /** Set when this page could not be read; the other pages still are. */
  error?: { code: 'page_too_large' | 'page_unreadable'; message: string };
}

/** Error codes of `parsePdf`. */
export type PdfErrorCode = 'not_pdf' | 'corrupt' | 'too_many_pages' | 'no_pages';

/** Result of `parsePdf`. */
export type PdfParseResult =
  | {
      kind: 'parsed';
      pageCount: number;
      encrypted: boolean;
      info: { title?: string; author?: string; producer?: string; creator?: string };
      pages: PdfPage[];
    }
  | { kind: 'needs_password' }
  | { kind: 'wrong_password' }
  | TaskFailure<PdfErrorCode>;

/** Opens a PDF and returns its pages with text, word boxes and a text-usability verdict. */
export async function parsePdf(input: ParsePdfInput): Promise<PdfParseResult> {
  const limits = { ...DEFAULT_LIMITS, ...input.limits };
  const opened = await openPdf(input.bytes, input.password, limits);
  if (opened.kind !== 'open') return opened;
  const { doc } = opened;
  try {
    const pageCount = doc.numPages;
    if (pageCount < 1) return { kind: 'error', code: 'no_pages', message: 'The PDF has no pages.' };
    if (pageCount > limits.maxPages) {
      return {
        kind: 'error',
        code: 'too_many_pages',
        message: `The PDF has ${pageCount} pages; at most ${limits.maxPages} are accepted.`,
      };
    }
    const meta = await doc.getMetadata().catch(() => undefined);
    const info = (meta?.info ?? {}) as Record<string, unknown>;
    const pages: PdfPage[] = [];
    const textPages = Math.min(pageCount, input.maxTextPages ?? pageCount);
    for (let n = 1; n <= pageCount; n++) pages.push(await readPage(doc, n, n <= textPages, limits));
    return {
      kind: 'parsed',
      pageCount,
      encrypted: opened.passwordUsed || typeof info.EncryptFilterName === 'string',
      info: {
        title: str(info.Title),
        author: str(info.Author),
        producer: str(info.Producer),
        creator: str(info.Creator),
      },
      pages,
    };
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}

type Doc = Extract<Awaited<ReturnType<typeof openPdf>>, { kind: 'open' }>['doc'];

async function readPage(doc: Doc, n: number, withText: boolean, limits: DocumentLimits): Promise<PdfPage> {
  const blank = { number: n, width: 0, height: 0, rotation: 0, text: '', words: [], lines: [], realChars: 0, usable: false };
  let page;
  try {
    page = await doc.getPage(n);
  } catch (err) {
    return { ...blank, error: { code: 'page_unreadable', message: `Page ${n} cannot be read: ${messageOf(err)}` } };
  }
  try {
    const viewport = page.getViewport({ scale: 1 });
    const base = { ...blank, width: round2(viewport.width), height: round2(viewport.height), rotation: page.rotate };
    const areaIn2 = (viewport.width / 72) * (viewport.height / 72);
    if (!(areaIn2 > 0) || areaIn2 > limits.maxPageAreaIn2) {
      const size = `${Math.round(viewport.width / 72)} × ${Math.round(viewport.height / 72)} in`;
      return { ...base, error: { code: 'page_too_large', message: `Page ${n} measures ${size}, above the size limit.` } };
    }
    if (!withText) return base;
    const { Util } = await loadPdfJs();
    const content = await page.getTextContent();
    const items: PositionedItem[] = [];
    for (const item of content.items) {
      if (!('str' in item)) continue;
      items.push({
        str: item.str,
        dir: item.dir,
        transform: Util.transform(viewport.transform, item.transform),
        width: item.width,
        height: item.height,
        hasEOL: item.hasEOL,
      });
    }
    return { ...base, ...buildPageText(items, viewport.width, viewport.height) };
  } catch (err) {
    return { ...blank, error: { code: 'page_unreadable', message: `Page ${n} cannot be read: ${messageOf(err)}` } };
  } finally {
    page.cleanup();
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
