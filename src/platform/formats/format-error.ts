/**
 * The one error type of format detection and text extraction. Every library exception is
 * turned into a FormatError with a stable code and a message a user can read ("the
 * spreadsheet expands to more than 256 MB when unpacked"), so the pipeline can mark the
 * document as failed with the reason instead of crashing.
 */
export type FormatErrorCode =
  /** The file has no bytes. */
  | 'empty'
  /** The file is larger than the size limit. */
  | 'too_large'
  /** An archive (DOCX/XLSX/PPTX) unpacks to more than the limit: a zip bomb or an abuse. */
  | 'zip_bomb'
  /** More pages, sheets, rows, slides or attachments than the limits allow. */
  | 'limit_exceeded'
  /** The file is damaged or is not what its type says. */
  | 'corrupt'
  /** The file is password-protected. */
  | 'encrypted'
  /** The type is not one Folio reads, or not one this extractor reads. */
  | 'unsupported';

/** A failure to detect or read a file, with a stable code and a user-readable message. */
export class FormatError extends Error {
  readonly code: FormatErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(
    code: FormatErrorCode,
    message: string,
    opts: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'FormatError';
    this.code = code;
    this.details = opts.details;
  }

  /** Plain data that survives a worker-thread boundary (structured clone drops `code`). */
  toJSON(): { code: FormatErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/**
 * Runs a library call and turns anything it throws into a FormatError: FormatErrors pass
 * through, everything else becomes `corrupt` with `what` as the message and the library's
 * own message kept as the cause (never shown to the user verbatim).
 */
export async function guard<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FormatError) throw err;
    if (err instanceof RangeError && /allocation|array length|string length/i.test(err.message)) {
      throw new FormatError('too_large', `${what}: the content is too large to read`, { cause: err });
    }
    throw new FormatError('corrupt', what, { cause: err });
  }
}

/** "12.5 MB" for messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  const mb = n / (1024 * 1024);
  return `${mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}
