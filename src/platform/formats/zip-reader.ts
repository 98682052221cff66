import { Inflate } from 'fflate';
import { FormatError, formatBytes } from './format-error';

/**
 * A guarded ZIP reader for OOXML files (DOCX/XLSX/PPTX). It reads the central directory
 * itself and inflates entries in small steps, counting what comes out, so a zip bomb — an
 * archive that declares or produces far more bytes than it holds — stops with a
 * `zip_bomb` FormatError after at most one step past the limit, never exhausting memory.
 */

/** One entry of the central directory. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

/** Limits for `readZip`. */
export interface ZipLimits {
  maxUncompressedBytes: number;
  maxZipEntries: number;
}

/** Options for `readZip`: which entries to return, and whether to inflate the rest to check them. */
export interface ReadZipOptions {
  want: (name: string) => boolean;
  /** Inflate (and discard) every other entry too, before a library that reads lazily gets the file. */
  verifyAll?: boolean;
}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;
/** Compressed bytes pushed per step: deflate expands at most ~1032x, so ≤ ~17 MB per step. */
const STEP = 16 * 1024;

/** True when the bytes start like a ZIP archive. */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

/** The central directory of a ZIP archive; a `corrupt` FormatError when there is none. */
export function listZipEntries(bytes: Uint8Array, maxEntries = Infinity): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view);
  if (eocd < 0) throw new FormatError('corrupt', 'the archive is damaged (no ZIP directory found)');
  const count = view.getUint16(eocd + 10, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) {
    throw new FormatError('unsupported', 'ZIP64 archives (over 4 GB or 65,535 entries) are not supported');
  }
  if (count > maxEntries) {
    throw new FormatError('limit_exceeded', `the archive has ${count} entries; the limit is ${maxEntries}`);
  }
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CDH_SIG) {
      throw new FormatError('corrupt', 'the archive is damaged (bad ZIP directory entry)');
    }
    const flags = view.getUint16(p + 8, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const nameBytes = bytes.subarray(p + 46, p + 46 + nameLen);
    entries.push({
      name: new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(nameBytes),
      method: view.getUint16(p + 10, true),
      flags,
      compressedSize: view.getUint32(p + 20, true),
      uncompressedSize: view.getUint32(p + 24, true),
      localOffset: view.getUint32(p + 42, true),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * Reads the wanted entries of a ZIP archive within the limits: the declared total and the
 * actual inflated total must both stay under `maxUncompressedBytes`, and no entry may
 * produce more than it declares.
 */
export function readZip(bytes: Uint8Array, limits: ZipLimits, opts: ReadZipOptions): Map<string, Uint8Array> {
  const entries = listZipEntries(bytes, limits.maxZipEntries);
  const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (declared > limits.maxUncompressedBytes) throw bomb(limits.maxUncompressedBytes, declared);
  const out = new Map<string, Uint8Array>();
  const budget = { left: limits.maxUncompressedBytes };
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    const wanted = opts.want(entry.name);
    if (!wanted && !opts.verifyAll) continue;
    const data = inflateEntry(bytes, entry, budget, limits.maxUncompressedBytes, wanted);
    if (wanted) out.set(entry.name, data);
  }
  return out;
}

function inflateEntry(
  bytes: Uint8Array,
  entry: ZipEntry,
  budget: { left: number },
  max: number,
  keep: boolean,
): Uint8Array {
  if (entry.flags & 1) throw new FormatError('encrypted', 'the archive is password-protected');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lfh = entry.localOffset;
  if (lfh + 30 > bytes.length || view.getUint32(lfh, true) !== LFH_SIG) {
    throw new FormatError('corrupt', `the archive is damaged (entry ${entry.name} not found)`);
  }
  const start = lfh + 30 + view.getUint16(lfh + 26, true) + view.getUint16(lfh + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw new FormatError('corrupt', `the archive is truncated (entry ${entry.name})`);
  const src = bytes.subarray(start, end);

  if (entry.method === 0) {
    if (src.length > budget.left) throw bomb(max);
    budget.left -= src.length;
    return keep ? src.slice() : new Uint8Array(0);
  }
  if (entry.method !== 8) {
    throw new FormatError('corrupt', `the archive uses an unsupported compression method (${entry.method})`);
  }
  const chunks: Uint8Array[] = [];
  let produced = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    produced += chunk.length;
    if (produced > entry.uncompressedSize) {
      throw new FormatError('zip_bomb', `the archive is damaged or malicious: ${entry.name} unpacks to more than it declares`);
    }
    if (chunk.length > budget.left) throw bomb(max);
    budget.left -= chunk.length;
    if (keep) chunks.push(chunk);
    if (final) ended = true;
  });
  try {
    for (let i = 0; i < src.length; i += STEP) {
      inflater.push(src.subarray(i, Math.min(i + STEP, src.length)), i + STEP >= src.length);
    }
    if (src.length === 0) inflater.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw new FormatError('corrupt', `the archive is damaged (cannot unpack ${entry.name})`, { cause: err });
  }
  if (!ended && entry.uncompressedSize > 0 && produced < entry.uncompressedSize) {
    throw new FormatError('corrupt', `the archive is damaged (${entry.name} is incomplete)`);
  }
  return keep ? concat(chunks, produced) : new Uint8Array(0);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  if (chunks.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function bomb(max: number, declared?: number): FormatError {
  return new FormatError(
    'zip_bomb',
    `the archive unpacks to more than ${formatBytes(max)}, the limit; it may be a zip bomb`,
    declared === undefined ? {} : { details: { declaredBytes: declared, limitBytes: max } },
  );
}

function findEndOfCentralDirectory(view: DataView): number {
  const min = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let p = view.byteLength - 22; p >= min; p--) {
    if (view.getUint32(p, true) === EOCD_SIG) return p;
  }
  return -1;
}
