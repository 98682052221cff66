/**
 * Search over an organization's documents: keyword (BM25 / ts_rank), semantic (nearest
 * vectors) or hybrid (both, fused by reciprocal rank), always computed over what the reader
 * may read (`readableDocuments` from authz, inside the SQL; the vector index is partitioned
 * by organization). Results are one per document — its best passage — with a highlighted
 * snippet and the page it is on; facets count the matching documents.
 */
import { z } from 'zod';
import { type Actor, authorize, readableDocuments, readablePartition } from '../../authz';
import type { DocumentStatus } from '../../platform/db/schema';
import type { Ctx } from '../../shared/context';
import { AppError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { folderWithDescendants } from '../documents/folder.service';
import { activeModel } from './models.service';
import * as repo from './search.repository';
import { makeSnippet } from './snippet';

export const SEARCH_MODES = ['hybrid', 'keyword', 'semantic'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];
const STATUSES = ['queued', 'processing', 'ready', 'needs_review', 'needs_password', 'failed', 'unsupported'] as const;

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

export const ZSearchQuery = z.object({
  q: z.string().max(1000).default(''),
  mode: z.enum(SEARCH_MODES).default('hybrid'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1000).default(0),
  folder: z.string().max(64).optional(),
  tags: z.union([z.string(), z.array(z.string())]).optional(),
  type: z.string().max(64).optional(),
  from: isoDay.optional(),
  to: isoDay.optional(),
  owner: z.string().max(64).optional(),
  status: z.enum(STATUSES).optional(),
  document: z.string().max(64).optional(),
  /** The last word may be unfinished (results while typing); such queries are not logged. */
  prefix: z
    .union([z.boolean(), z.enum(['1', '0', 'true', 'false'])])
    .transform((v) => v === true || v === '1' || v === 'true')
    .optional(),
});
export type SearchQuery = z.input<typeof ZSearchQuery>;

export interface SearchHit {
  documentId: string;
  name: string;
  page: number;
  /** Safe HTML with `<mark>` around matched words. */
  snippet: string;
  /** The snippet's words as plain text, and the words matched (to highlight on the page). */
  passage: string;
  matched: string[];
  heading: string | null;
  score: number;
  type: string | null;
  status: DocumentStatus;
  folderId: string | null;
  createdAt: string;
}

export interface FacetValue {
  value: string;
  label: string;
  count: number;
}

export interface SearchResponse {
  query: string;
  mode: SearchMode;
  results: SearchHit[];
  /** Matching documents (keyword matches plus the nearest passages' documents). */
  total: number;
  facets: { type: FacetValue[]; tag: FacetValue[]; folder: FacetValue[]; owner: FacetValue[]; status: FacetValue[] };
  /** Set when semantic search could not run (no model installed or the index is being built). */
  notice?: string;
  tookMs: number;
}

// Passages each leg contributes to fusion; keyword matches beyond them still count in `total`.
const KEYWORD_CANDIDATES = 400;
const SEMANTIC_CANDIDATES = 100;
// A filtered semantic search ranks at most this many passages exactly.
const FILTERED_CAP = 200_000;
const RRF_K = 60;
// Weight of the semantic leg in the fusion. The built-in sentence model alone ranks far
// below BM25 on technical text (Cranfield nDCG@10 0.19 against 0.37); weighted at 0.1 to 0.25
// it lifts keyword ranking (0.374 to 0.382) instead of diluting it (0.29 at equal weights).
const SEMANTIC_WEIGHT = 0.15;
// Nearest passages less similar than this are not offered as matches when keyword matches
// compete with them (hybrid) or inside one document, where "nearest" alone means little.
const SEMANTIC_FLOOR = 0.2;

async function resolveFilters(ctx: Ctx, actor: Actor, q: z.infer<typeof ZSearchQuery>): Promise<repo.ResolvedFilters> {
  const f: repo.ResolvedFilters = {};
  if (q.folder) f.folderIds = await folderWithDescendants(ctx, actor.orgId, q.folder).catch(() => []);
  const tagNames = (Array.isArray(q.tags) ? q.tags : (q.tags ?? '').split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean);
  if (tagNames.length) {
    const tags = await repo.tagsByName(ctx.db, actor.orgId, tagNames);
    // An unknown tag matches nothing (no tag has an empty id).
    f.tagIds = tags.length === new Set(tagNames).size ? tags.map((t) => t.id) : [''];
  }
  if (q.type) f.type = q.type;
  if (q.from) f.from = q.from;
  if (q.to) f.to = new Date(Date.parse(`${q.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  if (q.owner) f.ownerId = q.owner;
  if (q.status) f.status = q.status;
  if (q.document) f.documentId = q.document;
  return f;
}

export async function search(ctx: Ctx, actor: Actor, input: SearchQuery): Promise<SearchResponse> {
  authorize(actor, 'document.read');
  const parsed = ZSearchQuery.safeParse(input);
  if (!parsed.success) throw new AppError('validation_failed', parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
  const q = parsed.data;
  const started = performance.now();
  const text = q.q.trim();
  const empty = { type: [], tag: [], folder: [], owner: [], status: [] };
  if (!text) return { query: text, mode: q.mode, results: [], total: 0, facets: empty, tookMs: 0 };

  const { ranked, passages, terms, notice } = await rankPassages(ctx, actor, q, text);
  // One result per document (its best passage); inside one document, every matching passage.
  const seen = new Set<string>();
  const best: { row: repo.PassageRow; score: number }[] = [];
  for (const r of ranked) {
    const row = passages.get(r.chunkId)!;
    if (!q.document && seen.has(row.document_id)) continue;
    seen.add(row.document_id);
    best.push({ row, score: r.score });
  }
  const page = best.slice(q.offset, q.offset + q.limit);
  // Independent lookups: on Postgres they run at the same time on separate connections.
  const [texts, facets] = await Promise.all([repo.passageTexts(ctx.db, actor.orgId, page.map((b) => b.row.id)), buildFacets(ctx, actor.orgId, best.map((b) => b.row))]);
  const results: SearchHit[] = page.map(({ row, score }) => {
    const snip = makeSnippet(texts.get(row.id) ?? '', terms);
    return {
      documentId: row.document_id, name: row.name, page: row.page, snippet: snip.html, passage: snip.text, matched: snip.matched, heading: row.heading,
      score: Math.round(score * 10_000) / 10_000, type: row.type ?? null, status: row.status, folderId: row.folder_id, createdAt: row.created_at,
    };
  });
  const tookMs = Math.round(performance.now() - started);
  if (!q.prefix) {
    const used = Object.fromEntries(Object.entries({ folder: q.folder, tags: q.tags, type: q.type, from: q.from, to: q.to, owner: q.owner, status: q.status, document: q.document }).filter(([, v]) => v !== undefined));
    await repo.logQuery(ctx.db, {
      id: newId(), org_id: actor.orgId, user_id: actor.userId, query: text.slice(0, 1000), mode: q.mode,
      filters: Object.keys(used).length ? JSON.stringify(used) : null, results: best.length, took_ms: tookMs, created_at: ctx.clock.now().toISOString(),
    });
  }
  return { query: text, mode: q.mode, results, total: best.length, facets, ...(notice ? { notice } : {}), tookMs };
}

/** Both legs over readable, filtered passages, fused; the passages loaded with their documents. */
async function rankPassages(ctx: Ctx, actor: Actor, q: z.infer<typeof ZSearchQuery>, text: string) {
  const filters = await resolveFilters(ctx, actor, q);
  const terms = repo.queryTerms(text);
  const readable = readableDocuments(actor, { byId: true });
  const keywordLeg = () => repo.keywordSearch(ctx.db, ctx.dialect, readable, filters, terms, { limit: KEYWORD_CANDIDATES, prefixLast: !!q.prefix, orgId: actor.orgId });
  // Keyword hits come checked, with their passages. Vector hits come from an index partitioned
  // by organization: they are checked, and their passages loaded, as soon as the vector leg
  // ends. The legs do not depend on each other: on Postgres the keyword query runs on its own
  // connection while this process embeds the query and scans its vectors.
  const semanticLeg = async () => {
    const leg = await semanticPassages(ctx, actor, filters, text);
    return { ...leg, passages: await repo.readablePassages(ctx.db, actor.orgId, readable, leg.hits.map((h) => h.chunkId)) };
  };
  const [keywordHits, vectorLeg] = await Promise.all([
    q.mode === 'semantic' ? [] : keywordLeg(),
    q.mode === 'keyword' ? { hits: [], notice: undefined, passages: new Map<number, repo.PassageRow>() } : semanticLeg(),
  ]);
  const { notice, passages } = vectorLeg;
  let keyword = keywordHits;
  let semantic = vectorLeg.hits;
  // Without a model, a semantic request falls back to keywords rather than showing nothing.
  if (q.mode === 'semantic' && notice) semantic = keyword = await keywordLeg();
  for (const h of keyword) passages.set(h.chunkId, h.passage);
  const floor = q.mode === 'hybrid' || q.document ? SEMANTIC_FLOOR : -1;
  if (!notice) semantic = semantic.filter((h) => passages.has(h.chunkId) && h.score >= floor);
  const ranked = fuse(q.mode, keyword, semantic).filter((r) => passages.has(r.chunkId));
  return { ranked, passages, terms, notice };
}

/** The semantic leg: the nearest passages (readability is checked with the keyword hits), or a notice when no model can serve. */
async function semanticPassages(ctx: Ctx, actor: Actor, filters: repo.ResolvedFilters, text: string): Promise<{ hits: { chunkId: number; score: number }[]; notice?: string }> {
  const model = await activeModel(ctx);
  if (!model) return { hits: [], notice: 'Semantic search is unavailable: the embedding model is not installed or the index is still being built. Showing keyword matches.' };
  const partition = readablePartition(actor);
  if (!partition) return { hits: [] };
  const [vector] = await ctx.search.embed([text], 'query', model.info);
  const hits = repo.hasFilters(filters)
    ? await ctx.search.vectors.rank(model.id, await repo.candidateChunks(ctx.db, readableDocuments(actor), filters, FILTERED_CAP), vector, SEMANTIC_CANDIDATES)
    : await ctx.search.vectors.nearest(model.id, partition, vector, SEMANTIC_CANDIDATES);
  return { hits: hits.map((h) => ({ chunkId: h.chunkId, score: h.similarity })) };
}

/** Weighted reciprocal rank fusion for hybrid; a single leg keeps its own order and score. */
export function fuse(mode: SearchMode, keyword: { chunkId: number; score: number }[], semantic: { chunkId: number; score: number }[]): { chunkId: number; score: number }[] {
  if (mode === 'keyword') return keyword;
  if (mode === 'semantic') return semantic;
  const score = new Map<number, number>();
  keyword.forEach((h, i) => score.set(h.chunkId, (score.get(h.chunkId) ?? 0) + 1 / (RRF_K + i + 1)));
  semantic.forEach((h, i) => score.set(h.chunkId, (score.get(h.chunkId) ?? 0) + SEMANTIC_WEIGHT / (RRF_K + i + 1)));
  return [...score].map(([chunkId, s]) => ({ chunkId, score: s })).sort((a, b) => b.score - a.score || a.chunkId - b.chunkId);
}

async function buildFacets(ctx: Ctx, orgId: string, rows: { document_id: string; type: string | null; folder_id: string | null; owner_id: string | null; status: DocumentStatus; tags: string[] }[]): Promise<SearchResponse['facets']> {
  const count = (values: (string | null)[]) => {
    const m = new Map<string, number>();
    for (const v of values) if (v) m.set(v, (m.get(v) ?? 0) + 1);
    return m;
  };
  const folders = count(rows.map((r) => r.folder_id));
  const owners = count(rows.map((r) => r.owner_id));
  const [folderNames, ownerNames] = await Promise.all([repo.folderNames(ctx.db, orgId, [...folders.keys()]), repo.userNames(ctx.db, [...owners.keys()])]);
  // Tags came with the passages; each document counts once (inside one document, every passage is a row).
  const tagged = new Map(rows.map((r) => [r.document_id, r.tags]));
  const list = (m: Map<string, number>, label: (v: string) => string) =>
    [...m].map(([value, n]) => ({ value, label: label(value), count: n })).sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
  return {
    type: list(count(rows.map((r) => r.type)), (v) => v),
    tag: list(count([...tagged.values()].flat()), (v) => v),
    folder: list(folders, (v) => folderNames.get(v) ?? v),
    owner: list(owners, (v) => ownerNames.get(v) ?? v),
    status: list(count(rows.map((r) => r.status)), (v) => v.replace('_', ' ')),
  };
}

/** Recent queries of an organization, newest first (for analytics). */
export async function recentQueries(ctx: Ctx, actor: Actor, limit = 50) {
  authorize(actor, 'audit.read');
  return repo.recentQueries(ctx.db, actor.orgId, limit);
}

/** A passage retrieved to answer a question. */
export interface RetrievedPassage {
  chunkId: number;
  documentId: string;
  name: string;
  page: number;
  heading: string | null;
  text: string;
  score: number;
}

/**
 * The best passages for a question (hybrid search over what the actor may read, optionally
 * inside a folder or a document), at most `perDocument` from one document. Not logged.
 */
export async function retrievePassages(ctx: Ctx, actor: Actor, input: { q: string; folder?: string; document?: string; limit: number; perDocument?: number }): Promise<{ passages: RetrievedPassage[]; terms: string[] }> {
  authorize(actor, 'document.read');
  const q = ZSearchQuery.parse({ q: input.q.slice(0, 1000), mode: 'hybrid', folder: input.folder, document: input.document });
  const text = q.q.trim();
  if (!text) return { passages: [], terms: [] };
  const { ranked, passages: rows, terms } = await rankPassages(ctx, actor, q, text);
  const perDoc = new Map<string, number>();
  const picked: { chunkId: number; score: number; row: repo.PassageRow }[] = [];
  for (const r of ranked) {
    const row = rows.get(r.chunkId)!;
    const n = perDoc.get(row.document_id) ?? 0;
    if (n >= (input.perDocument ?? 2)) continue;
    perDoc.set(row.document_id, n + 1);
    picked.push({ ...r, row });
    if (picked.length >= input.limit) break;
  }
  const texts = await repo.passageTexts(ctx.db, actor.orgId, picked.map((p) => p.chunkId));
  const passages: RetrievedPassage[] = picked.map(({ chunkId, score, row }) => ({
    chunkId, documentId: row.document_id, name: row.name, page: row.page, heading: row.heading, text: texts.get(chunkId) ?? '', score,
  }));
  return { passages, terms };
}
