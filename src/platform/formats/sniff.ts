import { fileTypeFromBuffer } from 'file-type';
import { KIND_MIME, type DocumentKind, type SniffResult, type TextEncoding } from './format.types';
import { detectTextEncoding } from './text-decode';
import { classifyText } from './text-classify';
import { listZipEntries, looksLikeZip } from './zip-reader';

/** MIME types from `file-type` that map straight to a kind Folio reads. */
const MIME_KIND: Record<string, DocumentKind> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/tiff': 'tiff',
  [KIND_MIME.docx]: 'docx',
  [KIND_MIME.xlsx]: 'xlsx',
  [KIND_MIME.pptx]: 'pptx',
};

/** Plain names for what users commonly upload by mistake, shown after the MIME type. */
const DESCRIPTIONS: Record<string, string> = {
  'application/zip': 'ZIP archive',
  'application/x-msdownload': 'Windows executable',
  'application/x-elf': 'Linux executable',
  'application/x-cfb': 'legacy Microsoft Office document',
  'application/x-empty': 'empty file',
  'application/octet-stream': 'binary data of unknown type',
  'application/gzip': 'gzip archive',
  'application/x-7z-compressed': '7-Zip archive',
  'application/x-rar-compressed': 'RAR archive',
  'application/vnd.oasis.opendocument.text': 'OpenDocument text',
  'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument spreadsheet',
  'application/vnd.oasis.opendocument.presentation': 'OpenDocument presentation',
  'application/rtf': 'Rich Text Format document',
  'image/gif': 'GIF image',
  'image/webp': 'WebP image',
  'image/heic': 'HEIC image',
  'image/bmp': 'BMP image',
  'image/svg+xml': 'SVG image',
};

/** Formats written in plain ASCII whose signature wins over looking like text. */
const TEXT_BASED = new Set(['application/pdf', 'application/rtf', 'application/postscript', 'application/eps']);

/** OOXML parts that identify each kind (with `[Content_Types].xml`, which they all have). */
const OOXML_MARKERS: [DocumentKind, RegExp][] = [
  ['docx', /^word\/document[^/]*\.xml$/],
  ['xlsx', /^xl\/workbook[^/]*\.xml$/],
  ['pptx', /^ppt\/presentation[^/]*\.xml$/],
];

/**
 * The real type of a file from its bytes: magic numbers via `file-type`, the ZIP directory
 * for DOCX/XLSX/PPTX (a plain ZIP is not a document), and content checks for the formats
 * without magic (text, Markdown, HTML, e-mail). The filename only breaks ties between text
 * formats; it never makes a binary file supported.
 */
export async function sniff(bytes: Uint8Array, filename?: string): Promise<SniffResult> {
  if (bytes.length === 0) return unsupported('application/x-empty', 'the file is empty');

  let zipDamaged = false;
  if (looksLikeZip(bytes)) {
    const kind = sniffOoxml(bytes);
    if (kind === 'damaged') zipDamaged = true;
    else if (kind) return { kind, mime: KIND_MIME[kind] };
  }

  // A UTF-16 BOM (FF FE) also reads as an MPEG audio frame: a BOM'd text file is text.
  if (hasTextBom(bytes)) {
    const encoding = detectTextEncoding(bytes);
    if (encoding) return sniffText(bytes, encoding, filename);
  }

  let detected: { mime: string } | undefined;
  try {
    detected = await fileTypeFromBuffer(bytes);
  } catch {
    detected = undefined; // a parser limit inside file-type: treat as unknown
  }
  if (detected) {
    const kind = MIME_KIND[detected.mime];
    if (kind && !zipDamaged) return { kind, mime: KIND_MIME[kind] };
    if (zipDamaged) return unsupported(detected.mime, 'the file is a damaged ZIP archive');
    if (detected.mime === 'application/x-cfb' && isEncryptedOoxml(bytes)) {
      return unsupported(
        detected.mime,
        'the document is password-protected; remove the password and upload it again',
        'password-protected Office document',
      );
    }
    // Short magic numbers ("MZ", "BM", MPEG frame sync) also start ordinary text; clean
    // text beats them, except for formats that are text by design and must keep their type.
    const clean = TEXT_BASED.has(detected.mime) ? null : detectTextEncoding(bytes);
    if (clean && !isTextual(detected.mime)) return sniffText(bytes, clean, filename);
    if (!isTextual(detected.mime)) return unsupported(detected.mime);
  }

  if (zipDamaged) return unsupported('application/zip', 'the file is a damaged ZIP archive');
  const encoding = detectTextEncoding(bytes);
  if (!encoding) return unsupported('application/octet-stream');
  return sniffText(bytes, encoding, filename, detected?.mime);
}

function sniffText(bytes: Uint8Array, encoding: TextEncoding, filename?: string, detectedMime?: string): SniffResult {
  const head = new TextDecoder(encoding).decode(bytes.subarray(0, 64 * 1024));
  const kind = classifyText(head, filename);
  if (kind === 'svg') return unsupported('image/svg+xml');
  const mime = kind === 'text' && detectedMime ? detectedMime : KIND_MIME[kind];
  return { kind, mime, encoding };
}

/** The OOXML kind of a ZIP, undefined for another ZIP, 'damaged' when its directory is unreadable. */
function sniffOoxml(bytes: Uint8Array): DocumentKind | 'damaged' | undefined {
  let names: string[];
  try {
    names = listZipEntries(bytes).map((e) => e.name);
  } catch {
    return 'damaged';
  }
  if (!names.includes('[Content_Types].xml')) return undefined;
  for (const [kind, marker] of OOXML_MARKERS) {
    if (names.some((n) => marker.test(n))) return kind;
  }
  return undefined;
}

/** Password-protected DOCX/XLSX/PPTX are CFB containers holding an `EncryptedPackage` stream. */
function isEncryptedOoxml(bytes: Uint8Array): boolean {
  const needle = Buffer.from('EncryptedPackage', 'utf16le');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(needle);
}

function hasTextBom(b: Uint8Array): boolean {
  return (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) || (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);
}

function isTextual(mime: string): boolean {
  return mime.startsWith('text/') || mime === 'application/xml';
}

function unsupported(mime: string, reason?: string, description?: string): SniffResult {
  const desc = description ?? DESCRIPTIONS[mime] ?? mime;
  return {
    kind: 'unsupported',
    mime,
    description: desc,
    reason: reason ?? `unsupported type: detected ${mime}${desc !== mime ? ` (${desc})` : ''}`,
  };
}
