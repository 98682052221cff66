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
 * `prefixLast` lets the last word match as a prefix (results while typing). `readable` is
 * applied to documents picked by id (`readableDocuments(actor, { byId: true })`), and
 * `orgId` is the reader's organization.
 *
 * The full-text index ranks its best matches first (at most RANKED_CAP); their passages
 * are then checked against `readable`, the filters and the current version by primary key,
 * a growing slice at a time, until `limit` pass. Only when the ranked prefix runs out with
 * too few passing (a selective filter, a small organization in a shared index) is every
 * match ranked in one query — never a page of results filtered afterwards.
 */
export async function keywordSearch(
  db: Db,
  dialect: Dialect,
  readable: DocCondition,
  filters: ResolvedFilters,
  terms: string[],
  opts: { limit: number; prefixLast: boolean; orgId: string; /** Tests only: matches ranked before checking. */ rankedCap?: number },
): Promise<KeywordHit[]> {
  if (!terms.length) return [];
  const isPrefix = (i: number) => opts.prefixLast && i === terms.length - 1;
  const { kinds, counts, total, listed, large } = await termKinds(db, dialect, terms, opts.prefixLast);
  const quoted = terms.map((t, i) => (dialect === 'sqlite' ? `"${t}"${isPrefix(i) ? '*' : ''}` : `'${t}'${isPrefix(i) ? ':*' : ''}`));
  const [or, and] = dialect === 'sqlite' ? [' OR ', ' AND '] : [' | ', ' & '];
  const must = quoted.filter((_, i) => kinds[i] === 'match');
  const rank = quoted.filter((_, i) => kinds[i] === 'match' || kinds[i] === 'rank');
  // Only everyday words: they barely tell passages apart, so the newest passages holding them all come first.
  const everyday = !must.length;
  const expr = everyday ? quoted.join(and) : must.length === rank.length ? must.join(or) : `(${must.join(or)})${and}(${rank.join(or)})`;

  if (dialect === 'postgres' && large && (everyday || listedMatch(kinds, counts, listed) || (await moreMatchesThan(db, must.join(or), PG_RANKED)))) {
    // Postgres ranks from each passage's tsvector, read from its TOAST storage: tens of µs a
    // passage. In a large index everyday words take the newest passages holding them all;
    // when more than PG_RANKED passages hold a rarer word, the newest PG_RANKED are ranked.
    const estimate = matchEstimate(kinds, counts, total, everyday);
    // Ranked while they are checked (on another connection), with every query word.
    const rank = async (ids: number[]) => {
      const r = await sql<{ id: number; score: number }>`select id, ts_rank(tsv, to_tsquery('english', ${expr}), 1) as score from chunk where id = any(${ids}::bigint[])`.execute(db);
      return new Map(r.rows.map((x) => [Number(x.id), Number(x.score)]));
    };
    // A passage holding a rarer word always holds one of the words that rank: the rarer ones alone find the matches.
    const newest = await newestMatches(db, readable, filters, everyday ? expr : must.join(or), estimate, opts.orgId, everyday ? opts.limit : PG_RANKED, everyday ? undefined : rank);
    if (!everyday) newest.sort((a, b) => b.score - a.score || b.chunkId - a.chunkId);
    return newest.slice(0, opts.limit);
  }
  // The best few first (their passages nearly always pass), then a longer prefix, then every match.
  for (const cap of opts.rankedCap ? [opts.rankedCap] : [Math.max(2 * opts.limit, 1_000), RANKED_CAP]) {
    const ranked = await rankedMatches(db, dialect, expr, everyday, opts.orgId, cap);
    const out: KeywordHit[] = [];
    for (let from = 0, size = Math.max(2 * opts.limit, 500); from < ranked.length && out.length < opts.limit; from += size, size *= 4) {
      const slice = ranked.slice(from, from + size);
      const ok = await passing(db, opts.orgId, readable, filters, slice.map((r) => r.id));
      for (const r of slice) {
        const passage = ok.get(r.id);
        if (passage) out.push({ chunkId: r.id, score: r.score, passage });
      }
    }
    if (out.length >= opts.limit || ranked.length < cap) return out.slice(0, opts.limit);
  }
  const every = await everyMatch(db, dialect, readable, filters, expr, everyday, opts.limit);
  const passages = await passing(db, opts.orgId, readable, filters, every.map((r) => r.chunkId));
  return every.flatMap((r) => {
    const passage = passages.get(r.chunkId);
    return passage ? [{ ...r, passage }] : [];
  });
}

/** A keyword match, with what search shows of its passage (it passed the readability check). */
export interface KeywordHit {
  chunkId: number;
  score: number;
  passage: PassageRow;
}

// The longest prefix of ranked matches checked before every match is ranked in one query.
const RANKED_CAP = 20_000;
// Postgres, in a large index: the newest passages holding a rarer query word that are ranked.
const PG_RANKED = 800;
// Postgres, measured costs (µs) that decide how the newest matches are found: testing one
// passage's tsvector while walking the primary key (read from TOAST), reading one posting of
// the GIN index, and adding one match to the bitmap.
const WALK_US = 4;
const POSTING_US = 0.06;
const BITMAP_US = 0.4;
// … and, for a window of ids: adding one id of the window to its bitmap, reading one match's passage.
const RANGE_US = 0.12;
const HEAP_US = 5;
// A window of ids is sized to hold this many times the matches wanted: every match in it is read.
const WINDOW_MARGIN = 1.3;

/** Whether more than `n` passages match a tsquery (Postgres): at most n + 1 passages are read; cached with the word counts. */
async function moreMatchesThan(db: Db, expr: string, n: number): Promise<boolean> {
  const cache = dfCache.get(db);
  const key = `?${n}:${expr}`;
  const hit = cache?.terms.get(key);
  if (hit && Date.now() - hit.at <= DF_TTL_MS) return hit.n > n;
  const r = await sql<{ n: number }>`select count(*)::int as n from (select 1 from chunk where tsv @@ to_tsquery('english', ${expr}) limit ${n + 1}) x`.execute(db);
  const count = Number(r.rows[0]?.n ?? 0);
  cache?.terms.set(key, { n: count, at: Date.now() });
  return count > n;
}

/**
 * Whether one of the query's `match` words is among the lexemes the planner's statistics
 * list as most common (Postgres): it is then held by a known, large number of passages.
 */
function listedMatch(kinds: string[], counts: number[], listed: number): boolean {
  return listed > PG_RANKED && counts.some((n, i) => kinds[i] === 'match' && n >= listed);
}

/**
 * What the words of the query's match expression are estimated to hold, from the counts
 * `termKinds` gave: `share`, the share of all passages matching (words taken as
 * independent: everyday words must all be held; otherwise one of the rarer words, the
 * everyday ones only weighing in the ranking), and `postings`, the passages the GIN index
 * lists under those words; `matches`, the passages matching.
 */
function matchEstimate(kinds: string[], counts: number[], total: number, everyday: boolean): MatchEstimate {
  const used = counts.filter((_, i) => everyday || kinds[i] === 'match').map((n) => Math.min(n, total));
  const postings = used.reduce((a, n) => a + n, 0);
  const share = everyday ? used.reduce((p, n) => (p * n) / total, 1) : 1 - used.reduce((p, n) => p * (1 - n / total), 1);
  return { share, postings, matches: share * total };
}

interface MatchEstimate {
  share: number;
  postings: number;
  matches: number;
}

/**
 * The newest `want` readable, current passages (passing the filters) that match a tsquery,
 * newest first (Postgres), each with its `score` (given by `score` while the passages are
 * checked, else the id). They are found the cheaper of two ways, by the estimate of what the
 * words hold: walking the primary key backwards and testing each passage's tsvector (about
 * want / share passages, read from TOAST), or the GIN index's bitmap (every posting of the
 * words is read) intersected with a window of the newest ids sized to hold about 1.3 times
 * `want` matches, so that only the passages in it are read (`id + 0` keeps the planner from
 * walking the primary key). The walk goes on, or the window moves to older ids, four times
 * as wide each time, until `want` pass or no passage is left.
 */
async function newestMatches(
  db: Db,
  readable: DocCondition,
  filters: ResolvedFilters,
  expr: string,
  estimate: MatchEstimate,
  orgId: string,
  want: number,
  score?: (ids: number[]) => Promise<Map<number, number>>,
): Promise<KeywordHit[]> {
  const out: KeywordHit[] = [];
  const share = Math.max(estimate.share, 1e-6);
  const walk = (want / share) * WALK_US < estimate.postings * POSTING_US + estimate.matches * BITMAP_US;
  const order = walk ? sql`id desc` : sql`id + 0 desc`;
  const top = await sql<{ id: number | null }>`select max(id) as id from chunk`.execute(db);
  let hi = Number(top.rows[0]?.id ?? 0) + 1;
  let width = walk ? hi : Math.ceil((WINDOW_MARGIN * want) / share);
  const cap = walk ? want : Math.max(2 * want, 1_000);
  let matches = estimate.matches;
  while (out.length < want && hi > 0) {
    // Intersecting with the window's ids costs more than reading every match when the matches are few: then no window.
    const narrow = !walk && width * RANGE_US < matches * HEAP_US;
    const lo = narrow ? Math.max(0, hi - width) : 0;
    const id = walk || narrow ? sql`id` : sql`(id + 0)`;
    const window = (d: Db) =>
      sql<ChunkRef>`select id, document_id, version_id, page, heading from chunk where tsv @@ to_tsquery('english', ${expr}) and org_id = ${orgId} and ${id} >= ${lo} and ${id} < ${hi} order by ${order} limit ${cap}`.execute(d);
    const rows = (await (walk ? window(db) : withoutIndexScans(db, window))).rows.map((r) => ({ ...r, id: Number(r.id) }));
    // Nearly every match passes: slices a little larger than what is still wanted.
    for (let i = 0, size = 0; i < rows.length && out.length < want; i += size) {
      size = Math.min(1_000, Math.max(100, Math.ceil((want - out.length) * 1.1)));
      const slice = rows.slice(i, i + size);
      const [ok, scores] = await Promise.all([passingRows(db, orgId, readable, filters, slice), score?.(slice.map((r) => r.id))]);
      for (const r of slice) {
        const passage = ok.get(r.id);
        if (passage && out.length < want) out.push({ chunkId: r.id, score: scores?.get(r.id) ?? r.id, passage });
      }
    }
    // A full page: the walk or the window goes on below its oldest id. Otherwise the next,
    // older window, four times as wide; what matched in this one corrects the estimate.
    if (rows.length === cap) hi = rows[rows.length - 1].id;
    else {
      matches = Math.max(matches, (rows.length / Math.max(1, hi - lo)) * hi);
      width *= 4;
      hi = lo;
    }
  }
  return out;
}

/**
 * Runs `f` with plain index scans off (Postgres): the planner takes testing a tsvector for a
 * cheap filter, and would rather walk the primary key over a window of ids, reading every
 * passage's tsvector from TOAST, than intersect the GIN index's bitmap with the window's.
 */
async function withoutIndexScans<T>(db: Db, f: (db: Db) => Promise<T>): Promise<T> {
  const off = async (trx: Db) => {
    await sql`set local enable_indexscan = off`.execute(trx);
    return f(trx);
  };
  if (!db.isTransaction) return db.transaction().execute(off);
  // Inside a caller's transaction the setting is put back for the rest of it.
  try {
    return await off(db);
  } finally {
    await sql`set local enable_indexscan = on`.execute(db);
  }
}

/**
 * The best `cap` matches of a full-text expression, best first: by BM25 (heading weighted
 * twice) in FTS5's own ORDER BY rank; by ts_rank over the organization's passages on
 * Postgres. Everyday words only: the newest matches, newest first.
 */
async function rankedMatches(db: Db, dialect: Dialect, expr: string, everyday: boolean, orgId: string, cap: number): Promise<{ id: number; score: number }[]> {
  let q;
  if (dialect === 'sqlite') {
    q = everyday
      ? sql<{ id: number; score: number }>`select rowid as id, rowid as score from chunk_fts where chunk_fts match ${expr} order by rowid desc limit ${cap}`
      : sql<{ id: number; score: number }>`select rowid as id, -rank as score from chunk_fts where chunk_fts match ${expr} and rank match 'bm25(2.0, 1.0)' order by rank limit ${cap}`;
  } else {
    const query = sql`to_tsquery('english', ${expr})`;
    q = everyday
      ? sql<{ id: number; score: number }>`select id, id as score from chunk where tsv @@ ${query} and org_id = ${orgId} order by id desc limit ${cap}`
      : sql<{ id: number; score: number }>`select id, ts_rank(tsv, ${query}, 1) as score from chunk where tsv @@ ${query} and org_id = ${orgId} order by score desc limit ${cap}`;
  }
  return (await q.execute(db)).rows.map((r) => ({ id: Number(r.id), score: Number(r.score) }));
}

/** What a passage's readability check needs, and what search shows of it besides its document. */
interface ChunkRef {
  id: number;
  document_id: string;
  version_id: string;
  page: number;
  heading: string | null;
}

/**
 * The given passages that are readable, current and pass the filters, with their documents:
 * lookups by primary key (the passages, then their documents under the conditions), not one
 * join whose plan would depend on how selective the planner takes the conditions to be.
 */
async function passing(db: Db, orgId: string, readable: DocCondition, filters: ResolvedFilters, ids: number[]): Promise<Map<number, PassageRow>> {
  const out = new Map<number, PassageRow>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunks = await db.selectFrom('chunk').select(['id', 'document_id', 'version_id', 'page', 'heading']).where('id', 'in', ids.slice(i, i + 1000)).execute();
    for (const [id, row] of await passingRows(db, orgId, readable, filters, chunks)) out.set(id, row);
  }
  return out;
}

/**
 * Which of the given passages are readable, current and pass the filters, each with its
 * document, the document's extraction type and tag names (looked up at once: on Postgres, on
 * separate connections; a type or tag only counts for a readable document).
 */
async function passingRows(db: Db, orgId: string, readable: DocCondition, filters: ResolvedFilters, chunks: ChunkRef[]): Promise<Map<number, PassageRow>> {
  const out = new Map<number, PassageRow>();
  if (!chunks.length) return out;
  const docIds = [...new Set(chunks.map((c) => c.document_id))];
  const [docs, types, tagRows] = await Promise.all([
    db
      .selectFrom('document')
      .select(['document.id', 'document.current_version_id', 'document.name', 'document.folder_id', 'document.owner_id', 'document.status', 'document.created_at'])
      .where('document.id', 'in', docIds)
      .where(readable)
      .where(applyFilters(filters))
      .execute(),
    db.selectFrom('extraction').select(['document_id', 'type']).where('document_id', 'in', docIds).execute(),
    tagsOf(db, orgId, docIds),
  ]);
  const type = new Map(types.map((t) => [t.document_id, t.type]));
  const tags = new Map<string, string[]>();
  for (const t of tagRows) {
    if (!tags.has(t.document_id)) tags.set(t.document_id, []);
    tags.get(t.document_id)!.push(t.name);
  }
  const byId = new Map(docs.map((d) => [d.id, d]));
  for (const c of chunks) {
    const d = byId.get(c.document_id);
    if (!d || d.current_version_id !== c.version_id) continue;
    out.set(Number(c.id), {
      id: Number(c.id), document_id: c.document_id, page: c.page, heading: c.heading, name: d.name, folder_id: d.folder_id, owner_id: d.owner_id,
      status: d.status, created_at: d.created_at, type: type.get(d.id) ?? null, tags: tags.get(d.id) ?? [],
    });
  }
  return out;
}

/** Every match ranked in one query, the readable ones only (when the ranked prefix was not enough). */
async function everyMatch(db: Db, dialect: Dialect, readable: DocCondition, filters: ResolvedFilters, expr: string, everyday: boolean, limit: number) {
  const current = (eb: ExpressionBuilder<DB, 'chunk' | 'document'>) => eb('chunk.version_id', '=', eb.ref('document.current_version_id'));
  if (dialect === 'sqlite') {
    const m = everyday
      ? sql<{ rowid: number; rank: number }>`(select rowid, rowid as rank from chunk_fts where chunk_fts match ${expr})`
      : sql<{ rowid: number; rank: number }>`(select rowid, -bm25(chunk_fts, 2.0, 1.0) as rank from chunk_fts where chunk_fts match ${expr})`;
    const rows = await db
      .selectFrom(m.as('m'))
      .innerJoin('chunk', 'chunk.id', 'm.rowid')
      .innerJoin('document', 'document.id', 'chunk.document_id')
      .select(['chunk.id as id', 'm.rank as rank'])
      .where(readable)
      .where(applyFilters(filters))
      .where(current)
      .orderBy('m.rank', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ chunkId: Number(r.id), score: Number(r.rank) }));
  }
  const query = sql`to_tsquery('english', ${expr})`;
  const rows = await db
    .selectFrom('chunk')
    .innerJoin('document', 'document.id', 'chunk.document_id')
    .select(['chunk.id as id', (everyday ? sql<number>`chunk.id` : sql<number>`ts_rank(chunk.tsv, ${query}, 1)`).as('rank')])
    .where(sql<SqlBool>`chunk.tsv @@ ${query}`)
    .where(readable)
    .where(applyFilters(filters))
    .where(current)
    .orderBy('rank', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ chunkId: Number(r.id), score: Number(r.rank) }));
}

// A word found in more passages than this share of all passages (and at least COMMON_MIN) is common.
const COMMON_SHARE = 0.05;
const COMMON_MIN = 5_000;
// A word in more than a quarter of the passages weighs little in FTS5's BM25 (IDF under
// log 3, against 3 and more for the words that match; nothing at half) yet costs a pass over
// its whole list of passages to weigh: SQLite leaves it out.
const WEIGHTLESS_SHARE = 0.25;
const DF_TTL_MS = 10 * 60_000;
// Per database: passages in all, the fewest passages of a lexeme listed in the statistics (Postgres), passages per word.
const dfCache = new WeakMap<Db, { total: { n: number; at: number } | null; listed?: { n: number; at: number }; terms: Map<string, { n: number; at: number }> }>();

/**
 * What each query word does ("common terms"): `match` (a rare word: a passage holding it
 * matches), `rank` (a word found in a large share of all passages: it counts in the ranking,
 * yet alone does not make a match, so a question full of everyday words is not ranked over
 * the whole library) or `skip` (SQLite: next to weightless in BM25). How many passages hold
 * each word is counted up to the weightless share on SQLite and estimated by the planner on
 * Postgres (counting there reads every passage holding the word), then cached for minutes.
 */
async function termKinds(db: Db, dialect: Dialect, terms: string[], prefixLast: boolean): Promise<TermKinds> {
  let cache = dfCache.get(db);
  if (!cache) dfCache.set(db, (cache = { total: null, terms: new Map() }));
  const now = Date.now();
  if (!cache.total || now - cache.total.at > DF_TTL_MS) {
    cache.total = { n: await passageCount(db, dialect), at: now };
    if (dialect === 'postgres') cache.listed = { n: Math.ceil((await listedFrequency(db)) * cache.total.n), at: now };
  }
  const total = Math.max(1, cache.total.n);
  const listed = cache.listed?.n ?? Number.POSITIVE_INFINITY;
  const cutoff = Math.max(COMMON_MIN, Math.round(total * COMMON_SHARE));
  // Below the cut-off in all, no word can be common.
  if (total <= cutoff) return { kinds: terms.map(() => 'match'), counts: [], total, listed, large: false };
  const weightless = dialect === 'sqlite' ? Math.round(total * WEIGHTLESS_SHARE) : Number.POSITIVE_INFINITY;
  const kinds: ('match' | 'rank' | 'skip')[] = [];
  const counts: number[] = [];
  for (const [i, t] of terms.entries()) {
    const prefix = prefixLast && i === terms.length - 1;
    const key = `${prefix ? '*' : ''}${t}`;
    let hit = cache.terms.get(key);
    if (!hit || now - hit.at > DF_TTL_MS) {
      const n =
        dialect === 'sqlite'
          ? Number((await sql<{ n: number }>`select count(*) as n from (select rowid from chunk_fts where chunk_fts match ${`"${t}"${prefix ? '*' : ''}`} limit ${weightless + 1})`.execute(db)).rows[0]?.n ?? 0)
          : await estimatedMatches(db, `'${t}'${prefix ? ':*' : ''}`);
      hit = { n, at: now };
      if (cache.terms.size > 50_000) cache.terms.clear();
      cache.terms.set(key, hit);
    }
    kinds.push(hit.n > weightless ? 'skip' : hit.n > cutoff ? 'rank' : 'match');
    counts.push(hit.n);
  }
  // Only weightless words: they still have to be held, all of them.
  return { kinds: kinds.every((k) => k === 'skip') ? kinds.map(() => 'rank') : kinds, counts, total, listed, large: true };
}

/** What `termKinds` found: each word's kind and passage count, passages in all, and (Postgres) the fewest passages of a lexeme the statistics list. */
interface TermKinds {
  kinds: ('match' | 'rank' | 'skip')[];
  counts: number[];
  total: number;
  listed: number;
  large: boolean;
}

/**
 * How many passages there are: counted on SQLite; on Postgres the planner's statistics
 * (kept by autovacuum), counted only when the table was never analyzed.
 */
async function passageCount(db: Db, dialect: Dialect): Promise<number> {
  if (dialect === 'postgres') {
    const r = await sql<{ n: number }>`select reltuples::bigint as n from pg_class where oid = to_regclass('chunk')`.execute(db);
    const n = Number(r.rows[0]?.n ?? -1);
    if (n > 0) return n;
  }
  const r = await db.selectFrom('chunk').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * The lowest frequency among the lexemes Postgres's statistics list as most common in
 * `chunk.tsv` (for a tsvector column the element frequencies are followed by their minimum
 * and maximum); Infinity without statistics.
 */
async function listedFrequency(db: Db): Promise<number> {
  const r = await sql<{ f: number | null }>`select most_common_elem_freqs[array_length(most_common_elems, 1) + 1] as f from pg_stats where schemaname = current_schema() and tablename = 'chunk' and attname = 'tsv'`.execute(db);
  const f = Number(r.rows[0]?.f ?? Number.NaN);
  return f > 0 ? f : Number.POSITIVE_INFINITY;
}

/**
 * How many passages hold a word, as the Postgres planner estimates it from the column's
 * statistics (the most common lexemes and their frequencies): no passage is read. Rare words
 * are not in the statistics and come out small, which is what matters here.
 */
async function estimatedMatches(db: Db, query: string): Promise<number> {
  const r = await sql<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>`explain (format json) select 1 from chunk where tsv @@ to_tsquery('english', ${query})`.execute(db);
  return Number(r.rows[0]?.['QUERY PLAN']?.[0]?.Plan?.['Plan Rows'] ?? 0);
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

/** A passage with what search shows of its document (its text is loaded for the shown results only). */
export interface PassageRow {
  id: number;
  document_id: string;
  page: number;
  heading: string | null;
  name: string;
  folder_id: string | null;
  owner_id: string | null;
  status: DocumentStatus;
  created_at: string;
  type: string | null;
  /** The document's tag names. */
  tags: string[];
}

/**
 * The given passages that belong to readable current versions, with their documents:
 * vector hits come from an index partitioned by organization and are checked here against
 * the same condition as keyword hits.
 */
export async function readablePassages(db: Db, orgId: string, readableById: DocCondition, chunkIds: number[]): Promise<Map<number, PassageRow>> {
  return passing(db, orgId, readableById, {}, chunkIds);
}

/** The text of passages of an organization, by id (the results shown). */
export async function passageTexts(db: Db, orgId: string, chunkIds: number[]): Promise<Map<number, string>> {
  if (!chunkIds.length) return new Map();
  // By primary key: `org_id || ''` keeps the (org_id, …) index from serving the tenant check.
  const rows = await db.selectFrom('chunk').select(['id', 'text']).where('id', 'in', chunkIds).where(sql<string>`org_id || ''`, '=', orgId).execute();
  return new Map(rows.map((r) => [Number(r.id), r.text]));
}

/** Tags of the given documents. */
export async function tagsOf(db: Db, orgId: string, documentIds: string[]) {
  if (!documentIds.length) return [];
  return db
    .selectFrom('document_tag')
    .innerJoin('tag', 'tag.id', 'document_tag.tag_id')
    .select(['document_tag.document_id', 'tag.id', 'tag.name'])
    // By primary key (document_id, tag_id); the tenant check is no index condition.
    .where('document_tag.document_id', 'in', documentIds)
    .where(sql<string>`document_tag.org_id || ''`, '=', orgId)
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
