import { type Expression, type ExpressionBuilder, type Insertable, type SqlBool, sql } from 'kysely';
import type { Db, Dialect } from '../../platform/db/db';
import type { DB, DocumentStatus } from '../../platform/db/schema';

type DocCondition = (eb: ExpressionBuilder<DB, 'document'>) => Expression<SqlBool>;

export type NewChunk = Insertable<DB['chunk']>;

/** Inserts passages and returns their ids, in order. */
export async function insertChunks(db: Db, rows: NewChunk[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    const out = await db.insertInto('chunk').values(rows.slice(i, i + 200)).returning('id').execute();
    ids.push(...out.map((r) => Number(r.id)));
  }
  return ids;
}

export async function insertVectors(db: Db, rows: { chunk_id: number; model: string; org_id: string; vector: Uint8Array }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) await db.insertInto('chunk_vector').values(rows.slice(i, i + 200)).execute();
}

/** Removes a document's passages (their vectors and full-text entries go with them). */
export async function deleteChunksOfDocument(db: Db, orgId: string, documentId: string): Promise<void> {
  await db.deleteFrom('chunk').where('org_id', '=', orgId).where('document_id', '=', documentId).execute();
}

/** Vector rows of a document's passages, for every model (trash and restore log them). */
export async function vectorsOfDocument(db: Db, orgId: string, documentId: string) {
  return db
    .selectFrom('chunk_vector')
    .innerJoin('chunk', 'chunk.id', 'chunk_vector.chunk_id')
    .select(['chunk_vector.chunk_id', 'chunk_vector.model', 'chunk_vector.org_id'])
    .where('chunk.org_id', '=', orgId)
    .where('chunk.document_id', '=', documentId)
    .execute();
}

/** Filters of a search, resolved to what SQL needs (folder ids include sub-folders). */
export interface ResolvedFilters {
  folderIds?: string[];
  tagIds?: string[];
  type?: string;
  from?: string;
  to?: string;
  ownerId?: string;
  status?: DocumentStatus;
  documentId?: string;
}

function applyFilters(f: ResolvedFilters): DocCondition {
  return (eb) => {
    const parts: Expression<SqlBool>[] = [];
    if (f.folderIds) parts.push(f.folderIds.length ? eb('document.folder_id', 'in', f.folderIds) : sql<SqlBool>`1 = 0`);
    if (f.ownerId) parts.push(eb('document.owner_id', '=', f.ownerId));
    if (f.status) parts.push(eb('document.status', '=', f.status));
    if (f.documentId) parts.push(eb('document.id', '=', f.documentId));
    if (f.from) parts.push(eb('document.created_at', '>=', f.from));
    if (f.to) parts.push(eb('document.created_at', '<', f.to));
    if (f.type) {
      parts.push(eb.exists(eb.selectFrom('extraction').select('extraction.document_id').whereRef('extraction.document_id', '=', 'document.id').where('extraction.type', '=', f.type)));
    }
    for (const tagId of f.tagIds ?? []) {
      parts.push(eb.exists(eb.selectFrom('document_tag').select('document_tag.document_id').whereRef('document_tag.document_id', '=', 'document.id').where('document_tag.tag_id', '=', tagId)));
    }
    return eb.and(parts);
  };
}

export function hasFilters(f: ResolvedFilters): boolean {
  return Object.values(f).some((v) => v !== undefined);
}

const STOPWORDS = new Set(
  ('a an and are as at be been but by can do does for from had has have how i if in into is it its more most no not of on or ' +
    'our so such than that the their them then there these they this to was we were what when where which who why will with would you your').split(' '),
);

/**
 * Safe full-text terms of a query: words of letters and digits, without the commonest
 * English words (unless nothing else is left), at most 32.
 */
export function queryTerms(q: string): string[] {
  const words = [...new Set(q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  const content = words.filter((w) => !STOPWORDS.has(w));
  return (content.length ? content : words).slice(0, 32);
}

/**
 * Passages matching any of `terms`, best first (BM25 on SQLite's FTS5, ts_rank on
 * Postgres), over readable documents that pass the filters, current versions only.
 * `prefixLast` lets the last word match as a prefix (results while typing).
 */
export async function keywordSearch(
  db: Db,
  dialect: Dialect,
  readable: DocCondition,
  filters: ResolvedFilters,
  terms: string[],
  opts: { limit: number; prefixLast: boolean },
): Promise<{ chunkId: number; score: number }[]> {
  if (!terms.length) return [];
  const current = (eb: ExpressionBuilder<DB, 'chunk' | 'document'>) => eb('chunk.version_id', '=', eb.ref('document.current_version_id'));
  const isPrefix = (i: number) => opts.prefixLast && i === terms.length - 1;
  const common = await commonTerms(db, dialect, terms, opts.prefixLast);
  // Only everyday words: they barely tell passages apart, so the newest passages holding them all are ranked.
  const cap = common.size === terms.length ? sql`order by rowid desc limit ${COMMON_ONLY_CAP}` : sql``;
  if (dialect === 'sqlite') {
    const q = terms.map((t, i) => `"${t}"${isPrefix(i) ? '*' : ''}`);
    const match = combine(q, terms.map((t) => common.has(t)), ' OR ', ' AND ');
    const rows = await db
      .selectFrom(sql<{ rowid: number; rank: number }>`(select rowid, bm25(chunk_fts, 2.0, 1.0) as rank from chunk_fts where chunk_fts match ${match} ${cap})`.as('m'))
      .innerJoin('chunk', 'chunk.id', 'm.rowid')
      .innerJoin('document', 'document.id', 'chunk.document_id')
      .select(['chunk.id as id', 'm.rank as rank'])
      .where(readable)
      .where(applyFilters(filters))
      .where(current)
      .orderBy('m.rank')
      .limit(opts.limit)
      .execute();
    return rows.map((r) => ({ chunkId: Number(r.id), score: -Number(r.rank) }));
  }
  const q = terms.map((t, i) => `'${t}'${isPrefix(i) ? ':*' : ''}`);
  const query = sql`to_tsquery('english', ${combine(q, terms.map((t) => common.has(t)), ' | ', ' & ')})`;
  const matching = common.size === terms.length
    ? sql<SqlBool>`chunk.id in (select id from chunk where tsv @@ ${query} order by id desc limit ${COMMON_ONLY_CAP})`
    : sql<SqlBool>`chunk.tsv @@ ${query}`;
  const rows = await db
    .selectFrom('chunk')
    .innerJoin('document', 'document.id', 'chunk.document_id')
    .select(['chunk.id as id', sql<number>`ts_rank(chunk.tsv, ${query}, 1)`.as('rank')])
    .where(matching)
    .where(readable)
    .where(applyFilters(filters))
    .where(current)
    .orderBy('rank', 'desc')
    .limit(opts.limit)
    .execute();
  return rows.map((r) => ({ chunkId: Number(r.id), score: Number(r.rank) }));
}

/**
 * The match expression: any word, but a passage must hold at least one of the query's
 * rarer words when there are some ("common terms": words found in a large share of all
 * passages still count in the ranking, yet alone they do not make a match, so a question
 * full of everyday words is not ranked over the whole library). Only common words: all of them.
 */
function combine(q: string[], isCommon: boolean[], or: string, and: string): string {
  const rare = q.filter((_, i) => !isCommon[i]);
  if (rare.length === q.length) return q.join(or);
  if (!rare.length) return q.join(and);
  return `(${rare.join(or)})${and}(${q.join(or)})`;
}

// A word found in more passages than this share of all passages (and at least COMMON_MIN) is common.
const COMMON_SHARE = 0.05;
const COMMON_MIN = 5_000;
// Passages ranked when a query holds only common words.
const COMMON_ONLY_CAP = 5_000;
const DF_TTL_MS = 10 * 60_000;
const dfCache = new WeakMap<Db, { total: { n: number; at: number } | null; terms: Map<string, { n: number; at: number }> }>();

/** The query words that are common in the index (passage counts probed up to the cut-off, cached for minutes). */
async function commonTerms(db: Db, dialect: Dialect, terms: string[], prefixLast: boolean): Promise<Set<string>> {
  let cache = dfCache.get(db);
  if (!cache) dfCache.set(db, (cache = { total: null, terms: new Map() }));
  const now = Date.now();
  if (!cache.total || now - cache.total.at > DF_TTL_MS) {
    const r = await db.selectFrom('chunk').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    cache.total = { n: Number(r.n), at: now };
  }
  const cutoff = Math.max(COMMON_MIN, Math.round(cache.total.n * COMMON_SHARE));
  const out = new Set<string>();
  // Below the cut-off in all, no word can be common.
  if (cache.total.n <= cutoff) return out;
  for (const [i, t] of terms.entries()) {
    const prefix = prefixLast && i === terms.length - 1;
    const key = `${prefix ? '*' : ''}${t}`;
    let hit = cache.terms.get(key);
    if (!hit || now - hit.at > DF_TTL_MS) {
      const probe =
        dialect === 'sqlite'
          ? sql<{ n: number }>`select count(*) as n from (select rowid from chunk_fts where chunk_fts match ${`"${t}"${prefix ? '*' : ''}`} limit ${cutoff + 1})`
          : sql<{ n: number }>`select count(*) as n from (select 1 from chunk where tsv @@ to_tsquery('english', ${`'${t}'${prefix ? ':*' : ''}`}) limit ${cutoff + 1}) x`;
      hit = { n: Number((await probe.execute(db)).rows[0]?.n ?? 0), at: now };
      if (cache.terms.size > 50_000) cache.terms.clear();
      cache.terms.set(key, hit);
    }
    if (hit.n > cutoff) out.add(t);
  }
  return out;
}

/** Passages of readable, filtered documents (the candidates of a filtered semantic search), at most `cap`. */
export async function candidateChunks(db: Db, readable: DocCondition, filters: ResolvedFilters, cap: number): Promise<number[]> {
  const rows = await db
    .selectFrom('chunk')
    .innerJoin('document', 'document.id', 'chunk.document_id')
    .select('chunk.id')
    .where(readable)
    .where(applyFilters(filters))
    .where((eb) => eb('chunk.version_id', '=', eb.ref('document.current_version_id')))
    .limit(cap)
    .execute();
  return rows.map((r) => Number(r.id));
}

/**
 * Keeps only the given passages that belong to readable current versions: vector hits come
 * from an index partitioned by organization, and are checked here against the same SQL
 * condition as keyword hits.
 */
export async function readableChunks(db: Db, readable: DocCondition, chunkIds: number[]): Promise<Set<number>> {
  const out = new Set<number>();
  // Two index lookups (passages by id, then their documents) rather than one join whose
  // plan depends on table statistics.
  for (let i = 0; i < chunkIds.length; i += 500) {
    const chunks = await db.selectFrom('chunk').select(['id', 'document_id', 'version_id']).where('id', 'in', chunkIds.slice(i, i + 500)).execute();
    if (!chunks.length) continue;
    const docs = await db
      .selectFrom('document')
      .select(['document.id', 'document.current_version_id'])
      .where('document.id', 'in', [...new Set(chunks.map((c) => c.document_id))])
      .where(readable)
      .execute();
    const current = new Map(docs.map((d) => [d.id, d.current_version_id]));
    for (const c of chunks) if (current.get(c.document_id) === c.version_id) out.add(Number(c.id));
  }
  return out;
}

/** Passages with their document's name, folder, owner, status, type and creation date. */
export async function loadChunks(db: Db, orgId: string, chunkIds: number[]) {
  if (!chunkIds.length) return [];
  return db
    .selectFrom('chunk')
    .innerJoin('document', 'document.id', 'chunk.document_id')
    .leftJoin('extraction', 'extraction.document_id', 'document.id')
    .select([
      'chunk.id', 'chunk.document_id', 'chunk.page', 'chunk.heading', 'chunk.text', 'document.name', 'document.folder_id',
      'document.owner_id', 'document.status', 'document.created_at', 'extraction.type',
    ])
    .where('chunk.org_id', '=', orgId)
    .where('chunk.id', 'in', chunkIds)
    .execute();
}

/** Tags of the given documents. */
export async function tagsOf(db: Db, orgId: string, documentIds: string[]) {
  if (!documentIds.length) return [];
  return db
    .selectFrom('document_tag')
    .innerJoin('tag', 'tag.id', 'document_tag.tag_id')
    .select(['document_tag.document_id', 'tag.id', 'tag.name'])
    .where('document_tag.org_id', '=', orgId)
    .where('document_tag.document_id', 'in', documentIds)
    .execute();
}

export async function logQuery(db: Db, row: Insertable<DB['search_query']>): Promise<void> {
  await db.insertInto('search_query').values(row).execute();
}

// ---- embedding models ----

export async function findModel(db: Db, key: string) {
  return db.selectFrom('embedding_model').selectAll().where('key', '=', key).executeTakeFirst();
}

export async function listModelRows(db: Db) {
  return db.selectFrom('embedding_model').selectAll().orderBy('created_at', 'desc').execute();
}

export async function upsertModel(db: Db, row: { key: string; dims: number; sha256: string; status: 'building' | 'ready' | 'retired'; created_at: string; ready_at: string | null }) {
  await db
    .insertInto('embedding_model')
    .values(row)
    .onConflict((oc) => oc.column('key').doUpdateSet({ dims: row.dims, sha256: row.sha256, status: row.status, ready_at: row.ready_at }))
    .execute();
}

export async function countChunks(db: Db): Promise<number> {
  const r = await db.selectFrom('chunk').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Passages without a vector of `model`, oldest first, after `afterId`. */
export async function chunksMissingVector(db: Db, model: string, afterId: number, limit: number) {
  return db
    .selectFrom('chunk')
    .select(['chunk.id', 'chunk.org_id', 'chunk.heading', 'chunk.text'])
    .where('chunk.id', '>', afterId)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('chunk_vector').select('chunk_vector.chunk_id').whereRef('chunk_vector.chunk_id', '=', 'chunk.id').where('chunk_vector.model', '=', model))))
    .orderBy('chunk.id')
    .limit(limit)
    .execute();
}

/** Drops the vectors of every model but `keep`, a slice at a time; returns how many went. */
export async function deleteOtherVectors(db: Db, keep: string, limit: number): Promise<number> {
  const rows = await db.selectFrom('chunk_vector').select(['chunk_id', 'model']).where('model', '!=', keep).limit(limit).execute();
  for (const r of rows) await db.deleteFrom('chunk_vector').where('chunk_id', '=', r.chunk_id).where('model', '=', r.model).execute();
  return rows.length;
}

/** A queued or running job of `type` with exactly this payload, if one exists. */
export async function pendingJob(db: Db, type: string, payload: string): Promise<string | null> {
  const rows = await db.selectFrom('job').select(['id', 'payload']).where('type', '=', type).where('status', 'in', ['queued', 'running']).execute();
  return rows.find((r) => JSON.stringify(JSON.parse(r.payload)) === payload)?.id ?? null;
}

/** Marks that an organization's searchable content changed (cached answers keyed on the old version stop matching). */
export async function bumpContentVersion(db: Db, orgId: string): Promise<void> {
  await db.updateTable('org').set((eb) => ({ content_version: eb('content_version', '+', 1) })).where('id', '=', orgId).execute();
}

export async function contentVersion(db: Db, orgId: string): Promise<number> {
  const row = await db.selectFrom('org').select('content_version').where('id', '=', orgId).executeTakeFirst();
  return Number(row?.content_version ?? 0);
}

/** The first passages of a document's current version, in reading order. */
export async function documentPassages(db: Db, orgId: string, documentId: string, limit: number) {
  return db
    .selectFrom('chunk')
    .innerJoin('document', 'document.id', 'chunk.document_id')
    .select(['chunk.id', 'chunk.page', 'chunk.heading', 'chunk.text'])
    .where('chunk.org_id', '=', orgId)
    .where('chunk.document_id', '=', documentId)
    .where((eb) => eb('chunk.version_id', '=', eb.ref('document.current_version_id')))
    .orderBy('chunk.ord')
    .limit(limit)
    .execute();
}

export async function tagsByName(db: Db, orgId: string, names: string[]) {
  return db.selectFrom('tag').select(['id', 'name']).where('org_id', '=', orgId).where('name', 'in', names).execute();
}

/** Names of folders by id (facet labels). */
export async function folderNames(db: Db, orgId: string, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db.selectFrom('folder').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', ids).execute();
  return new Map(rows.map((f) => [f.id, f.name]));
}

/** Display names of users by id (facet labels): the name, else the email. */
export async function userNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db.selectFrom('user').select(['id', 'name', 'email']).where('id', 'in', ids).execute();
  return new Map(rows.map((u) => [u.id, u.name || u.email]));
}

export async function recentQueries(db: Db, orgId: string, limit: number) {
  return db.selectFrom('search_query').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').limit(limit).execute();
}
