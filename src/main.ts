import { mkdirSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import { buildApp } from './app';
import type { Config } from './config';
import { ConsumeWatcher } from './modules/documents/consume';
import { documentJobs, type PipelineDeps } from './modules/documents/document.pipeline';
import { searchJobs, syncEmbeddingModel } from './modules/search/models.service';
import { ldapJobs, startLdapSyncSchedule } from './modules/identity/ldap/ldap.sync';
import { createDb, type Database, optimizeDatabase } from './platform/db/db';
import { migrateToLatest } from './platform/db/migrate';
import { createJobQueue, createJobRegistry, type JobRegistry, JobRunner } from './platform/jobs';
import { createLogger, type Logger } from './platform/log/logger';
import { createSmtpMailer } from './platform/mail/smtp';
import { DiskBlobStore } from './platform/storage';
import { ensureUseModel } from './platform/embeddings/use-convert';
import { createSearchRuntime, DEFAULT_MODELS_DIR } from './platform/search/runtime';
import { WorkerPools } from './platform/workers/pools';
import { type Clock, systemClock } from './shared/clock';
import type { AppContext } from './shared/context';

/** Opens the database (creating data folders for SQLite) and applies pending migrations. */
export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  mkdirSync(config.paths.blobs, { recursive: true });
  const database = createDb(config.database.url, { poolSize: config.database.poolSize });
  const applied = await migrateToLatest(database);
  if (applied.length) log.info({ migrations: applied }, 'database migrated');
  return database;
}

/** The application context plus what only a serving process runs: job definitions and worker pools. */
export interface Runtime {
  ctx: AppContext;
  database: Database;
  pipeline: PipelineDeps;
  registry: JobRegistry;
  /** Closes the worker pools if they were started. */
  closePools(): Promise<void>;
}

/**
 * Everything services need, built from the configuration: database, blob store, job queue
 * with every job definition, and (created on first use) the worker pools.
 */
export async function createRuntime(config: Config, log = createLogger(config.log.level), clock: Clock = systemClock): Promise<Runtime> {
  const database = await openDatabase(config, log);
  const blobs = new DiskBlobStore(config.dataDir);
  await blobs.init();
  let pools: WorkerPools | undefined;
  const getPools = () => (pools ??= new WorkerPools());
  const search = createSearchRuntime({
    database, dataDir: config.dataDir, modelsDir: config.search.modelsDir, modelKey: config.search.embeddingModel, embedBatch: config.search.embedBatch,
    pools: getPools, log: log.child({ component: 'search' }),
  });
  // The queue needs the job definitions and the pipeline needs the queue: `jobs` is set just below.
  const pipeline = { db: database.db, blobs, pools: getPools, config, clock, search } as Omit<PipelineDeps, 'jobs'> as PipelineDeps;
  let ctx: AppContext | undefined;
  const registry = createJobRegistry([...documentJobs(pipeline), ...searchJobs({ ctx: () => ctx! }), ...ldapJobs({ ctx: () => ctx! })]);
  const jobs = createJobQueue({ registry, clock });
  pipeline.jobs = jobs;
  ctx = {
    db: database.db,
    dialect: database.dialect,
    config,
    clock,
    log,
    mailer: config.smtp ? createSmtpMailer(config.smtp.url, config.smtp.from) : null,
    blobs,
    jobs,
    wakeJobs: () => {},
    workers: pipeline.pools,
    search,
  };
  return {
    ctx, database, pipeline, registry,
    closePools: async () => {
      await pools?.close();
      search.close();
    },
  };
}

/** The services' context alone, for commands that do not serve (create-admin, token create). */
export async function createAppContext(config: Config, log = createLogger(config.log.level)): Promise<AppContext> {
  return (await createRuntime(config, log)).ctx;
}

/**
 * The composition root of `folio serve`: configuration → database → blob store → job
 * runner → app → HTTP server → consume-folder watcher, with a graceful shutdown on
 * SIGTERM / SIGINT that stops taking requests and files, drains running jobs, then closes
 * pools and the database.
 */
export async function startServer(config: Config): Promise<{ server: ServerType; runtime: Runtime; close(): Promise<void> }> {
  const log = createLogger(config.log.level);
  if (config.search.embeddingModel === 'use-lite') {
    // Normally made by `npm ci`; converted here on first start when the files are missing.
    await ensureUseModel(config.search.modelsDir ?? DEFAULT_MODELS_DIR, { log: (line) => log.info(line) }).catch((err) =>
      log.error({ err }, 'the default embedding model could not be prepared; semantic search stays off'),
    );
  }
  const runtime = await createRuntime(config, log);
  const { ctx, database } = runtime;
  const runner = new JobRunner({ db: database.db, dialect: database.dialect, registry: runtime.registry, log: log.child({ component: 'jobs' }) });
  ctx.wakeJobs = () => runner.wake();
  const app = buildApp(ctx);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.server.port, hostname: config.server.host }, (info) => {
      log.info({ url: `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`, database: ctx.dialect }, 'Folio is listening');
      resolve(s);
    });
    s.once('error', reject);
  });
  runner.start();
  // The configured embedding model: recorded, and passages without its vectors queued for embedding.
  const modelStatus = await syncEmbeddingModel(ctx).catch((err) => {
    log.error({ err }, 'could not check the embedding model');
    return 'missing' as const;
  });
  log.info({ model: config.search.embeddingModel, status: modelStatus }, 'embedding model');
  const consume = new ConsumeWatcher(ctx, { log: log.child({ component: 'consume' }) });
  consume.start();
  // Planner statistics follow the tables as they grow.
  const optimize = setInterval(() => {
    try {
      optimizeDatabase(database);
    } catch (err) {
      log.warn({ err }, 'database optimize failed');
    }
  }, 10 * 60_000);
  optimize.unref();
  // Directory sync: a job per organization with LDAP sign-in, every auth.ldapSyncMinutes.
  const stopLdapSync = startLdapSyncSchedule(ctx, log.child({ component: 'ldap-sync' }));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      log.info('shutting down');
      clearInterval(optimize);
      stopLdapSync();
      await new Promise<void>((r) => server.close(() => r()));
      await consume.stop();
      await runner.stop({ timeoutMs: 25_000 });
      await runtime.closePools();
      await database.destroy();
    })());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void close().then(() => process.exit(0));
    });
  }
  return { server, runtime, close };
}
