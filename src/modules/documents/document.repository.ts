import { sql } from 'kysely';
import type { Db } from '../../platform/db/db';
import type { Document, DocumentPage, DocumentStatus, DocumentVersion, Folder } from '../../platform/db/schema';

export type DocumentPatch = Partial<Omit<Document, 'id' | 'org_id' | 'created_at'>>;

// ---- folders ----

export async function insertFolder(db: Db, f: Folder): Promise<void> {
  await db.insertInto('folder').values(f).execute();
}

export async function findFolder(db: Db, orgId: string, id: string): Promise<Folder | undefined> {
  return db.selectFrom('folder').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
}

export async function listFolders(db: Db, orgId: string): Promise<Folder[]> {
  return db.selectFrom('folder').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
}

export async function updateFolder(db: Db, orgId: string, id: string, patch: { name?: string; parent_id?: string | null }): Promise<void> {
  await db.updateTable('folder').set(patch).where('org_id', '=', orgId).where('id', '=', id).execute();
}

export async function deleteFolder(db: Db, orgId: string, id: string): Promise<void> {
  await db.deleteFrom('folder').where('org_id', '=', orgId).where('id', '=', id).execute();
}

// ---- documents ----

export async function insertDocument(db: Db, d: Document): Promise<void> {
  await db.insertInto('document').values(d).execute();
}

export async function findDocument(db: Db, orgId: string, id: string): Promise<Document | undefined> {
  return db.selectFrom('document').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
}

export async function updateDocument(db: Db, orgId: string, id: string, patch: DocumentPatch): Promise<void> {
  await db.updateTable('document').set(patch).where('org_id', '=', orgId).where('id', '=', id).execute();
}

export async function deleteDocument(db: Db, orgId: string, id: string): Promise<void> {
  await db.deleteFrom('document').where('org_id', '=', orgId).where('id', '=', id).execute();
}

export interface DocumentListFilter {
  folderIds?: string[] | null;
  tagId?: string;
  status?: DocumentStatus;
  nameContains?: string;
  ownerId?: string;
  trashed: boolean;
  sort: 'name' | 'created_at' | 'updated_at' | 'size';
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

function filtered(db: Db, orgId: string, f: DocumentListFilter) {
  let q = db.selectFrom('document').where('document.org_id', '=', orgId);
  q = f.trashed ? q.where('document.deleted_at', 'is not', null) : q.where('document.deleted_at', 'is', null);
  if (f.folderIds === null) q = q.where('document.folder_id', 'is', null);
  else if (f.folderIds) q = q.where('document.folder_id', 'in', f.folderIds.length ? f.folderIds : ['']);
  if (f.status) q = q.where('document.status', '=', f.status);
  if (f.ownerId) q = q.where('document.owner_id', '=', f.ownerId);
  if (f.nameContains) {
    const like = `%${f.nameContains.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    q = q.where(sql<boolean>`lower(document.name) like ${like} escape '\\'`);
  }
  if (f.tagId) {
    const tagId = f.tagId;
    q = q.where('document.id', 'in', (eb) => eb.selectFrom('document_tag').select('document_tag.document_id').where('document_tag.org_id', '=', orgId).where('document_tag.tag_id', '=', tagId));
  }
  return q;
}

/** One page of documents matching the filter, with the total count. */
export async function listDocuments(db: Db, orgId: string, f: DocumentListFilter): Promise<{ rows: Document[]; total: number }> {
  const rows = await filtered(db, orgId, f)
    .selectAll('document')
    .orderBy(`document.${f.sort}`, f.order)
    .orderBy('document.id', f.order)
    .limit(f.limit)
    .offset(f.offset)
    .execute();
  const count = await filtered(db, orgId, f)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { rows, total: Number(count.n) };
}

export async function listDocumentsByIds(db: Db, orgId: string, ids: string[]): Promise<Document[]> {
  if (!ids.length) return [];
  return db.selectFrom('document').selectAll().where('org_id', '=', orgId).where('id', 'in', ids).execute();
}

/** Documents in a folder (any depth is the caller's business), trashed or not. */
export async function countDocumentsInFolders(db: Db, orgId: string, folderIds: string[]): Promise<number> {
  if (!folderIds.length) return 0;
  const r = await db
    .selectFrom('document')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where('folder_id', 'in', folderIds)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * The documents that came attached to an e-mail (`parent_id`), outside the trash, by name.
 * The caller has already checked the reader may see the e-mail itself.
 */
export async function listAttachments(db: Db, orgId: string, parentId: string): Promise<Document[]> {
  return db
    .selectFrom('document')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('parent_id', '=', parentId)
    .where('deleted_at', 'is', null)
    .orderBy('name')
    .orderBy('id')
    .execute();
}

// ---- versions ----

export async function insertVersion(db: Db, v: DocumentVersion): Promise<void> {
  await db.insertInto('document_version').values(v).execute();
}

export async function findVersion(db: Db, orgId: string, id: string): Promise<DocumentVersion | undefined> {
  return db.selectFrom('document_version').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
}

export async function listVersions(db: Db, orgId: string, documentId: string): Promise<DocumentVersion[]> {
  return db.selectFrom('document_version').selectAll().where('org_id', '=', orgId).where('document_id', '=', documentId).orderBy('number', 'desc').execute();
}

/** How many versions anywhere still point at a blob (before purging it). */
export async function countBlobReferences(db: Db, blobKey: string): Promise<number> {
  const r = await db.selectFrom('document_version').select((eb) => eb.fn.countAll<number>().as('n')).where('blob_key', '=', blobKey).executeTakeFirstOrThrow();
  return Number(r.n);
}

// ---- pages ----

export async function replacePages(db: Db, orgId: string, versionId: string, pages: DocumentPage[]): Promise<void> {
  await db.deleteFrom('document_page').where('org_id', '=', orgId).where('version_id', '=', versionId).execute();
  for (let i = 0; i < pages.length; i += 100) {
    await db.insertInto('document_page').values(pages.slice(i, i + 100)).execute();
  }
}

export async function listPages(db: Db, orgId: string, versionId: string, opts: { withWords?: boolean } = {}) {
  const cols = ['number', 'width', 'height', 'source', 'text', 'confidence', 'rotation', 'error', 'preview_key'] as const;
  const q = db.selectFrom('document_page').where('org_id', '=', orgId).where('version_id', '=', versionId).orderBy('number');
  return opts.withWords ? q.select([...cols, 'words']).execute() : q.select(cols).execute();
}

export async function findPage(db: Db, orgId: string, versionId: string, number: number) {
  return db.selectFrom('document_page').selectAll().where('org_id', '=', orgId).where('version_id', '=', versionId).where('number', '=', number).executeTakeFirst();
}

/** Preview images of every version of a document (to delete with it). */
export async function listPreviewKeys(db: Db, orgId: string, documentId: string): Promise<string[]> {
  const rows = await db.selectFrom('document_page').select('preview_key').where('org_id', '=', orgId).where('document_id', '=', documentId).where('preview_key', 'is not', null).execute();
  return rows.map((r) => r.preview_key!);
}

export async function setPreviewKey(db: Db, orgId: string, versionId: string, number: number, key: string): Promise<void> {
  await db.updateTable('document_page').set({ preview_key: key }).where('org_id', '=', orgId).where('version_id', '=', versionId).where('number', '=', number).execute();
}

// ---- tags ----

export async function listTags(db: Db, orgId: string) {
  return db
    .selectFrom('tag')
    .leftJoin('document_tag', 'document_tag.tag_id', 'tag.id')
    .select(['tag.id', 'tag.name'])
    .select((eb) => eb.fn.count<number>('document_tag.document_id').as('count'))
    .where('tag.org_id', '=', orgId)
    .groupBy(['tag.id', 'tag.name'])
    .orderBy('tag.name')
    .execute();
}

export async function findTagsByName(db: Db, orgId: string, names: string[]) {
  if (!names.length) return [];
  return db.selectFrom('tag').select(['id', 'name']).where('org_id', '=', orgId).where('name', 'in', names).execute();
}

export async function insertTagIfMissing(db: Db, tag: { id: string; org_id: string; name: string; created_at: string }): Promise<void> {
  await db.insertInto('tag').values(tag).onConflict((oc) => oc.columns(['org_id', 'name']).doNothing()).execute();
}

export async function tagsOfDocuments(db: Db, orgId: string, documentIds: string[]) {
  if (!documentIds.length) return [];
  return db
    .selectFrom('document_tag')
    .innerJoin('tag', 'tag.id', 'document_tag.tag_id')
    .select(['document_tag.document_id', 'tag.name'])
    .where('document_tag.org_id', '=', orgId)
    .where('document_tag.document_id', 'in', documentIds)
    .orderBy('tag.name')
    .execute();
}

export async function setDocumentTags(db: Db, orgId: string, documentId: string, tagIds: string[]): Promise<void> {
  await db.deleteFrom('document_tag').where('org_id', '=', orgId).where('document_id', '=', documentId).execute();
  if (tagIds.length) {
    await db.insertInto('document_tag').values(tagIds.map((tag_id) => ({ org_id: orgId, document_id: documentId, tag_id }))).execute();
  }
}

export async function addDocumentTags(db: Db, orgId: string, documentId: string, tagIds: string[]): Promise<void> {
  if (!tagIds.length) return;
  await db
    .insertInto('document_tag')
    .values(tagIds.map((tag_id) => ({ org_id: orgId, document_id: documentId, tag_id })))
    .onConflict((oc) => oc.columns(['document_id', 'tag_id']).doNothing())
    .execute();
}
