/**
 * The pipeline's `index` step and the index upkeep around documents: passages cut from the
 * pages, embedded by the configured model in the `onnx` pool (outside any transaction),
 * then written with the document's other results; trash, restore and new versions keep
 * the vector index in step.
 */
import type { Db, Dialect } from '../../platform/db/db';
import type { Logger } from '../../platform/log/logger';
import type { SearchRuntime } from '../../platform/search/runtime';
import { logVectorChanges } from '../../platform/search/vector-index';
import { type ChunkOutput, chunkPages, embeddingText } from './chunker';
import { modelId } from './models.service';
import * as repo from './search.repository';

export interface PreparedIndex {
  chunks: ChunkOutput[];
  /** Vectors in chunk order, and the model id that made them; null when embedding failed. */
  vectors: { model: string; list: Float32Array[] } | null;
}

/** Cuts and embeds a version's pages. An embedding failure leaves keyword search working. */
export async function prepareIndex(search: SearchRuntime, log: Logger, pages: { number: number; text: string }[], signal?: AbortSignal): Promise<PreparedIndex> {
  const chunks = chunkPages(pages);
  const info = search.model();
  if (!chunks.length || !info) return { chunks, vectors: null };
  try {
    signal?.throwIfAborted();
    const list = await search.embed(chunks.map(embeddingText), 'passage');
    return { chunks, vectors: { model: modelId(info), list } };
  } catch (err) {
    if (signal?.aborted) throw err;
    log.error({ err }, 'embedding failed; the document is searchable by keyword until `folio reindex` embeds it');
    return { chunks, vectors: null };
  }
}

const bytesOf = (v: Float32Array) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));

/** Replaces a document's passages and vectors (inside the pipeline's final transaction). */
export async function writeIndex(trx: Db, dialect: Dialect, doc: { org_id: string; id: string; deleted_at: string | null }, versionId: string, prepared: PreparedIndex, now: string): Promise<void> {
  await repo.deleteChunksOfDocument(trx, doc.org_id, doc.id);
  await repo.bumpContentVersion(trx, doc.org_id);
  const ids = await repo.insertChunks(
    trx,
    prepared.chunks.map((c) => ({ org_id: doc.org_id, document_id: doc.id, version_id: versionId, page: c.page, ord: c.ord, heading: c.heading, text: c.text, tokens: c.tokens, created_at: now })),
  );
  if (!prepared.vectors) return;
  const { model, list } = prepared.vectors;
  await repo.insertVectors(trx, ids.map((id, i) => ({ chunk_id: id, model, org_id: doc.org_id, vector: bytesOf(list[i]) })));
  // Trashed while it was being processed: out of the vector index until restored.
  if (doc.deleted_at) await logVectorChanges(trx, dialect, ids.map((id) => ({ model, org_id: doc.org_id, chunk_id: id, op: 'del' as const })));
}

/** A document went to the trash (`del`) or came back (`put`): its vectors follow. */
export async function setDocumentVisible(trx: Db, dialect: Dialect, orgId: string, documentId: string, visible: boolean): Promise<void> {
  await repo.bumpContentVersion(trx, orgId);
  const rows = await repo.vectorsOfDocument(trx, orgId, documentId);
  await logVectorChanges(trx, dialect, rows.map((r) => ({ model: r.model, org_id: r.org_id, chunk_id: Number(r.chunk_id), op: visible ? ('put' as const) : ('del' as const) })));
}

/** A new version replaces the document's text: the old passages leave every index at once. */
export async function dropDocumentIndex(trx: Db, orgId: string, documentId: string): Promise<void> {
  await repo.deleteChunksOfDocument(trx, orgId, documentId);
  await repo.bumpContentVersion(trx, orgId);
}
