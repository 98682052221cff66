import path from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { type Actor, authorize, can } from '../../authz';
import type { Db } from '../../platform/db/db';
import type { Document, DocumentVersion } from '../../platform/db/schema';
import type { BlobSource } from '../../platform/storage';
import type { Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import { dropDocumentIndex, setDocumentVisible } from '../search/indexer';
import * as repo from './document.repository';
import { presentDocument, presentVersion, type PresentedDocument, type PresentedVersion } from './document.presenter';
import { folderWithDescendants } from './folder.service';

export const PROCESS_JOB = 'document.process';

export const ZTagList = z.array(z.string().trim().min(1).max(60)).max(50);

/** A display name from an uploaded filename: no path, no control characters, bounded. */
export function cleanFilename(raw: string): string {
  const base = path.posix.basename(raw.replace(/\\/g, '/'));
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return cleaned || 'untitled';
}

/** Tag names from a list or a comma-separated string, trimmed, lower-cased, unique. */
export function parseTags(raw: string | string[] | undefined | null): string[] {
  const list = Array.isArray(raw) ? raw : (raw ?? '').split(',');
  const names = [...new Set(list.map((t) => t.trim().toLowerCase()).filter(Boolean))];
  const r = ZTagList.safeParse(names);
  if (!r.success) throw new AppError('validation_failed', 'Tags: at most 50, each at most 60 characters');
  return r.data;
}

async function tagIds(ctx: Ctx, db: Db, orgId: string, names: string[]): Promise<string[]> {
  const now = ctx.clock.now().toISOString();
  for (const name of names) await repo.insertTagIfMissing(db, { id: newId(), org_id: orgId, name, created_at: now });
  return (await repo.findTagsByName(db, orgId, names)).map((t) => t.id);
}

async function assertFolder(ctx: Ctx, orgId: string, folderId: string | null | undefined) {
  if (folderId && !(await repo.findFolder(ctx.db, orgId, folderId))) throw new AppError('validation_failed', 'The folder does not exist');
}

/** A document of the actor's organization, or not_found. */
export async function loadDocument(ctx: Ctx, actor: Actor, id: string): Promise<Document> {
  authorize(actor, 'document.read');
  const doc = await repo.findDocument(ctx.db, actor.orgId, id);
  if (!doc) throw notFound('Document');
  return doc;
}

function resource(doc: Document) {
  return { orgId: doc.org_id, ownerId: doc.owner_id };
}

async function storeBlob(ctx: Ctx, source: BlobSource) {
  const put = await ctx.blobs.put(source, { maxBytes: ctx.config.uploads.maxBytes });
  if (put.size === 0) throw new AppError('validation_failed', 'The file is empty.');
  return put;
}

export interface IngestInput {
  filename: string;
  source: BlobSource;
  declaredMime?: string | null;
  folderId?: string | null;
  tags?: string[];
  origin: Document['source'];
  parentId?: string | null;
}

/**
 * Stores a file as a new document (version 1) and queues its processing, in one
 * transaction: the document is never visible without its job, nor the job without it.
 */
export async function ingestDocument(ctx: Ctx, actor: Actor, input: IngestInput): Promise<PresentedDocument> {
  authorize(actor, 'document.create');
  await assertFolder(ctx, actor.orgId, input.folderId);
  const tags = input.tags ?? [];
  const put = await storeBlob(ctx, input.source);
  const now = ctx.clock.now().toISOString();
  const name = cleanFilename(input.filename);
  const doc: Document = {
    id: newId(),
    org_id: actor.orgId,
    folder_id: input.folderId ?? null,
    parent_id: input.parentId ?? null,
    owner_id: actor.userId,
    name,
    status: 'queued',
    error_code: null,
    error_message: null,
    progress: JSON.stringify({ step: 'queued', percent: 0 }),
    kind: null,
    mime: null,
    size: put.size,
    page_count: null,
    current_version_id: null,
    source: input.origin,
    pending_password: null,
    deleted_at: null,
    created_at: now,
    updated_at: now,
  };
  const version: DocumentVersion = { id: newId(), org_id: actor.orgId, document_id: doc.id, number: 1, blob_key: put.key, size: put.size, filename: name, declared_mime: input.declaredMime ?? null, created_by: actor.userId, created_at: now };
  await ctx.db.transaction().execute(async (trx) => {
    await repo.insertDocument(trx, { ...doc, current_version_id: version.id });
    await repo.insertVersion(trx, version);
    await repo.setDocumentTags(trx, actor.orgId, doc.id, await tagIds(ctx, trx, actor.orgId, tags));
    await ctx.jobs.enqueue(trx, { type: PROCESS_JOB, orgId: actor.orgId, payload: { documentId: doc.id, versionId: version.id } });
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'document.uploaded', orgId: actor.orgId, actorId: actor.userId, targetType: 'document', targetId: doc.id, data: { name, size: put.size, source: input.origin } });
  });
  ctx.wakeJobs();
  return presentDocument({ ...doc, current_version_id: version.id }, tags);
}

/** Uploads a new version of a document and processes it; earlier versions stay downloadable. */
export async function addVersion(ctx: Ctx, actor: Actor, id: string, input: { filename: string; source: BlobSource; declaredMime?: string | null }): Promise<PresentedDocument> {
  const doc = await loadDocument(ctx, actor, id);
  authorize(actor, 'document.update', resource(doc));
  if (doc.deleted_at) throw new AppError('conflict', 'Restore the document from the trash before adding a version.');
  const put = await storeBlob(ctx, input.source);
  const now = ctx.clock.now().toISOString();
  const versionId = newId();
  await ctx.db.transaction().execute(async (trx) => {
    const number = (await repo.listVersions(trx, actor.orgId, id)).reduce((n, v) => Math.max(n, Number(v.number)), 0) + 1;
    await repo.insertVersion(trx, { id: versionId, org_id: actor.orgId, document_id: id, number, blob_key: put.key, size: put.size, filename: cleanFilename(input.filename), declared_mime: input.declaredMime ?? null, created_by: actor.userId, created_at: now });
    await repo.updateDocument(trx, actor.orgId, id, {
      current_version_id: versionId, status: 'queued', size: put.size, page_count: null, kind: null, mime: null,
      error_code: null, error_message: null, pending_password: null, progress: JSON.stringify({ step: 'queued', percent: 0 }), updated_at: now,
    });
    await dropDocumentIndex(trx, actor.orgId, id);
    await ctx.jobs.enqueue(trx, { type: PROCESS_JOB, orgId: actor.orgId, payload: { documentId: id, versionId } });
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'document.version_added', orgId: actor.orgId, actorId: actor.userId, targetType: 'document', targetId: id, data: { number } });
  });
  ctx.wakeJobs();
  return getDocument(ctx, actor, id);
}

export interface DocumentDetail extends PresentedDocument {
  versions: PresentedVersion[];
  folderPath: string[];
  abilities: { update: boolean; delete: boolean };
}

export async function getDocument(ctx: Ctx, actor: Actor, id: string): Promise<DocumentDetail> {
  const doc = await loadDocument(ctx, actor, id);
  const [versions, tags, folders] = await Promise.all([
    repo.listVersions(ctx.db, actor.orgId, id),
    repo.tagsOfDocuments(ctx.db, actor.orgId, [id]),
    repo.listFolders(ctx.db, actor.orgId),
  ]);
  const folderPath: string[] = [];
  for (let f = folders.find((x) => x.id === doc.folder_id), guard = 0; f && guard < 64; f = folders.find((x) => x.id === f!.parent_id), guard++) folderPath.unshift(f.name);
  return {
    ...presentDocument(doc, tags.map((t) => t.name)),
    versions: versions.map((v) => presentVersion(v, doc.current_version_id)),
    folderPath,
    abilities: { update: can(actor, 'document.update', resource(doc)), delete: can(actor, 'document.delete', resource(doc)) },
  };
}

export const ZListQuery = z.object({
  folder: z.string().optional(),
  tag: z.string().optional(),
  status: z.enum(['queued', 'processing', 'ready', 'needs_review', 'needs_password', 'failed', 'unsupported']).optional(),
  q: z.string().max(200).optional(),
  owner: z.string().optional(),
  trash: z.enum(['0', '1', 'true', 'false']).optional(),
  sort: z.enum(['name', 'created', 'updated', 'size']).default('created'),
  order: z.enum(['asc', 'desc']).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type TListQuery = z.infer<typeof ZListQuery>;

/**
 * A page of the organization's documents. `folder` includes its sub-folders (`root` means
 * documents in no folder); `tag` is a tag name.
 */
export async function listDocuments(ctx: Ctx, actor: Actor, q: TListQuery) {
  authorize(actor, 'document.read');
  let folderIds: string[] | null | undefined;
  if (q.folder === 'root') folderIds = null;
  else if (q.folder) folderIds = await folderWithDescendants(ctx, actor.orgId, q.folder);
  let tagId: string | undefined;
  if (q.tag) {
    tagId = (await repo.findTagsByName(ctx.db, actor.orgId, [q.tag.toLowerCase()]))[0]?.id ?? 'none';
  }
  const sort = ({ name: 'name', created: 'created_at', updated: 'updated_at', size: 'size' } as const)[q.sort];
  const { rows, total } = await repo.listDocuments(ctx.db, actor.orgId, {
    folderIds, tagId, status: q.status, nameContains: q.q?.trim() || undefined, ownerId: q.owner,
    trashed: q.trash === '1' || q.trash === 'true', sort, order: q.order ?? (sort === 'name' ? 'asc' : 'desc'),
    limit: q.limit, offset: (q.page - 1) * q.limit,
  });
  const tags = await repo.tagsOfDocuments(ctx.db, actor.orgId, rows.map((r) => r.id));
  const byDoc = new Map<string, string[]>();
  for (const t of tags) byDoc.set(t.document_id, [...(byDoc.get(t.document_id) ?? []), t.name]);
  return { documents: rows.map((r) => presentDocument(r, byDoc.get(r.id) ?? [])), total, page: q.page, limit: q.limit };
}

/** Extracted text per page of the current version. */
export async function getDocumentText(ctx: Ctx, actor: Actor, id: string) {
  const doc = await loadDocument(ctx, actor, id);
  const pages = doc.current_version_id ? await repo.listPages(ctx.db, actor.orgId, doc.current_version_id) : [];
  return {
    id: doc.id,
    status: doc.status,
    pages: pages.map((p) => ({ number: Number(p.number), text: p.text, source: p.source, confidence: p.confidence === null ? null : Number(p.confidence), rotation: Number(p.rotation), error: p.error ?? undefined })),
  };
}

/** The bytes of a version (the current one by default) with what a download needs. */
export async function openDocumentFile(ctx: Ctx, actor: Actor, id: string, versionNumber?: number): Promise<{ stream: Readable; size: number; mime: string; filename: string }> {
  const doc = await loadDocument(ctx, actor, id);
  const versions = await repo.listVersions(ctx.db, actor.orgId, id);
  const v = versionNumber ? versions.find((x) => Number(x.number) === versionNumber) : versions.find((x) => x.id === doc.current_version_id);
  if (!v) throw notFound('Version');
  const blob = await ctx.blobs.get(v.blob_key);
  await recordAudit(ctx.db, ctx.clock, ctx.meta, { action: 'document.downloaded', orgId: actor.orgId, actorId: actor.userId, targetType: 'document', targetId: id, data: { version: Number(v.number) } });
  const mime = v.id === doc.current_version_id && doc.mime ? doc.mime : 'application/octet-stream';
  return { stream: blob.stream, size: blob.size, mime, filename: v.filename };
}

export const ZDocumentPatch = z
  .object({
    name: z.string().trim().min(1, 'Enter a name').max(255).optional(),
    folderId: z.string().min(1).nullable().optional(),
    tags: ZTagList.optional(),
  })
  .strict();

/** Renames, moves or retags a document. */
export async function updateDocument(ctx: Ctx, actor: Actor, id: string, patch: z.infer<typeof ZDocumentPatch>): Promise<DocumentDetail> {
  const doc = await loadDocument(ctx, actor, id);
  authorize(actor, 'document.update', resource(doc));
  await assertFolder(ctx, actor.orgId, patch.folderId);
  await ctx.db.transaction().execute(async (trx) => {
    await repo.updateDocument(trx, actor.orgId, id, { name: patch.name === undefined ? undefined : cleanFilename(patch.name), folder_id: patch.folderId, updated_at: ctx.clock.now().toISOString() });
    if (patch.tags) await repo.setDocumentTags(trx, actor.orgId, id, await tagIds(ctx, trx, actor.orgId, parseTags(patch.tags)));
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'document.updated', orgId: actor.orgId, actorId: actor.userId, targetType: 'document', targetId: id, data: patch });
  });
  return getDocument(ctx, actor, id);
}

/** Moves a document to the trash (restorable). */
export async function trashDocument(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  const doc = await loadDocument(ctx, actor, id);
  authorize(actor, 'document.delete', resource(doc));
  if (doc.deleted_at) return;
  await ctx.db.transaction().execute(async (trx) => {
    await repo.updateDocument(trx, actor.orgId, id, { deleted_at: ctx.clock.now().toISOString() });
    await setDocumentVisible(trx, ctx.dialect, actor.orgId, id, false);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'document.trashed', orgId: actor.orgId, actorId: actor.userId, targetType: 'document', targetId: id, data: { name: doc.name } });
  });
}

export async function restoreDocument(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  const doc = await loadDocument(ctx, actor, id);
  authorize(actor, 'document.delete', resource(doc));
  if (!doc.deleted_at) return;
  await ctx.db.transaction().execute(async (trx) => {
    await repo.updateDocument(trx, actor.orgId, id, { deleted_at: null, updated_at: ctx.clock.now().toISOString() });
    await setDocumentVisible(trx, ctx.dialect, actor.orgId, id, true);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'document.restored', orgId: actor.orgId, actorId: actor.userId, targetType: 'document', targetId: id });
  });
}

/**
 * Deletes a trashed document for good: its rows, then each file no other version still
 * uses. A document must be in the trash first.
 */
export async function purgeDocument(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  const doc = await loadDocument(ctx, actor, id);
  authorize(actor, 'document.delete', resource(doc));
  if (!doc.deleted_at) throw new AppError('conflict', 'Move the document to the trash before deleting it for good.');
  const versions = await repo.listVersions(ctx.db, actor.orgId, id);
  const previews = await repo.listPreviewKeys(ctx.db, actor.orgId, id);
  await ctx.db.transaction().execute(async (trx) => {
    await dropDocumentIndex(trx, actor.orgId, id);
    await repo.deleteDocument(trx, actor.orgId, id);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'document.purged', orgId: actor.orgId, actorId: actor.userId, targetType: 'document', targetId: id, data: { name: doc.name } });
  });
  for (const key of new Set(versions.map((v) => v.blob_key))) {
    if ((await repo.countBlobReferences(ctx.db, key)) === 0) await ctx.blobs.delete(key);
  }
  // Previews are content-addressed too: identical pages of another document may share one.
  for (const key of new Set(previews)) {
    const shared = await ctx.db.selectFrom('document_page').select('version_id').where('preview_key', '=', key).executeTakeFirst();
    if (!shared) await ctx.blobs.delete(key);
  }
}

/** Supplies the password of an encrypted PDF and resumes its processing. */
export async function supplyPassword(ctx: Ctx, actor: Actor, id: string, password: string): Promise<PresentedDocument> {
  const doc = await loadDocument(ctx, actor, id);
  authorize(actor, 'document.update', resource(doc));
  if (doc.status !== 'needs_password') throw new AppError('conflict', 'This document does not need a password.');
  if (!password || password.length > 1024) throw new AppError('validation_failed', 'Enter the password.');
  return requeue(ctx, actor, doc, { pending_password: password });
}

/** Processes a failed document again. */
export async function retryDocument(ctx: Ctx, actor: Actor, id: string): Promise<PresentedDocument> {
  const doc = await loadDocument(ctx, actor, id);
  authorize(actor, 'document.update', resource(doc));
  if (doc.status !== 'failed') throw new AppError('conflict', 'Only documents whose processing failed can be retried.');
  return requeue(ctx, actor, doc, {});
}

async function requeue(ctx: Ctx, actor: Actor, doc: Document, patch: repo.DocumentPatch): Promise<PresentedDocument> {
  const now = ctx.clock.now().toISOString();
  await ctx.db.transaction().execute(async (trx) => {
    await repo.updateDocument(trx, actor.orgId, doc.id, { ...patch, status: 'queued', error_code: null, error_message: null, progress: JSON.stringify({ step: 'queued', percent: 0 }), updated_at: now });
    await ctx.jobs.enqueue(trx, { type: PROCESS_JOB, orgId: actor.orgId, payload: { documentId: doc.id, versionId: doc.current_version_id } });
  });
  ctx.wakeJobs();
  return presentDocument((await repo.findDocument(ctx.db, actor.orgId, doc.id))!);
}

export const ZBulk = z.object({
  ids: z.array(z.string().min(1)).min(1, 'Select at least one document').max(500),
  action: z.enum(['move', 'tag', 'untag', 'trash', 'restore']),
  folderId: z.string().min(1).nullable().optional(),
  tags: ZTagList.optional(),
});

/** One action on many documents; every document is checked like a single change. */
export async function bulkUpdate(ctx: Ctx, actor: Actor, input: z.infer<typeof ZBulk>): Promise<{ updated: number }> {
  const docs = await repo.listDocumentsByIds(ctx.db, actor.orgId, [...new Set(input.ids)]);
  if (docs.length !== new Set(input.ids).size) throw notFound('Document');
  const perm = input.action === 'trash' || input.action === 'restore' ? 'document.delete' : 'document.update';
  for (const d of docs) authorize(actor, perm, resource(d));
  if (input.action === 'move') await assertFolder(ctx, actor.orgId, input.folderId);
  const now = ctx.clock.now().toISOString();
  await ctx.db.transaction().execute(async (trx) => {
    const ids = input.tags ? await tagIds(ctx, trx, actor.orgId, parseTags(input.tags)) : [];
    for (const d of docs) {
      if (input.action === 'move') await repo.updateDocument(trx, actor.orgId, d.id, { folder_id: input.folderId ?? null, updated_at: now });
      else if (input.action === 'tag') await repo.addDocumentTags(trx, actor.orgId, d.id, ids);
      else if (input.action === 'untag' && ids.length) await trx.deleteFrom('document_tag').where('org_id', '=', actor.orgId).where('document_id', '=', d.id).where('tag_id', 'in', ids).execute();
      else if (input.action === 'trash' && !d.deleted_at) {
        await repo.updateDocument(trx, actor.orgId, d.id, { deleted_at: now });
        await setDocumentVisible(trx, ctx.dialect, actor.orgId, d.id, false);
      } else if (input.action === 'restore' && d.deleted_at) {
        await repo.updateDocument(trx, actor.orgId, d.id, { deleted_at: null });
        await setDocumentVisible(trx, ctx.dialect, actor.orgId, d.id, true);
      }
    }
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'document.updated', orgId: actor.orgId, actorId: actor.userId, targetType: 'document', data: { bulk: input.action, count: docs.length, folderId: input.folderId, tags: input.tags } });
  });
  return { updated: docs.length };
}

/** The documents that came attached to an e-mail the actor can read. */
export async function listAttachments(ctx: Ctx, actor: Actor, emailId: string): Promise<PresentedDocument[]> {
  await loadDocument(ctx, actor, emailId);
  return (await repo.listAttachments(ctx.db, actor.orgId, emailId)).map((d) => presentDocument(d));
}

export async function listTags(ctx: Ctx, actor: Actor) {
  authorize(actor, 'document.read');
  return (await repo.listTags(ctx.db, actor.orgId)).map((t) => ({ id: t.id, name: t.name, count: Number(t.count) }));
}
