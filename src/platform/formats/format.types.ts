/**
 * Types and limits shared by `sniff` and `extractText`. Pure data: no I/O, no config —
 * callers that want other limits pass a partial `FormatLimits`.
 */

/** A file type Folio processes. PDF and images go to the parse/OCR steps; the rest to `extractText`. */
export type DocumentKind =
  | 'pdf'
  | 'png'
  | 'jpeg'
  | 'tiff'
  | 'text'
  | 'markdown'
  | 'html'
  | 'docx'
  | 'xlsx'
  | 'pptx'
  | 'eml';

/** The kinds `extractText` reads. */
export type TextKind = Extract<DocumentKind, 'text' | 'markdown' | 'html' | 'docx' | 'xlsx' | 'pptx' | 'eml'>;

/** The kinds `extractText` reads, as a list. */
export const TEXT_KINDS: readonly TextKind[] = Object.freeze([
  'text',
  'markdown',
  'html',
  'docx',
  'xlsx',
  'pptx',
  'eml',
]);

/** True when `extractText` reads this kind (false for PDF and images). */
export function isTextKind(kind: string): kind is TextKind {
  return (TEXT_KINDS as readonly string[]).includes(kind);
}

/** The canonical MIME type of each kind. */
export const KIND_MIME: Readonly<Record<DocumentKind, string>> = Object.freeze({
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  tiff: 'image/tiff',
  text: 'text/plain',
  markdown: 'text/markdown',
  html: 'text/html',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  eml: 'message/rfc822',
});

/** The character encoding a text file was read with. */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/**
 * What `sniff` found. A supported kind, or `unsupported` with the detected MIME type and a
 * reason the user can read ("unsupported type: detected image/gif").
 */
export type SniffResult =
  | { kind: DocumentKind; mime: string; encoding?: TextEncoding }
  | { kind: 'unsupported'; mime: string; description: string; reason: string };

/** One page of extracted text; `number` starts at 1. `label` names a sheet or a slide. */
export interface ExtractedPage {
  number: number;
  text: string;
  label?: string;
}

/** A file carried inside another (an e-mail attachment), for the pipeline to turn into a linked document. */
export interface ExtractedAttachment {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
  /** True for parts shown inside the message body (e.g. an inline image), not attached by the sender. */
  inline?: boolean;
}

/** The text of a document, page by page, with its title and attachments when it has them. */
export interface ExtractedText {
  pages: ExtractedPage[];
  title?: string;
  attachments?: ExtractedAttachment[];
  meta?: Record<string, string | number | boolean>;
}

/** Limits every extractor enforces; exceeding one is a FormatError, never an exhausted process. */
export interface FormatLimits {
  /** Largest input file. */
  maxBytes: number;
  /** Largest total unpacked size of an archive (DOCX/XLSX/PPTX): the zip-bomb guard. */
  maxUncompressedBytes: number;
  /** Most entries in an archive. */
  maxZipEntries: number;
  /** Most pages (text pages, slides, sheets are also capped by `maxSheets`). */
  maxPages: number;
  /** Most sheets in a workbook. */
  maxSheets: number;
  /** Most rows in one sheet. */
  maxRowsPerSheet: number;
  /** Most attachments in one e-mail. */
  maxAttachments: number;
  /** Most characters of text in the whole document. */
  maxTextChars: number;
  /** Target size of a page when plain text is split into pages. */
  pageChars: number;
}

/** The limits used when a caller passes none. */
export const DEFAULT_FORMAT_LIMITS: Readonly<FormatLimits> = Object.freeze({
  maxBytes: 100 * 1024 * 1024,
  maxUncompressedBytes: 256 * 1024 * 1024,
  maxZipEntries: 10_000,
  maxPages: 5_000,
  maxSheets: 100,
  maxRowsPerSheet: 100_000,
  maxAttachments: 100,
  maxTextChars: 20_000_000,
  pageChars: 4_000,
});

/** Defaults with the caller's overrides applied. */
export function resolveLimits(overrides?: Partial<FormatLimits>): FormatLimits {
  return { ...DEFAULT_FORMAT_LIMITS, ...overrides };
}
