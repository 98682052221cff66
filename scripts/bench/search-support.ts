/**
 * What the search benchmarks share (not a benchmark itself): a full application context over
 * a fresh database — a SQLite file in a temporary folder, or a new schema in Postgres —
 * wired like `createRuntime` in src/main.ts (worker pools, search runtime, job registry and
 * queue, a job runner on demand), an organization with a member, and small statistics.
 * Everything it creates is removed again by `close()`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { Actor } from '../../src/authz';
import { buildConfig } from '../../src/config';
import { documentJobs, type PipelineDeps } from '../../src/modules/documents/document.pipeline';
import { createAccountWithOrg, insertAccount, prepareAccount } from '../../src/modules/auth/auth.service';
import { searchJobs } from '../../src/modules/search/models.service';
import { createDb, type Database, type Dialect } from '../../src/platform/db/db';
import { migrateToLatest } from '../../src/platform/db/migrate';
import { createJobQueue, createJobRegistry, type JobRegistry, JobRunner } from '../../src/platform/jobs';
import { createLogger } from '../../src/platform/log/logger';
import { createSearchRuntime } from '../../src/platform/search/runtime';
import { DiskBlobStore } from '../../src/platform/storage';
import { WorkerPools } from '../../src/platform/workers/pools';
import { systemClock } from '../../src/shared/clock';
import { type AppContext, type Ctx, NO_META } from '../../src/shared/context';
import { newId } from '../../src/shared/ids';

/** The Postgres server benchmarks use (the test suite's, unless BENCH_DATABASE_URL says otherwise). */
export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchApp {
  ctx: Ctx;
  database: Database;
  registry: JobRegistry;
  /** The temporary data folder (blobs; the Postgres replica's vector index file). */
  dataDir: string;
  /** Where the data lives, for the output: the SQLite file or the Postgres schema. */
  where: string;
  /** Runs a job runner until no job is queued or running; returns the wall time in ms. */
  runJobs(opts?: { timeoutMs?: number; onTick?: () => Promise<void> }): Promise<number>;
  /** Bytes on disk: the temporary folder, plus the schema's relations on Postgres. */
  diskBytes(): Promise<number>;
  /** The biggest files and relations, for the output. */
  diskDetail(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A migrated, empty database of `dialect` with the application around it. `embedBatch` is
 * the configured `search.embedBatch` (texts per call into the `onnx` pool).
 */
export async function openBenchApp(dialect: Dialect, opts: { embedBatch?: number } = {}): Promise<BenchApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-bench-search-'));
  let database: Database;
  let schema: string | undefined;
  let where: string;
  if (dialect === 'sqlite') {
    const file = path.join(dataDir, 'folio.db');
    database = createDb(`sqlite:${file}`);
    where = file;
  } else {
    schema = `bench_${newId(10)}`;
    const admin = createDb(BENCH_DATABASE_URL, { poolSize: 1 });
    await sql`create schema ${sql.id(schema)}`.execute(admin.db);
    await admin.destroy();
    database = createDb(BENCH_DATABASE_URL, { searchPath: schema, poolSize: 5 });
    where = `${BENCH_DATABASE_URL.replace(/\/\/[^@]*@/, '//')} schema ${schema}`;
  }
  await migrateToLatest(database);

  const log = createLogger('silent');
  const config = buildConfig({ log: { level: 'silent' }, dataDir, search: { embedBatch: opts.embedBatch ?? 16 } }, {});
  const blobs = new DiskBlobStore(dataDir);
  await blobs.init();
  let pools: WorkerPools | undefined;
  const getPools = () => (pools ??= new WorkerPools());
  const search = createSearchRuntime({
    database, dataDir, modelsDir: config.search.modelsDir, modelKey: config.search.embeddingModel, embedBatch: config.search.embedBatch, pools: getPools, log,
  });
  const pipeline = { db: database.db, blobs, pools: getPools, config, clock: systemClock, search } as Omit<PipelineDeps, 'jobs'> as PipelineDeps;
  let base: AppContext | undefined;
  const registry = createJobRegistry([...documentJobs(pipeline), ...searchJobs({ ctx: () => base! })]);
  const jobs = createJobQueue({ registry, clock: systemClock });
  pipeline.jobs = jobs;
  let runner: JobRunner | undefined;
  base = { db: database.db, dialect, config, clock: systemClock, log, mailer: null, blobs, jobs, wakeJobs: () => runner?.wake(), workers: getPools, search };

  const runJobs: BenchApp['runJobs'] = async (o = {}) => {
    const started = performance.now();
    runner = new JobRunner({ db: database.db, dialect, registry, log, pollIntervalMs: 50 });
    runner.start();
    const deadline = Date.now() + (o.timeoutMs ?? 60 * 60_000);
    try {
      for (;;) {
        const open = await database.db.selectFrom('job').select('id').where('status', 'in', ['queued', 'running']).executeTakeFirst();
        if (!open) return performance.now() - started;
        if (Date.now() > deadline) throw new Error('jobs did not finish in time');
        await o.onTick?.();
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await runner.stop({ timeoutMs: 30_000 });
      runner = undefined;
    }
  };

  const diskBytes = async () => {
    let bytes = folderBytes(dataDir);
    if (schema) {
      const r = await sql<{ n: number }>`select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} and c.relkind in ('r', 'm')`.execute(database.db);
      bytes += Number(r.rows[0].n);
    }
    return bytes;
  };

  const diskDetail = async () => {
    const parts: [string, number][] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else parts.push([path.relative(dataDir, p), fs.statSync(p).size]);
      }
    };
    walk(dataDir);
    if (schema) {
      const r = await sql<{ name: string; n: number }>`select c.relname as name, pg_total_relation_size(c.oid)::bigint as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} and c.relkind in ('r', 'm')`.execute(database.db);
      for (const row of r.rows) parts.push([`table ${row.name}`, Number(row.n)]);
    }
    return parts.filter(([, n]) => n >= 1048576).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, n]) => `${name} ${mb(n)}`).join(', ');
  };

  const close = async () => {
    await pools?.close();
    search.close();
    await database.destroy();
    if (schema) {
      const admin = createDb(BENCH_DATABASE_URL, { poolSize: 1 });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.destroy();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  return { ctx: { ...base, meta: NO_META }, database, registry, dataDir, where, runJobs, diskBytes, diskDetail, close };
}

function folderBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? folderBytes(p) : fs.statSync(p).size;
  }
  return n;
}

/** An organization (with its owner) and a `member` of it, as the actor who searches. */
export async function createOrgWithMember(ctx: Ctx): Promise<{ orgId: string; ownerId: string; member: Actor }> {
  const password = 'violet-Harbor-4417';
  const { user: owner, org } = await createAccountWithOrg(ctx, { email: `owner-${newId(8)}@example.com`, name: 'Owner', password, orgName: 'Bench Org' }, { firstOnly: false });
  const user = await prepareAccount(ctx, { email: `member-${newId(8)}@example.com`, name: 'Member', password });
  await insertAccount(ctx, ctx.db, user);
  await ctx.db.insertInto('org_member').values({ org_id: org.id, user_id: user.id, role: 'member', created_at: ctx.clock.now().toISOString() }).execute();
  return { orgId: org.id, ownerId: owner.id, member: { userId: user.id, orgId: org.id, role: 'member' } };
}

/** The value below which `p` percent of the sorted values fall (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A small deterministic random generator (mulberry32), so runs are comparable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The value of `--name` on the command line, or `dflt`. */
export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

export const flag = (name: string) => process.argv.includes(`--${name}`);
export const seconds = (ms: number) => (ms / 1000).toFixed(1);
export const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');
export const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;

// ---- synthetic text of the benchmarks: a Zipf-distributed vocabulary ----

/** Words in the synthetic vocabulary, and the Zipf exponent their frequencies follow. */
export const VOCABULARY = 50_000;
export const ZIPF_S = 1.07;

/** 50,000 distinct pronounceable words, deterministic. */
export function vocabulary(rand: () => number): string[] {
  const onsets = ['b', 'c', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z', 'br', 'ch', 'cl', 'dr', 'gr', 'pl', 'pr', 'sh', 'st', 'th', 'tr'];
  const vowels = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou', 'io'];
  const codas = ['', '', 'n', 'r', 's', 'l', 'm', 't', 'nd', 'rk', 'st'];
  const words = new Set<string>();
  while (words.size < VOCABULARY) {
    // Frequent words (drawn first) are short, as in real text.
    const syllables = words.size < 100 ? 1 : words.size < 3000 ? 1 + Math.floor(rand() * 2) : 2 + Math.floor(rand() * 3);
    let w = '';
    for (let i = 0; i < syllables; i++) w += onsets[Math.floor(rand() * onsets.length)] + vowels[Math.floor(rand() * vowels.length)] + codas[Math.floor(rand() * codas.length)];
    words.add(w);
  }
  return [...words];
}

/** Draws word ranks from Zipf(s) over the vocabulary: a cumulative table and a binary search. */
export function zipfSampler(rand: () => number): () => number {
  const cdf = new Float64Array(VOCABULARY);
  let sum = 0;
  for (let r = 0; r < VOCABULARY; r++) cdf[r] = sum += 1 / Math.pow(r + 1, ZIPF_S);
  for (let r = 0; r < VOCABULARY; r++) cdf[r] /= sum;
  return () => {
    const u = rand();
    let lo = 0;
    let hi = VOCABULARY - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
