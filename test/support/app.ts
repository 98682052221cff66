import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { buildApp } from '../../src/app';
import { documentJobs, type PipelineDeps } from '../../src/modules/documents/document.pipeline';
import { createJobQueue, createJobRegistry, type JobRegistry, JobRunner } from '../../src/platform/jobs';
import { DiskBlobStore } from '../../src/platform/storage';
import { WorkerPools } from '../../src/platform/workers/pools';
import { createSearchRuntime } from '../../src/platform/search/runtime';
import { searchJobs } from '../../src/modules/search/models.service';
import { ldapJobs } from '../../src/modules/identity/ldap/ldap.sync';
import { buildConfig, type Config } from '../../src/config';
import type { Dialect } from '../../src/platform/db/db';
import { createLogger } from '../../src/platform/log/logger';
import { fixedClock } from '../../src/shared/clock';
import { type AppContext, type Ctx, type Mailer, NO_META } from '../../src/shared/context';
import { type TestDatabase, useTestDb } from './db';

export const ORIGIN = 'http://localhost';

export interface TestApp {
  app: ReturnType<typeof buildApp>;
  ctx: Ctx;
  db: TestDatabase;
  clock: ReturnType<typeof fixedClock>;
  mail: { to: string; subject: string; text: string }[];
  blobs: DiskBlobStore;
  registry: JobRegistry;
  /** Runs the job runner until no job is waiting or running (or the time limit passes). */
  drainJobs(opts?: { timeoutMs?: number }): Promise<void>;
  /** Sends a request the way a browser or API client would; writes carry our Origin. */
  request(method: string, path: string, opts?: RequestOpts): Promise<Response>;
}

export interface RequestOpts {
  cookie?: string;
  token?: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  body?: BodyInit;
}

/** Test configuration: small lockout numbers, quiet logs. */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return buildConfig({ log: { level: 'silent' }, dataDir: path.join(tmpdir(), 'folio-test-unused'), ...overrides }, {});
}

/**
 * A full application over a fresh database of `dialect`, with a movable clock and a mailer
 * that records what it sends. Register inside a describe block.
 */
export function useTestApp(dialect: Dialect, opts: { config?: Record<string, unknown>; withMailer?: boolean } = {}): () => TestApp {
  const getDb = useTestDb(dialect);
  let cached: TestApp | undefined;
  let pools: WorkerPools | undefined;
  let closeSearch = () => {};
  const dataDir = mkdtempSync(path.join(tmpdir(), 'folio-test-'));
  afterAll(async () => {
    await pools?.close();
    closeSearch();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return () => {
    if (cached) return cached;
    const db = getDb();
    const clock = fixedClock(new Date());
    const mail: TestApp['mail'] = [];
    const mailer: Mailer | null = opts.withMailer ? { send: async (m) => void mail.push(m) } : null;
    const config = testConfig({ dataDir, ...opts.config });
    const blobs = new DiskBlobStore(dataDir);
    const getPools = () => (pools ??= new WorkerPools());
    const search = createSearchRuntime({ database: db, dataDir, modelsDir: config.search.modelsDir, modelKey: config.search.embeddingModel, pools: getPools, log: createLogger('silent') });
    closeSearch = () => search.close();
    const pipeline = { db: db.db, blobs, pools: getPools, config, clock, search } as Omit<PipelineDeps, 'jobs'> as PipelineDeps;
    let base: AppContext | undefined;
    const registry = createJobRegistry([...documentJobs(pipeline), ...searchJobs({ ctx: () => base! }), ...ldapJobs({ ctx: () => base! })]);
    const jobs = createJobQueue({ registry, clock });
    pipeline.jobs = jobs;
    base = { db: db.db, dialect, config, clock, log: createLogger('silent'), mailer, blobs, jobs, wakeJobs: () => {}, workers: pipeline.pools, search };
    const drainJobs: TestApp['drainJobs'] = async (o = {}) => {
      // The runner leases on the real clock; test clocks only move session and invitation times.
      const runner = new JobRunner({ db: db.db, dialect, registry, log: createLogger('silent'), pollIntervalMs: 50 });
      runner.start();
      const deadline = Date.now() + (o.timeoutMs ?? 120_000);
      try {
        for (;;) {
          const open = await db.db.selectFrom('job').select('id').where('status', 'in', ['queued', 'running']).executeTakeFirst();
          if (!open) return;
          if (Date.now() > deadline) throw new Error('jobs did not finish in time');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await runner.stop({ timeoutMs: 10_000 });
      }
    };
    const app = buildApp(base);
    const request: TestApp['request'] = (method, path, o = {}) => {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.cookie) headers.Cookie = o.cookie;
      if (o.token) headers.Authorization = `Bearer ${o.token}`;
      if (!['GET', 'HEAD'].includes(method) && !('Origin' in headers)) headers.Origin = ORIGIN;
      let body = o.body;
      if (o.json !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(o.json);
      } else if (o.form) {
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(o.form).toString();
      }
      return Promise.resolve(app.request(path, { method, headers, body }));
    };
    cached = { app, ctx: { ...base, meta: NO_META }, db, clock, mail, request, blobs, registry, drainJobs };
    return cached;
  };
}

/** The `name=value` pair of a cookie the response set, for the next request. */
export function cookieFrom(res: Response, name = 'folio_session'): string {
  for (const c of res.headers.getSetCookie()) {
    if (c.startsWith(`${name}=`)) return c.split(';')[0];
  }
  throw new Error(`response set no ${name} cookie`);
}
