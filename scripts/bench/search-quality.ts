/**
 * Search quality benchmark on the Cranfield collection (1,400 aeronautics abstracts, 225
 * queries with graded judgments): nDCG@10 and recall@100 of keyword, semantic and hybrid
 * search, each through `search()` exactly as the API calls it.
 *
 *   node --import tsx scripts/bench/search-quality.ts [--postgres] [--direct]
 *        [--chunking 160,220,30] [--explore] [--docs 1400]
 *
 * - A fresh database (SQLite file in a temporary folder, or with --postgres a new schema in
 *   the test Postgres), an organization and a member who uploads every document and asks
 *   every query.
 * - Loading: by default each document (title, blank line, text, as a .txt file) goes through
 *   `ingestDocument` and the `document.process` job run by a job runner — the production
 *   path. --direct skips the job and runs the index step itself on the same pages
 *   (`extractText` → `prepareIndex` = `chunkPages` + `ctx.search.embed` → `writeIndex`);
 *   --chunking target,max,overlap (words) re-cuts passages with other sizes (direct only).
 * - Judgments: qrels/test.tsv scores 0–4 (Cleverdon's codes 1–4 reversed: 4 = complete
 *   answer, 1 = minimum interest; 0 = raw code -1, one per query). Gain = score; a
 *   document is relevant for recall when score ≥ 1. nDCG@10: DCG = Σ gain / log2(rank + 1)
 *   over the first 10 results, divided by the DCG of all judged documents of the query in
 *   the best order.
 * - --explore re-ranks each leg's candidates outside `search()` to show what other settings
 *   would give: RRF k, candidates per leg, fusion per document, leg weights, min-max score
 *   fusion; the vector index's coarse stage with fewer candidates; the keyword leg without
 *   words that are in more than 20% / 5% of the passages; and how many queries have tied
 *   keyword scores near the top (their order follows load order, so runs differ slightly).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { type Actor, readableDocuments } from '../../src/authz';
import { ingestDocument } from '../../src/modules/documents/document.service';
import { type ChunkOptions, chunkPages, DEFAULT_CHUNKING, embeddingText } from '../../src/modules/search/chunker';
import { writeIndex, prepareIndex, type PreparedIndex } from '../../src/modules/search/indexer';
import { activeModel, modelId, syncEmbeddingModel } from '../../src/modules/search/models.service';
import * as searchRepo from '../../src/modules/search/search.repository';
import { search, type SearchMode } from '../../src/modules/search/search.service';
import { extractText } from '../../src/platform/formats';
import { vectorFromBytes } from '../../src/platform/search/vector-index';
import { arg, type BenchApp, createOrgWithMember, flag, load, mb, openBenchApp, percentile, seconds } from './search-support';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = path.resolve(repoRoot, '../shared/data/retrieval_cranfield');
const MODES: SearchMode[] = ['keyword', 'semantic', 'hybrid'];
const LIMIT = 100;

interface CorpusDoc {
  _id: string;
  title: string;
  text: string;
}

/** Query id → (corpus id → score 0–4). */
type Qrels = Map<string, Map<string, number>>;

function readJsonl<T>(file: string): T[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

function readQrels(file: string): Qrels {
  const out: Qrels = new Map();
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  for (const line of lines.slice(1)) {
    const [q, d, s] = line.split('\t');
    if (!out.has(q)) out.set(q, new Map());
    out.get(q)!.set(d, Number(s));
  }
  return out;
}

/** The document's file: its title, a blank line, then its text. */
const fileText = (d: CorpusDoc) => `${d.title}\n\n${d.text}\n`;

/** nDCG@k with gain = judged score, ideal order over every judged document of the query. */
export function ndcg(ranked: string[], judged: Map<string, number>, k = 10): number {
  const dcg = (gains: number[]) => gains.slice(0, k).reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
  const ideal = dcg([...judged.values()].sort((a, b) => b - a));
  return ideal > 0 ? dcg(ranked.map((id) => judged.get(id) ?? 0)) / ideal : 0;
}

/** Share of the relevant documents (score ≥ 1) found in the first k. */
export function recall(ranked: string[], judged: Map<string, number>, k = 100): number {
  const relevant = [...judged].filter(([, s]) => s >= 1).map(([id]) => id);
  if (!relevant.length) return 0;
  const top = new Set(ranked.slice(0, k));
  return relevant.filter((id) => top.has(id)).length / relevant.length;
}

/** Loads every document through ingest + the `document.process` job. Returns document id → corpus id. */
async function loadThroughPipeline(app: BenchApp, actor: Actor, docs: CorpusDoc[]): Promise<Map<string, string>> {
  const byDoc = new Map<string, string>();
  const started = performance.now();
  for (const d of docs) {
    const presented = await ingestDocument(app.ctx, actor, { filename: `cranfield-${d._id}.txt`, source: Buffer.from(fileText(d)), declaredMime: 'text/plain', origin: 'upload' });
    byDoc.set(presented.id, d._id);
  }
  console.log(`  ingested ${docs.length} files in ${seconds(performance.now() - started)} s; running the document.process jobs…`);
  let lastPrint = performance.now();
  const ms = await app.runJobs({
    onTick: async () => {
      if (performance.now() - lastPrint < 30_000) return;
      lastPrint = performance.now();
      const done = await app.ctx.db.selectFrom('job').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'not in', ['queued', 'running']).executeTakeFirstOrThrow();
      console.log(`    ${Number(done.n)}/${docs.length} jobs done (load average ${load()})`);
    },
  });
  console.log(`  document.process for ${docs.length} documents: ${seconds(ms)} s (${((docs.length / ms) * 1000).toFixed(1)} documents/s, 2 jobs at a time)`);
  return byDoc;
}

/**
 * Creates the documents through ingest (their jobs are left queued and never run), then runs
 * the pipeline's index step on each: the pages the parse step would produce, `prepareIndex`
 * (or `chunkPages` with other sizes + `ctx.search.embed`), `writeIndex` in a transaction.
 */
async function loadDirect(app: BenchApp, actor: Actor, docs: CorpusDoc[], chunking: ChunkOptions): Promise<Map<string, string>> {
  const { ctx } = app;
  const byDoc = new Map<string, string>();
  const started = performance.now();
  const custom = JSON.stringify(chunking) !== JSON.stringify(DEFAULT_CHUNKING);
  const info = ctx.search.model();
  let next = 0;
  // Two documents at a time, like the pipeline's two concurrent jobs.
  await Promise.all(
    [0, 1].map(async () => {
      while (next < docs.length) {
        const d = docs[next++];
        const bytes = Buffer.from(fileText(d));
        const presented = await ingestDocument(ctx, actor, { filename: `cranfield-${d._id}.txt`, source: bytes, declaredMime: 'text/plain', origin: 'upload' });
        byDoc.set(presented.id, d._id);
        const pages = (await extractText('text', bytes)).pages.map((p) => ({ number: p.number, text: p.text }));
        let prepared: PreparedIndex;
        if (!custom) prepared = await prepareIndex(ctx.search, ctx.log, pages);
        else {
          const chunks = chunkPages(pages, chunking);
          prepared = { chunks, vectors: info && chunks.length ? { model: modelId(info), list: await ctx.search.embed(chunks.map(embeddingText), 'passage') } : null };
        }
        const { current_version_id: versionId } = await ctx.db.selectFrom('document').select('current_version_id').where('id', '=', presented.id).executeTakeFirstOrThrow();
        const now = ctx.clock.now().toISOString();
        await ctx.db.transaction().execute((trx) => writeIndex(trx, ctx.dialect, { org_id: actor.orgId, id: presented.id, deleted_at: null }, versionId!, prepared, now));
      }
    }),
  );
  console.log(`  index step for ${docs.length} documents: ${seconds(performance.now() - started)} s`);
  return byDoc;
}

interface ModeResult {
  mode: SearchMode;
  ndcg: number;
  recall: number;
  ms: number;
  p50: number;
  notice?: string;
  perQuery: Map<string, number>;
}

async function runMode(app: BenchApp, actor: Actor, mode: SearchMode, queries: { _id: string; text: string }[], qrels: Qrels, byDoc: Map<string, string>): Promise<ModeResult> {
  let nd = 0;
  let rc = 0;
  let notice: string | undefined;
  const took: number[] = [];
  const perQuery = new Map<string, number>();
  const started = performance.now();
  for (const q of queries) {
    const t0 = performance.now();
    const res = await search(app.ctx, actor, { q: q.text, mode, limit: LIMIT });
    took.push(performance.now() - t0);
    notice ??= res.notice;
    const ranked = res.results.map((r) => byDoc.get(r.documentId) ?? '?');
    const judged = qrels.get(q._id)!;
    const n = ndcg(ranked, judged);
    perQuery.set(q._id, n);
    nd += n;
    rc += recall(ranked, judged);
  }
  took.sort((a, b) => a - b);
  return { mode, ndcg: nd / queries.length, recall: rc / queries.length, ms: performance.now() - started, p50: percentile(took, 50), notice, perQuery };
}

/** Paired comparison of two modes over the same queries: wins, losses, ties on nDCG@10. */
function compare(a: ModeResult, b: ModeResult): string {
  let win = 0;
  let loss = 0;
  for (const [q, v] of a.perQuery) {
    const w = b.perQuery.get(q)!;
    if (v > w + 1e-9) win++;
    else if (v < w - 1e-9) loss++;
  }
  return `${a.mode} vs ${b.mode}: better on ${win} queries, worse on ${loss}, equal on ${a.perQuery.size - win - loss}`;
}

/**
 * Fusion settings tried outside `search()`, on the same candidate lists it would get: each
 * leg fetched once with many candidates, then cut, fused and collapsed to documents.
 */
async function explore(app: BenchApp, actor: Actor, queries: { _id: string; text: string }[], qrels: Qrels, byDoc: Map<string, string>): Promise<void> {
  const { ctx } = app;
  const model = await activeModel(ctx);
  if (!model) {
    console.log('\nexplore: no embedding model, nothing to fuse');
    return;
  }
  const readable = readableDocuments(actor, { byId: true });
  const docOf = new Map<number, string>();
  const chunkRows = await ctx.db.selectFrom('chunk').select(['id', 'document_id']).where('org_id', '=', actor.orgId).execute();
  for (const r of chunkRows) docOf.set(Number(r.id), byDoc.get(r.document_id) ?? '?');
  type Leg = { chunkId: number; score: number }[];
  const legs: { q: string; kw: Leg; sem: Leg }[] = [];
  for (const q of queries) {
    const terms = searchRepo.queryTerms(q.text);
    const kw = await searchRepo.keywordSearch(ctx.db, ctx.dialect, readable, {}, terms, { limit: 1000, prefixLast: false, orgId: actor.orgId });
    const [vec] = await ctx.search.embed([q.text], 'query', model.info);
    const sem = (await ctx.search.vectors.nearest(model.id, actor.orgId, vec, 1000)).map((h) => ({ chunkId: h.chunkId, score: h.similarity }));
    legs.push({ q: q._id, kw, sem });
  }
  const docsOf = (leg: Leg) => {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const h of leg) {
      const d = docOf.get(h.chunkId)!;
      if (!seen.has(d)) (seen.add(d), out.push(d));
    }
    return out;
  };
  const evaluate = (rank: (l: (typeof legs)[number]) => string[]) => {
    let nd = 0;
    let rc = 0;
    for (const l of legs) {
      const ranked = rank(l).slice(0, LIMIT);
      nd += ndcg(ranked, qrels.get(l.q)!);
      rc += recall(ranked, qrels.get(l.q)!);
    }
    return `nDCG@10 ${(nd / legs.length).toFixed(4)}  recall@100 ${(rc / legs.length).toFixed(4)}`;
  };
  /** RRF over chunks (as `fuse` does) or over documents (each leg collapsed first). */
  const rrf = (l: (typeof legs)[number], o: { k: number; kwN: number; semN: number; level: 'chunk' | 'document'; wKw?: number; wSem?: number }) => {
    const score = new Map<string, number>();
    if (o.level === 'chunk') {
      const s = new Map<number, number>();
      l.kw.slice(0, o.kwN).forEach((h, i) => s.set(h.chunkId, (s.get(h.chunkId) ?? 0) + (o.wKw ?? 1) / (o.k + i + 1)));
      l.sem.slice(0, o.semN).forEach((h, i) => s.set(h.chunkId, (s.get(h.chunkId) ?? 0) + (o.wSem ?? 1) / (o.k + i + 1)));
      return docsOf([...s].map(([chunkId, v]) => ({ chunkId, score: v })).sort((a, b) => b.score - a.score || a.chunkId - b.chunkId));
    }
    docsOf(l.kw.slice(0, o.kwN)).forEach((d, i) => score.set(d, (score.get(d) ?? 0) + (o.wKw ?? 1) / (o.k + i + 1)));
    docsOf(l.sem.slice(0, o.semN)).forEach((d, i) => score.set(d, (score.get(d) ?? 0) + (o.wSem ?? 1) / (o.k + i + 1)));
    return [...score].sort((a, b) => b[1] - a[1]).map(([d]) => d);
  };
  // Equal keyword scores in the first 11 passages: their order (and so nDCG@10) follows passage ids, i.e. load order.
  const tied = legs.filter((l) => l.kw.slice(0, 11).some((h, i, a) => i > 0 && h.score === a[i - 1].score)).length;
  console.log(`\nkeyword leg: ${tied} of ${legs.length} queries have equal scores among their first 11 passages`);
  // How much the coarse stage (sign bits, Hamming) loses: nearest(100) against exact cosine over every passage.
  const allChunks = [...docOf.keys()];
  let overlap = 0;
  for (const q of queries) {
    const [vec] = await ctx.search.embed([q.text], 'query', model.info);
    const approx = new Set((await ctx.search.vectors.nearest(model.id, actor.orgId, vec, 100)).map((h) => h.chunkId));
    const exact = await ctx.search.vectors.rank(model.id, allChunks, vec, 100);
    overlap += exact.filter((h) => approx.has(h.chunkId)).length / exact.length;
  }
  console.log(`vector index: nearest(100) finds ${((overlap / queries.length) * 100).toFixed(1)}% of the exact cosine top 100 over ${allChunks.length} passages (its coarse stage ranks by Hamming distance of the sign bits)`);
  // Fewer coarse candidates (the latency benchmark's proposal): the same two stages in plain code, coarse k varied.
  const stored = await ctx.db.selectFrom('chunk_vector').select(['chunk_id', 'vector']).where('model', '=', model.id).execute();
  const floats = stored.map((r) => ({ id: Number(r.chunk_id), v: vectorFromBytes(r.vector) }));
  const signs = (v: Float32Array) => {
    const out = new Uint32Array(v.length / 32);
    for (let i = 0; i < v.length; i++) if (v[i] > 0) out[i >> 5] |= 1 << (i & 31);
    return out;
  };
  const popcount = (x: number) => {
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  };
  const bits = floats.map((f) => signs(f.v));
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
  const queryVectors = new Map<string, Float32Array>();
  for (const q of queries) queryVectors.set(q._id, (await ctx.search.embed([q.text], 'query', model.info))[0]);
  for (const coarse of [400, 200, 100, 0]) {
    const semLegs = new Map<string, Leg>();
    for (const q of queries) {
      const qv = queryVectors.get(q._id)!;
      const qb = signs(qv);
      let candidates = floats.map((_, i) => i);
      if (coarse) {
        const dist = bits.map((b) => b.reduce((s, w, j) => s + popcount(w ^ qb[j]), 0));
        candidates = candidates.sort((a, b) => dist[a] - dist[b]).slice(0, coarse);
      }
      semLegs.set(q._id, candidates.map((i) => ({ chunkId: floats[i].id, score: dot(floats[i].v, qv) })).sort((a, b) => b.score - a.score).slice(0, 100));
    }
    console.log(`semantic leg, ${coarse ? `coarse k ${coarse}` : 'exact (no coarse stage)'}: ${evaluate((l) => docsOf(semLegs.get(l.q)!))}; with keyword, RRF k 60: ${evaluate((l) => rrf({ ...l, sem: semLegs.get(l.q)! }, { k: 60, kwN: 400, semN: 100, level: 'chunk' }))}`);
  }

  // The latency benchmark's proposal: leave out words found in more than a share of the passages.
  const df = new Map<string, number>();
  const countOf = async (term: string) => {
    if (!df.has(term)) {
      const n = app.database.sqlite
        ? (app.database.sqlite.prepare('select count(*) as n from chunk_fts where chunk_fts match ?').get(`"${term}"`) as { n: number }).n
        : Number((await sql<{ n: number }>`select count(*)::int as n from chunk where tsv @@ to_tsquery('english', ${`'${term}'`})`.execute(ctx.db)).rows[0].n);
      df.set(term, n);
    }
    return df.get(term)!;
  };
  const pruned: { q: string; kw: Leg }[] = [];
  for (const share of [0.2, 0.05]) {
    for (const q of queries) {
      const terms = searchRepo.queryTerms(q.text);
      for (const t of terms) await countOf(t);
      const kept = terms.filter((t) => df.get(t)! <= share * allChunks.length);
      const use = kept.length ? kept : [...terms].sort((a, b) => df.get(a)! - df.get(b)!).slice(0, 1);
      pruned.push({ q: q._id, kw: await searchRepo.keywordSearch(ctx.db, ctx.dialect, readable, {}, use, { limit: 400, prefixLast: false, orgId: actor.orgId }) });
    }
    const byQuery = new Map(pruned.splice(0).map((p) => [p.q, p.kw]));
    console.log(`keyword leg without words in > ${share * 100}% of passages: ${evaluate((l) => docsOf(byQuery.get(l.q)!))}`);
  }
  console.log('\nexplore (outside search(); the same two legs re-fused; RRF over passages unless said, 400 keyword + 100 semantic candidates unless said):');
  console.log(`  keyword leg alone (400)                 ${evaluate((l) => docsOf(l.kw.slice(0, 400)))}`);
  console.log(`  semantic leg alone (100)                ${evaluate((l) => docsOf(l.sem.slice(0, 100)))}`);
  console.log(`  semantic leg alone (1000)               ${evaluate((l) => docsOf(l.sem))}`);
  for (const k of [1, 5, 10, 20, 30, 60, 100, 200]) {
    console.log(`  RRF k ${String(k).padEnd(4)} passages   400/100        ${evaluate((l) => rrf(l, { k, kwN: 400, semN: 100, level: 'chunk' }))}`);
  }
  for (const [kwN, semN] of [[100, 100], [200, 200], [400, 400], [1000, 1000], [50, 50], [400, 50], [400, 200]]) {
    console.log(`  RRF k 60   passages   ${`${kwN}/${semN}`.padEnd(14)} ${evaluate((l) => rrf(l, { k: 60, kwN, semN, level: 'chunk' }))}`);
  }
  for (const k of [10, 20, 60]) {
    console.log(`  RRF k ${String(k).padEnd(4)} documents  400/100        ${evaluate((l) => rrf(l, { k, kwN: 400, semN: 100, level: 'document' }))}`);
  }
  for (const [wKw, wSem] of [[1, 0.5], [1, 0.3], [1, 0.25], [1, 0.15], [1, 0.1]]) {
    console.log(`  RRF k 60   passages   400/100  weights ${wKw}:${wSem}  ${evaluate((l) => rrf(l, { k: 60, kwN: 400, semN: 100, level: 'chunk', wKw, wSem }))}`);
  }
  /** Scores instead of ranks: each leg min-max normalized over its candidates, then α·keyword + (1-α)·semantic. */
  const convex = (l: (typeof legs)[number], alpha: number, kwN: number, semN: number) => {
    const norm = (leg: Leg) => {
      const lo = Math.min(...leg.map((h) => h.score));
      const hi = Math.max(...leg.map((h) => h.score));
      return new Map(leg.map((h) => [h.chunkId, hi > lo ? (h.score - lo) / (hi - lo) : 1]));
    };
    const kw = norm(l.kw.slice(0, kwN));
    const sem = norm(l.sem.slice(0, semN));
    const ids = new Set([...kw.keys(), ...sem.keys()]);
    return docsOf([...ids].map((chunkId) => ({ chunkId, score: alpha * (kw.get(chunkId) ?? 0) + (1 - alpha) * (sem.get(chunkId) ?? 0) })).sort((a, b) => b.score - a.score || a.chunkId - b.chunkId));
  };
  for (const alpha of [0.5, 0.6, 0.7, 0.8, 0.9]) {
    console.log(`  scores α ${alpha.toFixed(1)}  passages   400/100        ${evaluate((l) => convex(l, alpha, 400, 100))}`);
  }
  for (const alpha of [0.7, 0.8]) {
    console.log(`  scores α ${alpha.toFixed(1)}  passages   400/400        ${evaluate((l) => convex(l, alpha, 400, 400))}`);
  }
}

async function main(): Promise<void> {
  const corpusFile = path.join(dataDir, 'corpus.jsonl');
  if (!fs.existsSync(corpusFile)) {
    console.log(`skipped: no Cranfield collection at ${dataDir} (see ../shared/data/README.md)`);
    return;
  }
  const dialect = flag('postgres') ? 'postgres' : 'sqlite';
  const chunkingArg = arg('chunking', '');
  const chunking: ChunkOptions = chunkingArg
    ? (([targetWords, maxWords, overlapWords]) => ({ targetWords, maxWords, overlapWords }))(chunkingArg.split(',').map(Number))
    : DEFAULT_CHUNKING;
  const direct = flag('direct') || !!chunkingArg;
  const docs = readJsonl<CorpusDoc>(corpusFile).slice(0, Number(arg('docs', '0')) || undefined);
  const qrels = readQrels(path.join(dataDir, 'qrels/test.tsv'));
  const queries = readJsonl<{ _id: string; text: string }>(path.join(dataDir, 'queries.jsonl')).filter((q) => qrels.has(q._id));

  const app = await openBenchApp(dialect);
  try {
    const { ctx } = app;
    console.log(`Cranfield: ${docs.length} documents, ${queries.length} queries with judgments; database: ${dialect} (${app.where})`);
    // What `folio serve` does at start: an empty database makes the configured model the ready one.
    const status = await syncEmbeddingModel(ctx);
    const info = ctx.search.model();
    console.log(`embedding model: ${info ? `${info.name} (${modelId(info)}, ${info.dims} dims)` : `${ctx.config.search.embeddingModel} not installed`} — ${status}`);
    const { member } = await createOrgWithMember(ctx);
    console.log(
      direct
        ? `loading: direct index step (documents created by ingestDocument; their document.process jobs not run; pages from extractText → ${JSON.stringify(chunking) === JSON.stringify(DEFAULT_CHUNKING) ? 'prepareIndex' : 'chunkPages'} → ctx.search.embed → writeIndex); chunking ${JSON.stringify(chunking)}`
        : `loading: production path (ingestDocument → document.process job: sniff, parse, extract, index with chunkPages + ctx.search.embed + writeIndex); chunking ${JSON.stringify(DEFAULT_CHUNKING)}`,
    );
    const byDoc = direct ? await loadDirect(app, member, docs, chunking) : await loadThroughPipeline(app, member, docs);
    const statuses = await ctx.db.selectFrom('document').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    const chunks = await searchRepo.countChunks(ctx.db);
    const vectors = await ctx.db.selectFrom('chunk_vector').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    console.log(`  documents by status: ${statuses.map((s) => `${s.status} ${Number(s.n)}`).join(', ')}; ${chunks} passages, ${Number(vectors.n)} vectors; on disk ${mb(await app.diskBytes())}`);

    console.log(`\nqueries: ${queries.length}, each run through search() with limit ${LIMIT} (one result per document)`);
    console.log('judgments: gain = qrels score 0–4 (4 = complete answer … 1 = minimum interest, 0 = not relevant); relevant for recall = score ≥ 1');
    const results: ModeResult[] = [];
    for (const mode of MODES) {
      const r = await runMode(app, member, mode, queries, qrels, byDoc);
      results.push(r);
      if (r.notice) console.log(`  ${mode}: notice from search(): ${r.notice}`);
    }
    console.log(`\n  ${'mode'.padEnd(10)}${'nDCG@10'.padStart(9)}${'recall@100'.padStart(12)}${'time'.padStart(9)}${'p50/query'.padStart(11)}`);
    for (const r of results) {
      console.log(`  ${r.mode.padEnd(10)}${r.ndcg.toFixed(4).padStart(9)}${r.recall.toFixed(4).padStart(12)}${`${seconds(r.ms)} s`.padStart(9)}${`${r.p50.toFixed(1)} ms`.padStart(11)}`);
    }
    const [kw, sem, hy] = results;
    console.log(`\n  ${compare(hy, kw)}\n  ${compare(sem, kw)}`);
    console.log(`  target hybrid > keyword on nDCG@10: ${hy.ndcg > kw.ndcg ? 'met' : 'NOT met'} (${(hy.ndcg - kw.ndcg >= 0 ? '+' : '') + (hy.ndcg - kw.ndcg).toFixed(4)})`);
    if (flag('explore')) await explore(app, member, queries, qrels, byDoc);
  } finally {
    await app.close();
  }
}

await main();
