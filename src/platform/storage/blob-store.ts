import type { Readable } from 'node:stream';

/**
 * Bytes a blob store accepts: a whole buffer, a Node readable stream, or any async
 * iterable of chunks (a web `ReadableStream` converted with `Readable.fromWeb`, a file
 * handle's stream, a multipart part).
 */
export type BlobSource = Uint8Array | Readable | AsyncIterable<Uint8Array | string>;

/** What `put` stored: the content key, the size, and whether the bytes were new. */
export interface PutResult {
  /** SHA-256 hex digest of the content: the blob's key, what the database stores. */
  key: string;
  size: number;
  /** False when a blob with the same content already existed (nothing was written). */
  created: boolean;
}

/** An open blob: a stream of its bytes and its size (read from the same open file). */
export interface BlobReadResult {
  stream: Readable;
  size: number;
}

/** Outcome of re-hashing a stored blob. */
export type VerifyResult = 'ok' | 'missing' | 'corrupt';

export interface PutOptions {
  /** Refuse content larger than this many bytes (AppError `payload_too_large`); nothing is kept. */
  maxBytes?: number;
  /** When given, the computed digest must equal it (AppError `bad_request` otherwise). */
  expectedKey?: string;
}

/**
 * Content-addressed storage for document bytes. Keys are the SHA-256 of the content, so a
 * put is idempotent (same bytes → same key), a stored blob never changes, and the database
 * holds keys, never bytes. Implementations must make a blob visible only once all of its
 * bytes are durable.
 */
export interface BlobStore {
  /** Stores the bytes (streamed, never buffered whole) and returns their key. */
  put(source: BlobSource, opts?: PutOptions): Promise<PutResult>;
  /** Opens a blob for reading; throws AppError `not_found` when there is none. */
  get(key: string): Promise<BlobReadResult>;
  /** True when a blob with this key is stored. */
  exists(key: string): Promise<boolean>;
  /** Size in bytes, or undefined when there is no such blob. */
  size(key: string): Promise<number | undefined>;
  /** Removes a blob (purge); true when it existed. Callers make sure nothing references it. */
  delete(key: string): Promise<boolean>;
  /** Re-reads the blob and checks its content still hashes to its key. */
  verify(key: string): Promise<VerifyResult>;
  /** Every stored key, in no particular order (for `folio verify` and garbage collection). */
  keys(): AsyncIterable<string>;
}

const KEY_RE = /^[0-9a-f]{64}$/;

/** True for a well-formed blob key (64 lowercase hex characters). */
export function isBlobKey(key: string): boolean {
  return KEY_RE.test(key);
}

/** A whole blob in memory; for files already bounded by the upload limit. */
export async function readBlob(store: BlobStore, key: string): Promise<Uint8Array> {
  const { stream } = await store.get(key);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}
