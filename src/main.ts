import { mkdirSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import { buildApp } from './app';
import type { Config } from './config';
import { createDb, type Database } from './platform/db/db';
import { migrateToLatest } from './platform/db/migrate';
import { createLogger, type Logger } from './platform/log/logger';
import { createSmtpMailer } from './platform/mail/smtp';
import { systemClock } from './shared/clock';
import type { AppContext } from './shared/context';

/** Opens the database (creating data folders for SQLite) and applies pending migrations. */
export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  mkdirSync(config.paths.blobs, { recursive: true });
  const database = createDb(config.database.url, { poolSize: config.database.poolSize });
  const applied = await migrateToLatest(database);
  if (applied.length) log.info({ migrations: applied }, 'database migrated');
  return database;
}

/** Everything services need, built from the configuration. */
export async function createAppContext(config: Config, log = createLogger(config.log.level)): Promise<AppContext> {
  const database = await openDatabase(config, log);
  return {
    db: database.db,
    dialect: database.dialect,
    config,
    clock: systemClock,
    log,
    mailer: config.smtp ? createSmtpMailer(config.smtp.url, config.smtp.from) : null,
  };
}

/**
 * The composition root of `folio serve`: configuration → database → app → HTTP server,
 * with a graceful shutdown on SIGTERM / SIGINT.
 */
export async function startServer(config: Config): Promise<{ server: ServerType; close(): Promise<void> }> {
  const log = createLogger(config.log.level);
  const ctx = await createAppContext(config, log);
  const app = buildApp(ctx);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.server.port, hostname: config.server.host }, (info) => {
      log.info({ url: `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`, database: ctx.dialect }, 'Folio is listening');
      resolve(s);
    });
    s.once('error', reject);
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      log.info('shutting down');
      await new Promise<void>((r) => server.close(() => r()));
      await ctx.db.destroy();
    })());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void close().then(() => process.exit(0));
    });
  }
  return { server, close };
}
