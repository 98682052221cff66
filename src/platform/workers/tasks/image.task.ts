/**
 * Worker task: decode PNG, JPEG and TIFF (every page of a multi-page TIFF) into grayscale
 * pages for OCR. Sizes are checked from the headers before any pixel is decoded, so an
 * image claiming 35000 × 35000 pixels is refused without allocating it.
 */
import sharp, { type Metadata } from 'sharp';
import { withTransfer } from './transfer';
import { DEFAULT_LIMITS, type DocumentLimits, type GrayImage, type TaskFailure } from './types';

// One libvips thread per worker thread (the pool provides the parallelism), no op cache.
sharp.concurrency(1);
sharp.cache(false);

/** Input of `decodeImage`. */
export interface DecodeImageInput {
  bytes: Uint8Array;
  limits?: Partial<DocumentLimits>;
}

/** Image formats accepted as documents. */
export type ImageFormat = 'png' | 'jpeg' | 'tiff';

/** Error codes of `decodeImage`. */
export type ImageErrorCode = 'unsupported_format' | 'corrupt' | 'image_too_large' | 'too_many_pages';

/** Result of `decodeImage`: upright (EXIF-oriented) gray pages, or why not. */
export type DecodeImageResult =
  | { kind: 'decoded'; format: ImageFormat; pages: GrayImage[] }
  | TaskFailure<ImageErrorCode>;

const FORMATS: Record<string, ImageFormat> = { png: 'png', jpeg: 'jpeg', jpg: 'jpeg', tiff: 'tiff', tif: 'tiff' };

/** Decodes an image file into one gray page per frame. */
export async function decodeImage(input: DecodeImageInput): Promise<DecodeImageResult> {
  const limits = { ...DEFAULT_LIMITS, ...input.limits };
  const bytes = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    return { kind: 'error', code: 'corrupt', message: `The image cannot be read: ${(err as Error).message}` };
  }
  const format = FORMATS[meta.format ?? ''];
  if (!format) {
    const name = meta.format ? meta.format.toUpperCase() : 'unknown';
    return { kind: 'error', code: 'unsupported_format', message: `${name} images are not supported; use PNG, JPEG or TIFF.` };
  }
  const pageCount = format === 'tiff' ? (meta.pages ?? 1) : 1;
  if (pageCount > limits.maxPages) {
    return { kind: 'error', code: 'too_many_pages', message: `The image has ${pageCount} pages; at most ${limits.maxPages} are accepted.` };
  }
  const pages: GrayImage[] = [];
  for (let page = 0; page < pageCount; page++) {
    const result = await decodePage(bytes, page, pageCount > 1, limits);
    if ('kind' in result) return result;
    pages.push(result);
  }
  return withTransfer({ kind: 'decoded', format, pages }, pages.map((p) => p.data.buffer));
}

async function decodePage(
  bytes: Buffer,
  page: number,
  multi: boolean,
  limits: DocumentLimits,
): Promise<GrayImage | TaskFailure<ImageErrorCode>> {
  const where = multi ? `Page ${page + 1} of the image` : 'The image';
  try {
    // Header first: refuse oversize frames before libvips allocates their pixels.
    const meta = await sharp(bytes, { page, limitInputPixels: false }).metadata();
    const w = meta.width ?? 0;
    const h = meta.height ?? 0;
    if (w * h > limits.maxImagePixels) {
      return {
        kind: 'error',
        code: 'image_too_large',
        message: `${where} is ${w} × ${h} pixels (${Math.round((w * h) / 1e6)} MP); the limit is ${Math.round(limits.maxImagePixels / 1e6)} MP.`,
      };
    }
    const { data, info } = await sharp(bytes, { page, limitInputPixels: limits.maxImagePixels, failOn: 'error' })
      .autoOrient()
      .grayscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const gray = info.channels === 1 ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : firstChannel(data, info.channels);
    const owned = gray.byteOffset === 0 && gray.byteLength === gray.buffer.byteLength ? gray : gray.slice();
    return { width: info.width, height: info.height, data: owned, dpi: meta.density ? Math.round(meta.density) : undefined };
  } catch (err) {
    const message = (err as Error).message;
    if (/pixel limit/i.test(message)) {
      return { kind: 'error', code: 'image_too_large', message: `${where} exceeds the ${Math.round(limits.maxImagePixels / 1e6)} MP limit.` };
    }
    return { kind: 'error', code: 'corrupt', message: `${where} cannot be decoded: ${message}` };
  }
}

function firstChannel(data: Buffer, channels: number): Uint8Array {
  const out = new Uint8Array(data.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = data[i * channels];
  return out;
}
