/**
 * Worker task: render PDF pages to grayscale rasters for OCR, at a resolution bounded by a
 * pixel budget, refusing pages whose embedded images exceed the image-size limit.
 */
import { createCanvas } from '@napi-rs/canvas';
import { openPdf } from './pdfjs';
import { rgbaToGray } from './raster';
import { withTransfer } from './transfer';
import { DEFAULT_LIMITS, type DocumentLimits, type GrayImage, type TaskFailure } from './types';

/** Input of `renderPdfPages`. */
export interface RenderPdfInput {
  bytes: Uint8Array;
  password?: string;
  /** 1-based page numbers. */
  pages: number[];
  /** Target resolution; lowered per page when the page would exceed `maxRenderPixels`. */
  dpi?: number;
  limits?: Partial<DocumentLimits>;
}

/** Error codes of a page render (or of the whole call, for the document-level ones). */
export type RenderErrorCode =
  | 'not_pdf'
  | 'corrupt'
  | 'needs_password'
  | 'wrong_password'
  | 'page_not_found'
  | 'page_too_large'
  | 'image_too_large'
  | 'render_failed';

/** One rendered page: pixels plus the scale from PDF points to pixels. */
export interface RenderedPage {
  kind: 'rendered';
  page: number;
  image: GrayImage;
  /** Pixels per point actually used (dpi / 72). */
  scale: number;
}

/** Result of `renderPdfPages`: one entry per requested page, or a document-level failure. */
export type RenderPdfResult =
  | { kind: 'pages'; pages: Array<RenderedPage | (TaskFailure<RenderErrorCode> & { page: number })> }
  | TaskFailure<RenderErrorCode>;

const IMAGE_DROPPED = 'Image exceeded maximum allowed size';

/** Renders the requested pages; each page succeeds or fails on its own. */
export async function renderPdfPages(input: RenderPdfInput): Promise<RenderPdfResult> {
  return captureWarnings((warnings) => renderAll(input, warnings));
}

async function renderAll(input: RenderPdfInput, warnings: string[]): Promise<RenderPdfResult> {
  const limits = { ...DEFAULT_LIMITS, ...input.limits };
  const opened = await openPdf(input.bytes, input.password, limits, 1);
  if (opened.kind === 'needs_password') {
    return { kind: 'error', code: 'needs_password', message: 'The PDF is protected by a password.' };
  }
  if (opened.kind === 'wrong_password') {
    return { kind: 'error', code: 'wrong_password', message: 'The password does not open this PDF.' };
  }
  if (opened.kind === 'error') return opened;
  const { doc } = opened;
  const out: Extract<RenderPdfResult, { kind: 'pages' }>['pages'] = [];
  try {
    for (const n of input.pages) out.push(await renderOne(doc, n, input.dpi ?? 300, limits, warnings));
  } finally {
    await doc.destroy().catch(() => undefined);
  }
  const buffers = out.flatMap((p) => (p.kind === 'rendered' ? [p.image.data.buffer] : []));
  return withTransfer({ kind: 'pages', pages: out }, buffers);
}

type Doc = Extract<Awaited<ReturnType<typeof openPdf>>, { kind: 'open' }>['doc'];
type PageOutcome = Extract<RenderPdfResult, { kind: 'pages' }>['pages'][number];

async function renderOne(
  doc: Doc,
  n: number,
  dpi: number,
  limits: DocumentLimits,
  warnings: string[],
): Promise<PageOutcome> {
  const fail = (code: RenderErrorCode, message: string): PageOutcome => ({ kind: 'error', code, message, page: n });
  if (!Number.isInteger(n) || n < 1 || n > doc.numPages) {
    return fail('page_not_found', `Page ${n} does not exist; the PDF has ${doc.numPages} pages.`);
  }
  let page;
  try {
    page = await doc.getPage(n);
  } catch (err) {
    return fail('render_failed', `Page ${n} cannot be read: ${(err as Error).message}`);
  }
  try {
    const unit = page.getViewport({ scale: 1 });
    const areaIn2 = (unit.width / 72) * (unit.height / 72);
    if (!(areaIn2 > 0) || areaIn2 > limits.maxPageAreaIn2) {
      return fail('page_too_large', `Page ${n} is too large to render.`);
    }
    // Pick the scale from the requested DPI, then shrink it to respect the pixel budget.
    let scale = dpi / 72;
    const pixels = unit.width * unit.height * scale * scale;
    if (pixels > limits.maxRenderPixels) scale = Math.sqrt(limits.maxRenderPixels / (unit.width * unit.height));
    const viewport = page.getViewport({ scale });
    const width = Math.max(1, Math.floor(viewport.width));
    const height = Math.max(1, Math.floor(viewport.height));
    const canvas = createCanvas(width, height);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);

    warnings.length = 0;
    await page.render({ canvas: canvas as never, canvasContext: ctx as never, viewport }).promise;
    if (warnings.some((w) => w.includes(IMAGE_DROPPED))) {
      return fail(
        'image_too_large',
        `Page ${n} holds an image larger than ${Math.round(limits.maxImagePixels / 1e6)} megapixels; it was not rendered.`,
      );
    }
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const image: GrayImage = { width, height, data: rgbaToGray(rgba, width, height), dpi: Math.round(scale * 72) };
    return { kind: 'rendered', page: n, image, scale };
  } catch (err) {
    return fail('render_failed', `Page ${n} could not be rendered: ${(err as Error).message}`);
  } finally {
    page.cleanup();
  }
}

/**
 * Runs `fn` while capturing pdfjs warnings, which pdfjs prints through console.warn in this
 * thread: the renderer needs to know when an image was dropped for its size, and the rest
 * is noise for the logs. Tasks run one at a time per worker thread, so the hook sees only
 * this call.
 */
async function captureWarnings<T>(fn: (warnings: string[]) => Promise<T>): Promise<T> {
  const original = console.warn;
  const warnings: string[] = [];
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (text.startsWith('Warning:')) warnings.push(text);
    else original(...args);
  };
  try {
    return await fn(warnings);
  } finally {
    console.warn = original;
  }
}
