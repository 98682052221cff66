/**
 * Loads pdfjs-dist (legacy build, for Node) once per thread and opens documents with every
 * network and font-loading path turned off: fonts, CMaps, ICC profiles and wasm decoders come
 * from the installed package, never from a URL.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { ownedBytes } from './transfer';
import type { DocumentLimits } from './types';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

const require = createRequire(import.meta.url);
const PDFJS_DIR = path.dirname(require.resolve('pdfjs-dist/package.json'));
const asset = (dir: string) => path.join(PDFJS_DIR, dir) + path.sep;

let loaded: Promise<PdfJs> | undefined;

/** pdfjs-dist, with its parser running in this thread (no nested worker, no workerSrc URL). */
export function loadPdfJs(): Promise<PdfJs> {
  loaded ??= (async () => {
    // @ts-expect-error The worker bundle ships without type declarations.
    const worker: unknown = await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
    return import('pdfjs-dist/legacy/build/pdf.mjs');
  })();
  return loaded;
}

/** Outcome of opening a document: the proxy, or why it could not be opened. */
export type OpenResult =
  | { kind: 'open'; doc: PDFDocumentProxy; passwordUsed: boolean }
  | { kind: 'needs_password' }
  | { kind: 'wrong_password' }
  | { kind: 'error'; code: 'not_pdf' | 'corrupt'; message: string };

/**
 * Opens PDF bytes, trying the usual encodings of a password (as typed, SASLprep-like
 * normalized, UTF-8 bytes read as Latin-1) because producers disagree on them.
 */
export async function openPdf(
  bytes: Uint8Array,
  password: string | undefined,
  limits: Pick<DocumentLimits, 'maxImagePixels'>,
  /** 0 = errors only; 1 adds warnings (the renderer listens for dropped images). */
  verbosity: 0 | 1 = 0,
): Promise<OpenResult> {
  const pdfjs = await loadPdfJs();
  if (!looksLikePdf(bytes)) {
    return { kind: 'error', code: 'not_pdf', message: 'The file is not a PDF (no %PDF header).' };
  }
  const candidates = password === undefined || password === '' ? [undefined] : passwordVariants(password);
  let lastPasswordCode = 0;
  for (const candidate of candidates) {
    // pdfjs takes ownership of the buffer it is given (and refuses Node Buffers), so it gets
    // a plain Uint8Array that owns its memory: a copy per attempt when there are several.
    const data = candidates.length > 1 ? new Uint8Array(bytes) : plainOwned(bytes);
    let task;
    try {
      task = pdfjs.getDocument({
        data,
        password: candidate,
        isEvalSupported: false,
        disableFontFace: true,
        useSystemFonts: false,
        useWorkerFetch: false,
        enableXfa: false,
        stopAtErrors: false,
        maxImageSize: limits.maxImagePixels,
        standardFontDataUrl: asset('standard_fonts'),
        cMapUrl: asset('cmaps'),
        cMapPacked: true,
        iccUrl: asset('iccs'),
        wasmUrl: asset('wasm'),
        verbosity,
      });
      const doc = await task.promise;
      return { kind: 'open', doc, passwordUsed: candidate !== undefined };
    } catch (err) {
      await task?.destroy().catch(() => undefined);
      const e = err as { name?: string; code?: number; message?: string };
      if (e?.name === 'PasswordException') {
        lastPasswordCode = e.code ?? 1;
        if (lastPasswordCode === 1 && candidate === undefined) return { kind: 'needs_password' };
        continue;
      }
      if (e?.name === 'InvalidPDFException') {
        return { kind: 'error', code: 'corrupt', message: `The PDF is damaged and cannot be read (${e.message}).` };
      }
      return { kind: 'error', code: 'corrupt', message: `The PDF could not be opened: ${e?.message ?? String(err)}` };
    }
  }
  return lastPasswordCode === 1 ? { kind: 'needs_password' } : { kind: 'wrong_password' };
}

function plainOwned(bytes: Uint8Array): Uint8Array {
  const owned = ownedBytes(bytes);
  return Buffer.isBuffer(owned) ? new Uint8Array(owned.buffer, owned.byteOffset, owned.byteLength) : owned;
}

/** True when a %PDF header appears in the first KiB, as readers tolerate leading junk. */
export function looksLikePdf(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024));
  return head.includes('%PDF-');
}

/** Password spellings to try, most likely first, without duplicates. */
export function passwordVariants(password: string): string[] {
  // SASLprep (RFC 4013) maps "commonly mapped to nothing" characters away and applies NFKC.
  const saslprep = password.replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, '').normalize('NFKC');
  const utf8AsLatin1 = Buffer.from(password, 'utf8').toString('latin1');
  const saslUtf8AsLatin1 = Buffer.from(saslprep, 'utf8').toString('latin1');
  return [...new Set([password, saslprep, utf8AsLatin1, saslUtf8AsLatin1])];
}
