/**
 * Format detection and text extraction for the document pipeline: `sniff` tells the real
 * type of an upload from its bytes, `extractText` reads the text of the non-PDF, non-image
 * kinds page by page. Pure code — no database, no config — safe to run in worker threads.
 */
export { sniff } from './sniff';
export { extractText } from './extract-text';
export { FormatError, type FormatErrorCode } from './format-error';
export {
  DEFAULT_FORMAT_LIMITS,
  KIND_MIME,
  TEXT_KINDS,
  isTextKind,
  type DocumentKind,
  type ExtractedAttachment,
  type ExtractedPage,
  type ExtractedText,
  type FormatLimits,
  type SniffResult,
  type TextEncoding,
  type TextKind,
} from './format.types';
export { decodeText, detectTextEncoding, type DecodedText } from './text-decode';
