import { FormatError } from './format-error';
import type { TextEncoding } from './format.types';

/**
 * Text detection and decoding for files without magic bytes. A file is text when it is
 * valid UTF-8, or UTF-16 (with a BOM, or ASCII-heavy without one), or reads as Latin-1 /
 * Windows-1252 without control characters; NULs and a high share of control or invalid
 * bytes mean binary.
 */

/** Bytes looked at to decide; the rest of the file is decoded, not inspected. */
const SAMPLE_BYTES = 64 * 1024;
/** Share of control characters above which a sample is binary. */
const MAX_CONTROL_RATIO = 0.02;
/** Share of bytes ≥ 0x80 above which invalid UTF-8 is binary rather than Latin-1 text. */
const MAX_HIGH_RATIO = 0.3;

/** Decoded text and the encoding it was read with. */
export interface DecodedText {
  text: string;
  encoding: TextEncoding;
}

/** The encoding of text bytes, or null when the bytes look binary. */
export function detectTextEncoding(bytes: Uint8Array): TextEncoding | null {
  if (bytes.length === 0) return null;
  const b0 = bytes[0];
  const b1 = bytes[1];
  if (b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (b0 === 0xff && b1 === 0xfe) return bytes[2] === 0 && bytes[3] === 0 ? null : 'utf-16le';
  if (b0 === 0xfe && b1 === 0xff) return 'utf-16be';

  const truncated = bytes.length > SAMPLE_BYTES;
  const sample = truncated ? bytes.subarray(0, SAMPLE_BYTES) : bytes;
  if (sample.includes(0)) return detectUtf16WithoutBom(sample);

  if (isValidUtf8(sample, truncated)) {
    return controlRatio(sample, false) > MAX_CONTROL_RATIO ? null : 'utf-8';
  }
  let high = 0;
  for (const b of sample) if (b >= 0x80) high++;
  if (high / sample.length > MAX_HIGH_RATIO) return null;
  return controlRatio(sample, true) > MAX_CONTROL_RATIO ? null : 'windows-1252';
}

/**
 * Decodes text bytes (BOM removed). UTF-8 that turns out invalid past the sample is read
 * as Windows-1252 instead. Binary input is a `corrupt` FormatError.
 */
export function decodeText(bytes: Uint8Array): DecodedText {
  const encoding = detectTextEncoding(bytes);
  if (!encoding) throw new FormatError('corrupt', 'the file is not readable text (it looks binary)');
  if (encoding === 'utf-8') {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding };
    } catch {
      return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
    }
  }
  return { text: new TextDecoder(encoding).decode(bytes), encoding };
}

function isValidUtf8(sample: Uint8Array, truncated: boolean): boolean {
  // A sample cut inside a multi-byte sequence is still valid: retry without its tail.
  for (let cut = 0; cut <= (truncated ? 3 : 0); cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, sample.length - cut));
      return true;
    } catch {
      // try a shorter tail
    }
  }
  return false;
}

/** ASCII text in UTF-16 has a zero in every other byte; anything else with NULs is binary. */
function detectUtf16WithoutBom(sample: Uint8Array): TextEncoding | null {
  const half = Math.floor(sample.length / 2);
  if (half < 2) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i + 1 < sample.length; i += 2) {
    if (sample[i] === 0) evenZeros++;
    if (sample[i + 1] === 0) oddZeros++;
  }
  const enc: TextEncoding | null =
    oddZeros > half * 0.4 && evenZeros < half * 0.02
      ? 'utf-16le'
      : evenZeros > half * 0.4 && oddZeros < half * 0.02
        ? 'utf-16be'
        : null;
  if (!enc) return null;
  const text = new TextDecoder(enc).decode(sample.subarray(0, half * 2));
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 12 && c !== 13) || c === 0xfffd) control++;
  }
  return control / text.length > MAX_CONTROL_RATIO ? null : enc;
}

/** Share of bytes that never appear in text (C0 controls but tab/LF/VT/FF/CR/ESC, DEL, undefined CP1252). */
function controlRatio(sample: Uint8Array, cp1252: boolean): number {
  let control = 0;
  for (const b of sample) {
    if (b < 0x20) {
      if (b !== 9 && b !== 10 && b !== 11 && b !== 12 && b !== 13 && b !== 0x1b) control++;
    } else if (b === 0x7f) {
      control++;
    } else if (cp1252 && (b === 0x81 || b === 0x8d || b === 0x8f || b === 0x90 || b === 0x9d)) {
      control++;
    }
  }
  return control / sample.length;
}
