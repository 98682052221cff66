/**
 * Blob storage: content-addressed, write-once bytes for uploads and derived files.
 * The database stores keys (SHA-256 hex), never bytes.
 */

/** The storage port every module depends on, and its value types. */
export type { BlobReadResult, BlobSource, BlobStore, PutOptions, PutResult, VerifyResult } from './blob-store';
/** True for a well-formed blob key (64 lowercase hex characters); validate keys from outside. */
export { isBlobKey, readBlob } from './blob-store';
/** The on-disk implementation (local disk or a shared NFS volume for several replicas). */
export { DiskBlobStore } from './disk-blob-store';
