/**
 * Search latency benchmark: p50/p95/p99 of `search()` in keyword, semantic and hybrid mode
 * over synthetic corpora of 100k and 1M passages, on SQLite and Postgres, with a breakdown
 * of where the time goes; and the embedding model's throughput.
 *
 *   node --import tsx scripts/bench/search-latency.ts [--sizes 100000,1000000]
 *        [--dialect sqlite|postgres|both] [--queries 200] [--budget 600] [--profile-queries 50]
 *        [--chunks-per-doc 10] [--skip-embed]
 *
 * --sizes 0 runs only the embedding throughput; --skip-embed leaves it out.
 * --budget: seconds per mode and size after which the remaining queries are skipped (the
 * output says so); --profile-queries: queries of the step-by-step breakdown.
 *
 * Corpus (not through the pipeline: rows are written directly with bulk SQL, 50,000 passages
 * a transaction; the full-text index is kept by the schema's own triggers / generated column,
 * the vector change log by the chunk_vector triggers):
 * - documents of `--chunks-per-doc` passages, each with a version, an extraction type, a
 *   folder out of 20 and 0–2 tags out of 30, owned by one of two users;
 * - passage text: 60–220 words drawn from a Zipf distribution (s = 1.07) over 50,000
 *   synthetic words, so frequent words are in nearly every passage and rare ones in few;
 * - vectors: random unit vectors of 512 dimensions, stored under a stand-in model
 *   (`bench-random`) whose query "embedding" is also a random unit vector, so the latencies
 *   exclude embedding the query (measured separately with the real model below);
 * - then `optimizeDatabase` runs, as the server does at start and every ten minutes, and on
 *   Postgres the bulk-loaded tables are VACUUM ANALYZEd, as autovacuum would after such a
 *   load; the vector index is caught up from the change log (timed).
 * Queries: 2–5 words from the same distribution, the same set for every mode, `limit` 20
 * (the API's default), after 20 warm-up queries; the time is the whole `search()` call,
 * query logging included. Then each step of `search()` timed alone (the coarse vector scan
 * over the sign bits in memory at several k, the memory it holds), and variants that are not
 * what `search()` does (fewer query words, JIT off, a plain FTS5 ORDER BY rank LIMIT; on
 * SQLite, the plans after a full ANALYZE). Every database is deleted at the end of its size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { type Actor, readableDocuments } from '../../src/authz';
import { modelId } from '../../src/modules/search/models.service';
import * as searchRepo from '../../src/modules/search/search.repository';
import { fuse, search, type SearchMode } from '../../src/modules/search/search.service';
import { makeSnippet } from '../../src/modules/search/snippet';
import { createDb, type Dialect, optimizeDatabase } from '../../src/platform/db/db';
import type { EmbeddingModelInfo } from '../../src/platform/embeddings/types';
import { createLogger } from '../../src/platform/log/logger';
import { createSearchRuntime, type SearchRuntime } from '../../src/platform/search/runtime';
import { WorkerPools } from '../../src/platform/workers/pools';
import { newId } from '../../src/shared/ids';
import { arg, type BenchApp, createOrgWithMember, flag, load, mb, openBenchApp, percentile, seconds, seededRandom, vocabulary, zipfSampler } from './search-support';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cranfieldFile = path.resolve(repoRoot, '../shared/data/retrieval_cranfield/corpus.jsonl');

const sizes = arg('sizes', '100000,1000000').split(',').map(Number).filter((n) => n > 0);
const dialectArg = arg('dialect', 'both');
const dialects: Dialect[] = dialectArg === 'both' ? ['sqlite', 'postgres'] : [dialectArg as Dialect];
const queryCount = Number(arg('queries', '200'));
const budgetMs = Number(arg('budget', '600')) * 1000;
const profileCount = Number(arg('profile-queries', '50'));
const chunksPerDoc = Number(arg('chunks-per-doc', '10'));
const MODES: SearchMode[] = ['keyword', 'semantic', 'hybrid'];
const DIMS = 512;
const TX_CHUNKS = 50_000;
const WARMUP = 20;
const TARGETS: Record<number, number> = { 100_000: 50, 1_000_000: 150 };

/** The stand-in model the synthetic vectors are stored under. */
const RANDOM_MODEL: EmbeddingModelInfo = { key: 'bench-random', kind: 'bert', name: 'random unit vectors', dims: DIMS, maxTokens: 128, dir: '', sha256: '0'.repeat(64) };

// ---- synthetic text and vectors ----

function unitVector(rand: () => number): Float32Array {
  const v = new Float32Array(DIMS);
  let norm = 0;
  for (let i = 0; i < DIMS; i += 2) {
    // Box–Muller: two normal values from two uniform ones.
    const r = Math.sqrt(-2 * Math.log(rand() || 1e-12));
    const t = 2 * Math.PI * rand();
    v[i] = r * Math.cos(t);
    v[i + 1] = r * Math.sin(t);
    norm += v[i] * v[i] + v[i + 1] * v[i + 1];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < DIMS; i++) v[i] /= norm;
  return v;
}

const vectorBytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

// ---- bulk loading ----

type Row = unknown[];
interface TableRows {
  table: string;
  columns: string[];
  /** Postgres array types of the columns, for `unnest`. */
  types: string[];
  rows: Row[];
}

/** Writes rows of several tables in one transaction: prepared statements on SQLite, `unnest` batches on Postgres. */
async function writeRows(app: BenchApp, tables: TableRows[]): Promise<void> {
  const { database } = app;
  if (database.sqlite) {
    const s = database.sqlite;
    s.transaction(() => {
      for (const t of tables) {
        const stmt = s.prepare(`insert into ${t.table} (${t.columns.join(', ')}) values (${t.columns.map(() => '?').join(', ')})`);
        for (const r of t.rows) stmt.run(...r);
      }
    })();
    return;
  }
  await database.db.transaction().execute(async (trx) => {
    for (const t of tables) {
      for (let i = 0; i < t.rows.length; i += 5_000) {
        const slice = t.rows.slice(i, i + 5_000);
        const arrays = t.columns.map((_, c) => slice.map((r) => r[c]));
        const params = arrays.map((a, c) => sql`${a}::${sql.raw(t.types[c])}[]`);
        await sql`insert into ${sql.raw(t.table)} (${sql.raw(t.columns.join(', '))}) select * from unnest(${sql.join(params)})`.execute(trx);
      }
    }
  });
}

interface Corpus {
  size: number;
  orgId: string;
  member: Actor;
  model: string;
  word: () => string;
  loadMs: number;
  catchUpMs: number;
}

async function buildCorpus(app: BenchApp, size: number): Promise<Corpus> {
  const { ctx } = app;
  const rand = seededRandom(20261121);
  const words = vocabulary(rand);
  const rank = zipfSampler(rand);
  const word = () => words[rank()];
  const { orgId, ownerId, member } = await createOrgWithMember(ctx);
  const model = modelId(RANDOM_MODEL);
  const now = new Date().toISOString();
  // The stand-in model is the ready one, as `syncEmbeddingModel` records a model at start.
  await ctx.db.insertInto('embedding_model').values({ key: model, dims: DIMS, sha256: RANDOM_MODEL.sha256, status: 'ready', created_at: now, ready_at: now }).execute();
  const folders = Array.from({ length: 20 }, (_, i) => ({ id: newId(), org_id: orgId, parent_id: null, name: `Folder ${i + 1}`, created_by: ownerId, created_at: now }));
  const tags = Array.from({ length: 30 }, (_, i) => ({ id: newId(), org_id: orgId, name: `tag-${i + 1}`, created_at: now }));
  await ctx.db.insertInto('folder').values(folders).execute();
  await ctx.db.insertInto('tag').values(tags).execute();
  const owners = [ownerId, member.userId];
  const types = ['invoice', 'receipt', 'other', 'other'];

  const started = performance.now();
  let lastPrint = started;
  for (let first = 0; first < size; first += TX_CHUNKS) {
    const docs: Row[] = [];
    const versions: Row[] = [];
    const extractions: Row[] = [];
    const docTags: Row[] = [];
    const chunks: Row[] = [];
    const vectors: Row[] = [];
    for (let id = first + 1; id <= Math.min(size, first + TX_CHUNKS); id++) {
      const ord = (id - 1) % chunksPerDoc;
      if (ord === 0) {
        const d = newId();
        const v = newId();
        const n = docs.length;
        docs.push([d, orgId, folders[Math.floor(rand() * folders.length)].id, null, owners[n % 2], `Document ${id}`, 'ready', null, null, null, 'text', 'text/plain', 4096, Math.ceil(chunksPerDoc / 3), v, 'upload', null, null, now, now]);
        versions.push([v, orgId, d, 1, newId(64), 4096, `document-${id}.txt`, 'text/plain', owners[n % 2], now]);
        extractions.push([d, orgId, v, types[n % types.length], 0.9, 'model', null, '{}', null, '[]', now, now]);
        const picked = new Set(Array.from({ length: Math.floor(rand() * 3) }, () => tags[Math.floor(rand() * tags.length)].id));
        for (const t of picked) docTags.push([orgId, d, t]);
      }
      const doc = docs[docs.length - 1];
      const length = 60 + Math.floor(rand() * 161);
      const text = Array.from({ length }, word).join(' ');
      chunks.push([id, orgId, doc[0], doc[14], 1 + Math.floor(ord / 3), ord, null, text, Math.ceil(length * 1.3), now]);
      vectors.push([id, model, orgId, vectorBytes(unitVector(rand))]);
    }
    await writeRows(app, [
      { table: 'document', columns: ['id', 'org_id', 'folder_id', 'parent_id', 'owner_id', 'name', 'status', 'error_code', 'error_message', 'progress', 'kind', 'mime', 'size', 'page_count', 'current_version_id', 'source', 'pending_password', 'deleted_at', 'created_at', 'updated_at'], types: ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'bigint', 'integer', 'text', 'text', 'text', 'text', 'text', 'text'], rows: docs },
      { table: 'document_version', columns: ['id', 'org_id', 'document_id', 'number', 'blob_key', 'size', 'filename', 'declared_mime', 'created_by', 'created_at'], types: ['text', 'text', 'text', 'integer', 'text', 'bigint', 'text', 'text', 'text', 'text'], rows: versions },
      { table: 'extraction', columns: ['document_id', 'org_id', 'version_id', 'type', 'type_confidence', 'type_source', 'confidence', 'fields', 'line_items', 'issues', 'created_at', 'updated_at'], types: ['text', 'text', 'text', 'text', 'real', 'text', 'real', 'text', 'text', 'text', 'text', 'text'], rows: extractions },
      { table: 'document_tag', columns: ['org_id', 'document_id', 'tag_id'], types: ['text', 'text', 'text'], rows: docTags },
      { table: 'chunk', columns: ['id', 'org_id', 'document_id', 'version_id', 'page', 'ord', 'heading', 'text', 'tokens', 'created_at'], types: ['bigint', 'text', 'text', 'text', 'integer', 'integer', 'text', 'text', 'integer', 'text'], rows: chunks },
      { table: 'chunk_vector', columns: ['chunk_id', 'model', 'org_id', 'vector'], types: ['bigint', 'text', 'text', 'bytea'], rows: vectors },
    ]);
    if (performance.now() - lastPrint > 60_000) {
      lastPrint = performance.now();
      console.log(`    ${first + TX_CHUNKS} passages written (${seconds(lastPrint - started)} s, load average ${load()})`);
    }
  }
  if (app.database.dialect === 'postgres') {
    await sql`select setval(pg_get_serial_sequence('chunk', 'id'), ${size})`.execute(ctx.db);
    const t = performance.now();
    for (const table of ['document', 'document_version', 'extraction', 'document_tag', 'chunk', 'chunk_vector', 'vector_change']) await sql`vacuum analyze ${sql.raw(table)}`.execute(ctx.db);
    console.log(`    vacuum analyze of the loaded tables: ${seconds(performance.now() - t)} s`);
  }
  // What the server does at start and every ten minutes (SQLite: PRAGMA optimize; Postgres: nothing, autovacuum does it).
  optimizeDatabase(app.database);
  const loadMs = performance.now() - started;
  const t = performance.now();
  await ctx.search.vectors.catchUp(model, DIMS);
  return { size, orgId, member, model, word, loadMs, catchUpMs: performance.now() - t };
}

// ---- measuring ----

interface Stats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

function stats(values: number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)).padStart(8);

/** `ctx.search` with the stand-in model: every query "embeds" to a fresh random unit vector. */
function randomQueryRuntime(real: SearchRuntime, seed: number): SearchRuntime {
  const rand = seededRandom(seed);
  return {
    ...real,
    model: () => RANDOM_MODEL,
    modelByKey: (key) => (key === RANDOM_MODEL.key ? RANDOM_MODEL : null),
    embed: async (texts) => texts.map(() => unitVector(rand)),
  };
}

/**
 * The steps of `search()` one by one, timed, for the same queries: what the keyword leg,
 * the vector leg (and inside it the coarse scan at several k), the readability check,
 * loading passages, snippets, facets and the query log each cost; then steps changed as
 * proposed (not what `search()` does today): the keyword leg without common words, with
 * JIT off (Postgres) or with the FTS5 LIMIT inside the full-text query (SQLite), and on
 * SQLite the plans after a full ANALYZE.
 */
async function profile(app: BenchApp, corpus: Corpus, queries: string[]): Promise<void> {
  const { ctx } = app;
  const readable = readableDocuments(corpus.member, { byId: true });
  const rand = seededRandom(7);
  const steps = new Map<string, number[]>();
  const time = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    const out = await f();
    if (!steps.has(name)) steps.set(name, []);
    steps.get(name)!.push(performance.now() - t);
    return out;
  };
  const print = (title: string) => {
    console.log(`  ${title} (${queries.length} queries, each step alone; ms):`);
    console.log(`    ${'step'.padEnd(62)}${'p50'.padStart(8)}${'p95'.padStart(8)}${'p99'.padStart(8)}`);
    for (const [name, values] of steps) {
      const s = stats(values);
      console.log(`    ${name.padEnd(62)}${fmt(s.p50)}${fmt(s.p95)}${fmt(s.p99)}`);
    }
    steps.clear();
  };
  const df = new Map<string, number>();
  const kwCounts: number[] = [];
  const pass = async (label: string) => {
    for (const q of queries) {
      const terms = searchRepo.queryTerms(q);
      const keyword = await time('keyword leg: keywordSearch (400, checked, with passages)', () => searchRepo.keywordSearch(ctx.db, ctx.dialect, readable, {}, terms, { limit: 400, prefixLast: false, orgId: corpus.orgId }));
      const vector = unitVector(rand);
      const hits = await time('vector leg: vectors.nearest (k 100)', () => ctx.search.vectors.nearest(corpus.model, corpus.orgId, vector, 100));
      await time('  catch-up check alone (nothing to apply)', () => ctx.search.vectors.catchUp(corpus.model, DIMS));
      for (const k of [400, 200, 100]) await time(`  coarse Hamming scan alone (sign bits in memory), k ${k}`, () => ctx.search.vectors.coarse(corpus.model, corpus.orgId, vector, k));
      const coarseIds = Array.from({ length: 200 }, () => 1 + Math.floor(rand() * corpus.size));
      await time('  exact cosine of 200 passages alone (rank)', () => ctx.search.vectors.rank(corpus.model, coarseIds, vector, 100));
      // Keyword hits come with their passages; the vector hits' are loaded while the keyword leg runs.
      const passages = await time('readablePassages of vector hits (100; during keyword leg)', () => searchRepo.readablePassages(ctx.db, corpus.orgId, readable, hits.map((h) => h.chunkId)));
      for (const h of keyword) passages.set(h.chunkId, h.passage);
      const semantic = hits.filter((h) => passages.has(h.chunkId)).map((h) => ({ chunkId: h.chunkId, score: h.similarity }));
      const rows = fuse('hybrid', keyword, semantic).map((r) => passages.get(r.chunkId)!);
      const texts = await time('passageTexts (20 results)', () => searchRepo.passageTexts(ctx.db, corpus.orgId, rows.slice(0, 20).map((r) => r.id)));
      await time('snippets (20 results)', () => rows.slice(0, 20).map((r) => makeSnippet(texts.get(r.id) ?? '', terms)));
      const docIds = [...new Set(rows.map((r) => r.document_id))];
      await time('facets: folder and owner names (tags come with the passages)', async () => {
        await searchRepo.folderNames(ctx.db, corpus.orgId, [...new Set(rows.map((r) => r.folder_id).filter((v): v is string => !!v))]);
        await searchRepo.userNames(ctx.db, [...new Set(rows.map((r) => r.owner_id).filter((v): v is string => !!v))]);
      });
      await time('query log insert', () => searchRepo.logQuery(ctx.db, { id: newId(), org_id: corpus.orgId, user_id: corpus.member.userId, query: q, mode: 'hybrid', filters: null, results: docIds.length, took_ms: 1, created_at: new Date().toISOString() }));
    }
    print(label);
  };
  await pass('where the time goes');

  // Proposed changes, step by step.
  for (const q of queries) {
    const terms = searchRepo.queryTerms(q);
    kwCounts.push(await countMatches(app, terms));
    for (const t of terms) if (!df.has(t)) df.set(t, await countMatches(app, [t]));
  }
  for (const q of queries) {
    const terms = searchRepo.queryTerms(q);
    for (const share of [0.2, 0.05]) {
      // Words in more than `share` of the passages are left out, unless every word is: then the rarest stays.
      const kept = terms.filter((t) => df.get(t)! <= share * corpus.size);
      const pruned = kept.length ? kept : [...terms].sort((a, b) => df.get(a)! - df.get(b)!).slice(0, 1);
      await time(`keyword leg without words in > ${share * 100}% of passages`, () => searchRepo.keywordSearch(ctx.db, ctx.dialect, readable, {}, pruned, { limit: 400, prefixLast: false, orgId: corpus.orgId }));
    }
    if (!app.database.sqlite) {
      // Postgres compiles a query with LLVM when its estimated cost passes jit_above_cost (100,000 by default).
      await time('keyword leg with jit = off', () =>
        ctx.db.transaction().execute(async (trx) => {
          await sql`set local jit = off`.execute(trx);
          return searchRepo.keywordSearch(trx, ctx.dialect, readable, {}, terms, { limit: 400, prefixLast: false, orgId: corpus.orgId });
        }),
      );
    }
    if (app.database.sqlite) {
      const match = terms.map((t) => `"${t}"`).join(' OR ');
      const s = app.database.sqlite;
      await time('keyword leg, FTS5 ORDER BY rank LIMIT 400, then readablePassages', async () => {
        // FTS5's own `rank` column (bm25 with equal column weights: the synthetic passages have no headings).
        const top = s.prepare('select rowid from chunk_fts where chunk_fts match ? order by rank limit 400').all(match) as { rowid: number }[];
        await searchRepo.readablePassages(ctx.db, corpus.orgId, readable, top.map((r) => Number(r.rowid)));
      });
    }
  }
  print('proposed changes, step by step');
  const c = stats(kwCounts);
  console.log(`    passages matching any query word: p50 ${Math.round(c.p50).toLocaleString('en')}, p95 ${Math.round(c.p95).toLocaleString('en')}, max ${Math.max(...kwCounts).toLocaleString('en')} of ${corpus.size.toLocaleString('en')}`);
  const shares = [...df.values()].map((n) => n / corpus.size);
  console.log(`    query words (${df.size} distinct): ${shares.filter((v) => v > 0.2).length} in > 20% of passages, ${shares.filter((v) => v > 0.05).length} in > 5%`);
  if (!app.database.sqlite) {
    // One keyword query explained: where Postgres spends its time, JIT included.
    const terms = searchRepo.queryTerms(queries[0]);
    const compiled = ctx.db
      .selectFrom('chunk')
      .innerJoin('document', 'document.id', 'chunk.document_id')
      .select(['chunk.id as id', sql<number>`ts_rank(chunk.tsv, to_tsquery('english', ${terms.map((t) => `'${t}'`).join(' | ')}), 1)`.as('rank')])
      .where(sql<boolean>`chunk.tsv @@ to_tsquery('english', ${terms.map((t) => `'${t}'`).join(' | ')})`)
      .where(readable)
      .where((eb) => eb('chunk.version_id', '=', eb.ref('document.current_version_id')))
      .orderBy('rank', 'desc')
      .limit(400)
      .compile();
    const explained = await sql<{ 'QUERY PLAN': unknown }>`explain (analyze, format json) ${sql.raw(compiled.sql.replace(/\$(\d+)/g, (_, i) => `'${String(compiled.parameters[Number(i) - 1]).replace(/'/g, "''")}'`))}`.execute(ctx.db);
    const plan = (explained.rows[0]['QUERY PLAN'] as { 'Execution Time': number; JIT?: { Timing?: { Total?: number } } }[])[0];
    console.log(`    plain OR keyword query "${queries[0]}" explained (no common-word handling): execution ${plan['Execution Time'].toFixed(1)} ms, JIT ${plan.JIT?.Timing?.Total === undefined ? 'not used' : `${plan.JIT.Timing.Total.toFixed(1)} ms`}`);
  }

  if (app.database.sqlite) {
    const t = performance.now();
    app.database.sqlite.exec('analyze');
    console.log(`  SQLite ANALYZE of every table (more than the PRAGMA optimize above does): ${seconds(performance.now() - t)} s`);
    await pass('after ANALYZE');
    for (const mode of MODES) {
      const times: number[] = [];
      for (const q of queries) {
        const t0 = performance.now();
        await search(ctx, corpus.member, { q, mode });
        times.push(performance.now() - t0);
      }
      const s = stats(times);
      console.log(`    search() after ANALYZE, ${mode.padEnd(9)} p50 ${fmt(s.p50)}  p95 ${fmt(s.p95)}  p99 ${fmt(s.p99)}`);
    }
  }
}

/** Passages matching any of the terms (what the keyword leg has to rank before its LIMIT). */
async function countMatches(app: BenchApp, terms: string[]): Promise<number> {
  if (!terms.length) return 0;
  if (app.database.sqlite) {
    const match = terms.map((t) => `"${t}"`).join(' OR ');
    return (app.database.sqlite.prepare('select count(*) as n from chunk_fts where chunk_fts match ?').get(match) as { n: number }).n;
  }
  const r = await sql<{ n: number }>`select count(*)::int as n from chunk where tsv @@ to_tsquery('english', ${terms.map((t) => `'${t}'`).join(' | ')})`.execute(app.ctx.db);
  return Number(r.rows[0].n);
}

interface SizeResult {
  dialect: Dialect;
  size: number;
  loadMs: number;
  catchUpMs: number;
  disk: number;
  modes: Map<SearchMode, Stats>;
}

async function benchSize(dialect: Dialect, size: number): Promise<SizeResult> {
  const app = await openBenchApp(dialect);
  try {
    console.log(`\n== ${dialect}, ${size.toLocaleString('en')} passages (${(size / chunksPerDoc).toLocaleString('en')} documents) — ${app.where}`);
    const corpus = await buildCorpus(app, size);
    const disk = await app.diskBytes();
    console.log(`  bulk load: ${seconds(corpus.loadMs)} s (${Math.round((size / corpus.loadMs) * 1000).toLocaleString('en')} passages/s, text + full-text index + vectors + change log)`);
    console.log(`  vector index catch-up: ${seconds(corpus.catchUpMs)} s (${Math.round((size / corpus.catchUpMs) * 1000).toLocaleString('en')} vectors/s); on disk now ${mb(disk)} (${await app.diskDetail()})`);
    const memory = app.ctx.search.vectors.memory();
    console.log(`  vector sign bits in memory: ${memory.models.map((m) => `${m.vectors.toLocaleString('en')} vectors`).join(', ')}, ${mb(memory.bytes)}`);
    const ctx = { ...app.ctx, search: randomQueryRuntime(app.ctx.search, 99) };
    const qrand = seededRandom(4242);
    const queries = Array.from({ length: queryCount + WARMUP }, () => Array.from({ length: 2 + Math.floor(qrand() * 4) }, corpus.word).join(' '));
    const modes = new Map<SearchMode, Stats>();
    for (const mode of MODES) {
      for (const q of queries.slice(0, WARMUP)) await search(ctx, corpus.member, { q, mode });
      const times: number[] = [];
      const started = performance.now();
      for (const q of queries.slice(WARMUP)) {
        const t = performance.now();
        await search(ctx, corpus.member, { q, mode });
        times.push(performance.now() - t);
        if (performance.now() - started > budgetMs) break;
      }
      modes.set(mode, stats(times));
    }
    console.log(`  ${'mode'.padEnd(10)}${'p50'.padStart(8)}${'p95'.padStart(8)}${'p99'.padStart(8)}${'mean'.padStart(8)}${'queries'.padStart(9)}   (ms; load average ${load()})`);
    for (const [mode, s] of modes) console.log(`  ${mode.padEnd(10)}${fmt(s.p50)}${fmt(s.p95)}${fmt(s.p99)}${fmt(s.mean)}${String(s.n).padStart(9)}${s.n < queryCount ? `  (stopped at the ${budgetMs / 1000} s budget)` : ''}`);
    await profile({ ...app, ctx }, corpus, queries.slice(WARMUP, WARMUP + profileCount));
    return { dialect, size, loadMs: corpus.loadMs, catchUpMs: corpus.catchUpMs, disk, modes };
  } finally {
    const t = performance.now();
    await app.close();
    console.log(`  deleted the database and its files (${seconds(performance.now() - t)} s)`);
  }
}

// ---- embedding throughput ----

function embedPassages(count: number): { source: string; texts: string[] } {
  let words: string[];
  let source: string;
  if (fs.existsSync(cranfieldFile)) {
    words = fs.readFileSync(cranfieldFile, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text).join(' ').split(/\s+/);
    source = 'windows of 200 words over the Cranfield abstracts';
  } else {
    const rand = seededRandom(5);
    const vocab = vocabulary(rand);
    const rank = zipfSampler(rand);
    words = Array.from({ length: 200 * count }, () => vocab[rank()]);
    source = '200 synthetic Zipf words (no Cranfield data found)';
  }
  return { source, texts: Array.from({ length: count }, (_, i) => words.slice((i * 211) % (words.length - 200), ((i * 211) % (words.length - 200)) + 200).join(' ')) };
}

async function benchEmbedding(): Promise<void> {
  const database = createDb('sqlite::memory:');
  const pools = new WorkerPools();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-bench-embed-'));
  const log = createLogger('silent');
  try {
    const runtimeFor = (embedBatch: number) => createSearchRuntime({ database, dataDir, modelKey: 'use-lite', embedBatch, pools: () => pools, log });
    const info = runtimeFor(16).model();
    if (!info) {
      console.log('\nembedding throughput: skipped, the use-lite model is not installed (models/use-lite)');
      return;
    }
    const { source, texts } = embedPassages(256);
    console.log(`\nembedding throughput: ${info.name} (${modelId(info)}), ctx.search.embed(texts, 'passage'), ${texts.length} passages: ${source}`);
    console.log(`  the model reads the first ${info.maxTokens} tokens of each passage; onnx pool: ${pools.config.onnx.threads} worker threads, one ONNX thread each; load average ${load()}`);
    // Warm-up: loads the model in both workers.
    const warm = runtimeFor(8);
    await Promise.all([warm.embed(texts.slice(0, 8), 'passage'), warm.embed(texts.slice(8, 16), 'passage')]);
    console.log(`  ${'batch'.padEnd(8)}${'1 caller'.padStart(16)}${'2 callers'.padStart(16)}`);
    for (const batch of [1, 16, 64]) {
      const runtime = runtimeFor(batch);
      let t = performance.now();
      await runtime.embed(texts, 'passage');
      const one = (texts.length / (performance.now() - t)) * 1000;
      // Two callers at once, as two document.process jobs run at a time.
      t = performance.now();
      const half = texts.length / 2;
      await Promise.all([runtime.embed(texts.slice(0, half), 'passage'), runtime.embed(texts.slice(half), 'passage')]);
      const two = (texts.length / (performance.now() - t)) * 1000;
      console.log(`  ${String(batch).padEnd(8)}${`${one.toFixed(1)} chunks/s`.padStart(16)}${`${two.toFixed(1)} chunks/s`.padStart(16)}`);
    }
    // What a semantic or hybrid search adds before it can look anything up: one short query.
    const rand = seededRandom(11);
    const queryWords = texts.join(' ').split(/\s+/);
    const times: number[] = [];
    const runtime = runtimeFor(16);
    for (let i = 0; i < 100; i++) {
      const q = Array.from({ length: 2 + Math.floor(rand() * 4) }, () => queryWords[Math.floor(rand() * queryWords.length)]).join(' ');
      const t = performance.now();
      await runtime.embed([q], 'query');
      times.push(performance.now() - t);
    }
    const s = stats(times);
    console.log(`  query embedding (2–5 words, 100 queries): p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms — added to semantic and hybrid searches, not included in the latencies above`);
  } finally {
    await pools.close();
    await database.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`cores: ${os.availableParallelism()}, node ${process.version}, load average ${load()}`);
  console.log('corpora: synthetic, written directly with bulk SQL (not through the pipeline); see the header of this script');
  const results: SizeResult[] = [];
  for (const dialect of dialects) for (const size of sizes) results.push(await benchSize(dialect, size));
  if (results.length) {
    console.log('\nsummary: search() latency in ms (p50 / p95 / p99), limit 20, query embedding excluded');
    console.log(`  ${'dialect'.padEnd(10)}${'passages'.padStart(11)}${'keyword'.padStart(20)}${'semantic'.padStart(20)}${'hybrid'.padStart(20)}   hybrid p95 target`);
    for (const r of results) {
      const cell = (m: SearchMode) => {
        const s = r.modes.get(m)!;
        return `${s.p50.toFixed(0)} / ${s.p95.toFixed(0)} / ${s.p99.toFixed(0)}`.padStart(20);
      };
      const target = TARGETS[r.size];
      const p95 = r.modes.get('hybrid')!.p95;
      console.log(`  ${r.dialect.padEnd(10)}${r.size.toLocaleString('en').padStart(11)}${cell('keyword')}${cell('semantic')}${cell('hybrid')}   ${target ? `< ${target}: ${p95 < target ? 'met' : 'NOT met'}` : '-'}`);
    }
    console.log(`\n  ${'dialect'.padEnd(10)}${'passages'.padStart(11)}${'bulk load'.padStart(12)}${'index catch-up'.padStart(16)}${'disk'.padStart(10)}`);
    for (const r of results) console.log(`  ${r.dialect.padEnd(10)}${r.size.toLocaleString('en').padStart(11)}${`${seconds(r.loadMs)} s`.padStart(12)}${`${seconds(r.catchUpMs)} s`.padStart(16)}${mb(r.disk).padStart(10)}`);
  }
  if (!flag('skip-embed')) await benchEmbedding();
}

await main();
