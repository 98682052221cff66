/**
 * Answer latency benchmark: `ask()` over a synthetic corpus in SQLite, with the
 * organization's Ollama settings pointing at a stand-in server (test/support/ollama-server)
 * that waits a fixed time before its first token and between tokens. Prints time to first
 * token and total latency (p50/p95), and Folio's own overhead: time to first token minus the
 * server's first-token delay, i.e. retrieval (query embedding with the real model, keyword
 * and vector legs, loading passages), settings, quota and cache checks, prompt building and
 * the HTTP round trip. Target: overhead p95 under 100 ms at 100k passages.
 *
 *   node --import tsx scripts/bench/answers.ts [--chunks 100000] [--questions 50]
 *        [--first-token 200] [--token-delay 20] [--chunks-per-doc 10] [--warmup 5]
 *
 * Corpus (written directly with bulk SQL, not through the pipeline; the full-text index is
 * kept by the schema's triggers): documents of `--chunks-per-doc` passages, three to a page;
 * passages of 60–220 words in sentences of 6–18 words, the words drawn from a Zipf
 * distribution (s = 1.07) over 50,000 synthetic words; vectors are random unit vectors stored
 * under the installed embedding model, whose real encoder embeds each question (so that cost
 * is counted; random vectors rarely pass the semantic floor, so answers come from the keyword
 * leg). Questions: 50 distinct sentences around 3–5 words of middling frequency. The answer
 * cache is emptied before every question and each result is checked to be uncached and not
 * degraded. The stand-in server replies with about 40 words citing the first two passages;
 * it runs in this process (its work per request is well under a millisecond).
 *
 * The questions are asked twice: first right after the bulk load (no planner statistics
 * yet), then after `optimizeDatabase` — what the server runs at start and every ten
 * minutes, so the state a running Folio is in. Each pass ends with the steps of retrieval
 * timed one by one.
 * The machine's load average is printed with each pass: on a shared machine, compare runs
 * with similar loads.
 */
import os from 'node:os';
import { optimizeDatabase } from '../../src/platform/db/db';
import { type Actor, readableDocuments, readablePartition } from '../../src/authz';
import { ask, updateSettings } from '../../src/modules/answers/answer.service';
import { activeModel, modelId } from '../../src/modules/search/models.service';
import * as searchRepo from '../../src/modules/search/search.repository';
import { fuse } from '../../src/modules/search/search.service';
import { newId } from '../../src/shared/ids';
import { countPromptTokens, type FakeChatRequest, startFakeOllama } from '../../test/support/ollama-server';
import { arg, type BenchApp, createOrgWithMember, load, mb, openBenchApp, percentile, seconds, seededRandom, vocabulary, zipfSampler } from './search-support';

const size = Number(arg('chunks', '100000'));
const questionCount = Number(arg('questions', '50'));
const firstTokenMs = Number(arg('first-token', '200'));
const tokenDelayMs = Number(arg('token-delay', '20'));
const chunksPerDoc = Number(arg('chunks-per-doc', '10'));
const warmup = Number(arg('warmup', '5'));
const TX_CHUNKS = 50_000;
const TARGET_MS = 100;

// ---- synthetic vectors (the text comes from search-support.ts, as in search-latency.ts) ----

function unitVector(rand: () => number, dims: number): Buffer {
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    v[i] = rand() * 2 - 1;
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dims; i++) v[i] /= norm;
  return Buffer.from(v.buffer);
}

/** Sentences of 6–18 words, capitalized and ended with a full stop, `length` words in all. */
function passageText(length: number, word: () => string, rand: () => number): string {
  const sentences: string[] = [];
  for (let left = length; left > 0; ) {
    const n = Math.min(left, 6 + Math.floor(rand() * 13));
    const s = Array.from({ length: n }, word).join(' ');
    sentences.push(`${s[0].toUpperCase()}${s.slice(1)}.`);
    left -= n;
  }
  return sentences.join(' ');
}

// ---- corpus ----

interface Corpus {
  words: string[];
  member: Actor;
  owner: Actor;
  loadMs: number;
  catchUpMs: number;
}

async function buildCorpus(app: BenchApp): Promise<Corpus> {
  const { ctx } = app;
  const s = app.database.sqlite;
  if (!s) throw new Error('the answer benchmark runs on SQLite');
  const info = ctx.search.model();
  if (!info) throw new Error('no embedding model is installed (models/use-lite is prepared by npm ci)');
  const model = modelId(info);
  const rand = seededRandom(20261121);
  const words = vocabulary(rand);
  const rank = zipfSampler(rand);
  const word = () => words[rank()];
  const { orgId, ownerId, member } = await createOrgWithMember(ctx);
  const now = new Date().toISOString();
  // The installed model is the ready one, as `syncEmbeddingModel` records it at start.
  await ctx.db.insertInto('embedding_model').values({ key: model, dims: info.dims, sha256: info.sha256, status: 'ready', created_at: now, ready_at: now }).execute();
  const owners = [ownerId, member.userId];

  const started = performance.now();
  const insertDoc = s.prepare(`insert into document (id, org_id, folder_id, parent_id, owner_id, name, status, error_code, error_message, progress, kind, mime, size, page_count, current_version_id, source, pending_password, deleted_at, created_at, updated_at) values (?, ?, null, null, ?, ?, 'ready', null, null, null, 'text', 'text/plain', 4096, ?, ?, 'upload', null, null, ?, ?)`);
  const insertVersion = s.prepare('insert into document_version (id, org_id, document_id, number, blob_key, size, filename, declared_mime, created_by, created_at) values (?, ?, ?, 1, ?, 4096, ?, \'text/plain\', ?, ?)');
  const insertChunk = s.prepare('insert into chunk (id, org_id, document_id, version_id, page, ord, heading, text, tokens, created_at) values (?, ?, ?, ?, ?, ?, null, ?, ?, ?)');
  const insertVector = s.prepare('insert into chunk_vector (chunk_id, model, org_id, vector) values (?, ?, ?, ?)');
  for (let first = 0; first < size; first += TX_CHUNKS) {
    s.transaction(() => {
      let doc = '';
      let version = '';
      for (let id = first + 1; id <= Math.min(size, first + TX_CHUNKS); id++) {
        const ord = (id - 1) % chunksPerDoc;
        if (ord === 0) {
          doc = newId();
          version = newId();
          const owner = owners[Math.floor(id / chunksPerDoc) % 2];
          insertDoc.run(doc, orgId, owner, `Document ${Math.ceil(id / chunksPerDoc)}`, Math.ceil(chunksPerDoc / 3), version, now, now);
          insertVersion.run(version, orgId, doc, newId(64), `document-${id}.txt`, owner, now);
        }
        const length = 60 + Math.floor(rand() * 161);
        insertChunk.run(id, orgId, doc, version, 1 + Math.floor(ord / 3), ord, passageText(length, word, rand), Math.ceil(length * 1.3), now);
        insertVector.run(id, model, orgId, unitVector(rand, info.dims));
      }
    })();
  }
  const loadMs = performance.now() - started;
  const t = performance.now();
  await ctx.search.vectors.catchUp(model, info.dims);
  return { words, member, owner: { userId: ownerId, orgId, role: 'owner' }, loadMs, catchUpMs: performance.now() - t };
}

/** Distinct questions around words of middling frequency (ranks 200–20,000), so each finds passages. */
function questions(words: string[], count: number): string[] {
  const rand = seededRandom(4242);
  const pick = () => words[200 + Math.floor(rand() * 19_800)];
  const forms = [
    (w: string[]) => `What does the agreement say about ${w.join(' ')}?`,
    (w: string[]) => `When was the ${w.join(' ')} last changed?`,
    (w: string[]) => `Who is responsible for ${w.join(' and ')}?`,
    (w: string[]) => `How much did we pay for ${w.join(' ')}?`,
  ];
  const out = new Set<string>();
  while (out.size < count) out.add(forms[out.size % forms.length](Array.from({ length: 3 + Math.floor(rand() * 3) }, pick)));
  return [...out];
}

/** The stand-in model's answer: about 40 words citing the first two passages it was given. */
function reply(req: FakeChatRequest): string {
  const user = req.messages.at(-1)?.content ?? '';
  const given = (user.match(/<<BEGIN PASSAGE \d+>>/g) ?? []).length;
  if (!given) return 'The documents I can see do not answer this.';
  const second = given > 1 ? 2 : 1;
  return `According to the passages, the matter was settled in the second quarter and recorded by the responsible team [1]. The amounts agreed were paid in full, and the records were updated by the finance office shortly after the review [${second}]. No later change is mentioned in the documents provided.`;
}

// ---- measuring ----

interface Timing {
  retrieval: number;
  request: number;
  firstToken: number;
  lastToken: number;
  total: number;
  promptTokens: number;
}

/**
 * The steps of retrieval one by one, timed, for the same questions (as `retrievePassages`
 * runs them with no filters): embedding the question, the keyword leg, the vector leg, the
 * readability check of the vector hits, loading the fused passages.
 */
async function profileRetrieval(app: BenchApp, member: Actor, list: string[]): Promise<void> {
  const { ctx } = app;
  const readable = readableDocuments(member, { byId: true });
  const partition = readablePartition(member)!;
  const model = (await activeModel(ctx))!;
  const steps = new Map<string, number[]>();
  const time = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await f();
    if (!steps.has(name)) steps.set(name, []);
    steps.get(name)!.push(performance.now() - t);
    return out;
  };
  const matches: number[] = [];
  for (const q of list) {
    const terms = searchRepo.queryTerms(q);
    const keyword = await time('keyword leg (400 checked candidates with their passages)', () => searchRepo.keywordSearch(ctx.db, ctx.dialect, readable, {}, terms, { limit: 400, prefixLast: false, orgId: member.orgId }));
    const match = terms.map((t) => `"${t}"`).join(' OR ');
    matches.push((app.database.sqlite!.prepare('select count(*) as n from chunk_fts where chunk_fts match ?').get(match) as { n: number }).n);
    const [vector] = await time('question embedding', () => ctx.search.embed([q], 'query', model.info));
    const hits = await time('vector leg: nearest 100', () => ctx.search.vectors.nearest(model.id, partition, vector, 100));
    // Keyword hits come checked with their passages; the vector hits' are checked after the vector leg.
    const ok = await time('readability and documents of the vector hits (100)', () => searchRepo.readablePassages(ctx.db, member.orgId, readable, hits.map((h) => h.chunkId)));
    const ranked = fuse('hybrid', keyword, hits.filter((h) => ok.has(h.chunkId)).map((h) => ({ chunkId: h.chunkId, score: h.similarity })));
    await time('text of the passages given to the model (6)', () => searchRepo.passageTexts(ctx.db, member.orgId, ranked.slice(0, 6).map((r) => r.chunkId)));
  }
  console.log(`\n  retrieval step by step (${list.length} questions, each step alone; ms)`);
  for (const [name, values] of steps) {
    const s = [...values].sort((a, b) => a - b);
    console.log(`    ${name.padEnd(56)}${fmt(percentile(s, 50))}${fmt(percentile(s, 95))}${fmt(s[s.length - 1])}`);
  }
  const m = [...matches].sort((a, b) => a - b);
  console.log(`    passages matching any question word: p50 ${percentile(m, 50)}, p95 ${percentile(m, 95)}, max ${m[m.length - 1]}`);
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)).padStart(9);

interface Pass {
  label: string;
  overheadP50: number;
  overheadP95: number;
}

/** Asks every question once (the warm-up ones first, not counted) and prints the timings. */
async function runPass(app: BenchApp, member: Actor, all: string[], label: string, probe: { requestAt: number; promptTokens: number }): Promise<Pass> {
  const { ctx } = app;
  const timings: Timing[] = [];
  let degraded = 0;
  let cold = 0;
  for (const [i, question] of all.entries()) {
    // Every question is a real call: nothing may come from the answer cache.
    await ctx.db.deleteFrom('answer_cache').execute();
    probe.requestAt = 0;
    let passagesAt = 0;
    let firstAt = 0;
    let lastAt = 0;
    const t0 = performance.now();
    const result = await ask(ctx, member, { question }, (e) => {
      if (e.type === 'passages') passagesAt = performance.now();
      if (e.type === 'token') {
        lastAt = performance.now();
        firstAt ||= lastAt;
      }
    });
    const end = performance.now();
    if (result.cached) throw new Error(`"${question}" was answered from the cache`);
    if (i === 0) cold = end - t0;
    if (i < warmup) continue;
    if (result.degraded) {
      degraded++;
      console.log(`  degraded answer to "${question}": ${result.reason}`);
      continue;
    }
    timings.push({ retrieval: passagesAt - t0, request: probe.requestAt - t0, firstToken: firstAt - t0, lastToken: lastAt - t0, total: end - t0, promptTokens: probe.promptTokens });
  }

  const row = (name: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(`  ${name.padEnd(58)}${fmt(percentile(sorted, 50))}${fmt(percentile(sorted, 95))}${fmt(sorted[sorted.length - 1])}`);
    return [percentile(sorted, 50), percentile(sorted, 95)];
  };
  console.log(`\n-- ${label}`);
  console.log(`  ${all.length - warmup} questions after ${warmup} warm-up ones (the first took ${cold.toFixed(0)} ms); ${degraded} degraded; load average ${load()}`);
  console.log(`  ${'ms'.padEnd(58)}${'p50'.padStart(9)}${'p95'.padStart(9)}${'max'.padStart(9)}`);
  row('time to first token', timings.map((t) => t.firstToken));
  row('total', timings.map((t) => t.total));
  const [overheadP50, overheadP95] = row(`Folio overhead: first token − ${firstTokenMs} ms model delay`, timings.map((t) => t.firstToken - firstTokenMs));
  row('  of which retrieval (question → passages)', timings.map((t) => t.retrieval));
  row('  of which passages → request at the model', timings.map((t) => t.request - t.retrieval));
  row('  of which request → first token − model delay', timings.map((t) => t.firstToken - t.request - firstTokenMs));
  row('after the last token (citation check, saving)', timings.map((t) => t.total - t.lastToken));
  const tokens = timings.map((t) => t.promptTokens).sort((a, b) => a - b);
  console.log(`  prompt: p50 ${percentile(tokens, 50)} tokens (words × 1.3), at most 6 passages`);
  await profileRetrieval(app, member, all.slice(warmup));
  return { label, overheadP50, overheadP95 };
}

async function main(): Promise<void> {
  console.log(`cores: ${os.availableParallelism()}, node ${process.version}, load average ${load()}`);
  // When the stand-in server received the current question's chat request, and its prompt size.
  const probe = { requestAt: 0, promptTokens: 0 };
  const server = await startFakeOllama({
    models: ['llama3.2:3b'],
    firstTokenDelayMs: firstTokenMs,
    tokenDelayMs,
    reply: (req) => {
      probe.requestAt = performance.now();
      probe.promptTokens = countPromptTokens(req.messages);
      return reply(req);
    },
  });
  const app = await openBenchApp('sqlite');
  try {
    console.log(`\n== sqlite, ${size.toLocaleString('en')} passages (${Math.ceil(size / chunksPerDoc).toLocaleString('en')} documents) — ${app.where}`);
    const corpus = await buildCorpus(app);
    console.log(`  bulk load ${seconds(corpus.loadMs)} s, vector index catch-up ${seconds(corpus.catchUpMs)} s, on disk ${mb(await app.diskBytes())}`);
    await updateSettings(app.ctx, corpus.owner, {
      ollamaUrl: server.url, model: 'llama3.2:3b', firstTokenTimeoutMs: 30_000, totalTimeoutMs: 120_000, monthlyTokenQuota: null, userQuestionsPerHour: 10_000,
    });
    console.log(`  Ollama stand-in at ${server.url}: first token after ${firstTokenMs} ms, then ${tokenDelayMs} ms per token`);
    const all = questions(corpus.words, warmup + questionCount);

    const passes: Pass[] = [];
    passes.push(await runPass(app, corpus.member, all, 'right after the bulk load: no planner statistics yet', probe));
    // What the server's periodic maintenance does: SQLite plans joins with table statistics.
    const t = performance.now();
    optimizeDatabase(app.database);
    passes.push(await runPass(app, corpus.member, all, `after optimizeDatabase (${seconds(performance.now() - t)} s), as a running server keeps it`, probe));

    console.log(`\nsummary: Folio overhead (time to first token − ${firstTokenMs} ms), ${size.toLocaleString('en')} passages, target p95 < ${TARGET_MS} ms`);
    for (const p of passes) console.log(`  p50 ${p.overheadP50.toFixed(0).padStart(5)} ms   p95 ${p.overheadP95.toFixed(0).padStart(5)} ms   ${p.overheadP95 < TARGET_MS ? 'met' : 'NOT met'}   ${p.label}`);
  } finally {
    await app.close();
    await server.stop();
  }
}

await main();
