import type { Db } from '../../platform/db/db';
import type { Document, DocumentType, Extraction, VendorProfile } from '../../platform/db/schema';

// ---- custom document types ----

export async function listTypes(db: Db, orgId: string): Promise<DocumentType[]> {
  return db.selectFrom('document_type').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
}

export async function findType(db: Db, orgId: string, key: string): Promise<DocumentType | undefined> {
  return db.selectFrom('document_type').selectAll().where('org_id', '=', orgId).where('key', '=', key).executeTakeFirst();
}

export async function insertType(db: Db, t: DocumentType): Promise<void> {
  await db.insertInto('document_type').values(t).execute();
}

export async function updateType(db: Db, orgId: string, key: string, patch: Pick<DocumentType, 'name' | 'keywords' | 'fields' | 'updated_at'>): Promise<void> {
  await db.updateTable('document_type').set(patch).where('org_id', '=', orgId).where('key', '=', key).execute();
}

export async function deleteType(db: Db, orgId: string, key: string): Promise<void> {
  await db.deleteFrom('document_type').where('org_id', '=', orgId).where('key', '=', key).execute();
}

export async function countExtractionsOfType(db: Db, orgId: string, key: string): Promise<number> {
  const row = await db.selectFrom('extraction').select((eb) => eb.fn.countAll<number | string>().as('n')).where('org_id', '=', orgId).where('type', '=', key).executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---- extractions ----

/** A version's pages with their text and word boxes, in order. */
export async function listPageWords(db: Db, orgId: string, versionId: string): Promise<{ text: string; words: string | null }[]> {
  return db.selectFrom('document_page').select(['text', 'words']).where('org_id', '=', orgId).where('version_id', '=', versionId).orderBy('number').execute();
}

export async function findExtraction(db: Db, orgId: string, documentId: string): Promise<Extraction | undefined> {
  return db.selectFrom('extraction').selectAll().where('org_id', '=', orgId).where('document_id', '=', documentId).executeTakeFirst();
}

/** Inserts or replaces a document's extraction. */
export async function saveExtraction(db: Db, e: Extraction): Promise<void> {
  const { document_id: _id, org_id: _org, created_at: _created, ...rest } = e;
  await db
    .insertInto('extraction')
    .values(e)
    .onConflict((oc) => oc.column('document_id').doUpdateSet(rest))
    .execute();
}

export async function insertCorrection(db: Db, c: { id: string; org_id: string; document_id: string; type: string; field: string; before: string | null; after: string | null; user_id: string | null; created_at: string }): Promise<void> {
  await db.insertInto('extraction_correction').values(c).execute();
}

export async function listCorrections(db: Db, orgId: string, documentId: string) {
  return db.selectFrom('extraction_correction').selectAll().where('org_id', '=', orgId).where('document_id', '=', documentId).orderBy('created_at').orderBy('id').execute();
}

export interface QueueFilter {
  type?: string;
  limit: number;
  offset: number;
}

/** Documents waiting for review, oldest first, with their extraction. */
export async function reviewQueue(db: Db, orgId: string, f: QueueFilter): Promise<{ rows: (Document & { x_type: string | null; x_confidence: number | null })[]; total: number }> {
  let q = db
    .selectFrom('document')
    .leftJoin('extraction', 'extraction.document_id', 'document.id')
    .where('document.org_id', '=', orgId)
    .where('document.status', '=', 'needs_review')
    .where('document.deleted_at', 'is', null);
  if (f.type) q = q.where('extraction.type', '=', f.type);
  const [rows, count] = await Promise.all([
    q.selectAll('document').select(['extraction.type as x_type', 'extraction.confidence as x_confidence']).orderBy('document.created_at').orderBy('document.id').limit(f.limit).offset(f.offset).execute(),
    q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

/** The next document in the queue after `documentId` (by age), for "confirm and next". */
export async function nextInQueue(db: Db, orgId: string, after: { created_at: string; id: string }, type?: string): Promise<string | undefined> {
  let q = db
    .selectFrom('document')
    .leftJoin('extraction', 'extraction.document_id', 'document.id')
    .select('document.id')
    .where('document.org_id', '=', orgId)
    .where('document.status', '=', 'needs_review')
    .where('document.deleted_at', 'is', null)
    .where('document.id', '!=', after.id)
    .where((eb) => eb.or([eb('document.created_at', '>', after.created_at), eb.and([eb('document.created_at', '=', after.created_at), eb('document.id', '>', after.id)])]));
  if (type) q = q.where('extraction.type', '=', type);
  const row = await q.orderBy('document.created_at').orderBy('document.id').limit(1).executeTakeFirst();
  return row?.id;
}

export interface ExportFilter {
  folderIds?: string[] | null;
  type?: string;
  from?: string;
  to?: string;
  limit: number;
}

/** Live documents with an extraction, oldest first, filtered for export. */
export async function listForExport(db: Db, orgId: string, f: ExportFilter): Promise<(Extraction & { name: string; status: string; folder_id: string | null; doc_created_at: string })[]> {
  let q = db
    .selectFrom('extraction')
    .innerJoin('document', 'document.id', 'extraction.document_id')
    .selectAll('extraction')
    .select(['document.name', 'document.status', 'document.folder_id', 'document.created_at as doc_created_at'])
    .where('extraction.org_id', '=', orgId)
    .where('document.org_id', '=', orgId)
    .where('document.deleted_at', 'is', null);
  if (f.folderIds) q = f.folderIds.length ? q.where('document.folder_id', 'in', f.folderIds) : q.where('document.folder_id', 'is', null);
  if (f.type) q = q.where('extraction.type', '=', f.type);
  if (f.from) q = q.where('document.created_at', '>=', f.from);
  if (f.to) q = q.where('document.created_at', '<', f.to);
  return q.orderBy('document.created_at').orderBy('document.id').limit(f.limit).execute();
}

// ---- vendor profiles ----

export async function listVendorProfiles(db: Db, orgId: string, type: string): Promise<VendorProfile[]> {
  return db.selectFrom('vendor_profile').selectAll().where('org_id', '=', orgId).where('type', '=', type).execute();
}

export async function findVendorProfile(db: Db, orgId: string, type: string, key: string): Promise<VendorProfile | undefined> {
  return db.selectFrom('vendor_profile').selectAll().where('org_id', '=', orgId).where('type', '=', type).where('key', '=', key).executeTakeFirst();
}

export async function insertVendorProfile(db: Db, v: VendorProfile): Promise<void> {
  await db.insertInto('vendor_profile').values(v).execute();
}

export async function updateVendorProfile(db: Db, id: string, patch: Pick<VendorProfile, 'name' | 'hints' | 'reviews' | 'updated_at'>): Promise<void> {
  await db.updateTable('vendor_profile').set(patch).where('id', '=', id).execute();
}

// ---- organization setting ----

export async function reviewThreshold(db: Db, orgId: string): Promise<number> {
  const row = await db.selectFrom('org').select('review_threshold').where('id', '=', orgId).executeTakeFirst();
  return row?.review_threshold ?? 0.8;
}

export async function setReviewThreshold(db: Db, orgId: string, value: number, now: string): Promise<void> {
  await db.updateTable('org').set({ review_threshold: value, updated_at: now }).where('id', '=', orgId).execute();
}
