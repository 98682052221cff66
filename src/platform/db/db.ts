import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import * as sqliteVec from 'sqlite-vec';
import type { DB } from './schema';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<DB>;

export interface Database {
  db: Db;
  dialect: Dialect;
  /** The Postgres schema pinned with `searchPath`, if any. */
  schema?: string;
  /** The better-sqlite3 connection (SQLite only), with sqlite-vec loaded: the vector index lives in it. */
  sqlite?: SQLite.Database;
  destroy(): Promise<void>;
}

// COUNT(*) and other int8 values come back from pg as strings; our counts fit in a double.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/**
 * Opens the database named by `url`: `sqlite:<path>` (or `sqlite::memory:`) through
 * better-sqlite3 in WAL mode, or `postgres://…` through a pg pool. `searchPath` pins a
 * Postgres schema (tests use one schema per file).
 */
export function createDb(url: string, opts: { poolSize?: number; searchPath?: string } = {}): Database {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SQLite(file === ':memory:' ? ':memory:' : path.resolve(file));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqliteVec.load(sqlite);
    // Table statistics for the query planner, refreshed for tables that changed much.
    sqlite.pragma('optimize = 0x10002');
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', sqlite, destroy: () => db.destroy() };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      options: opts.searchPath ? `-c search_path=${opts.searchPath}` : undefined,
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', schema: opts.searchPath, destroy: () => db.destroy() };
  }
  throw new Error(`Unsupported database URL: ${url.replace(/\/\/[^@]*@/, '//***@')}`);
}

/**
 * Refreshes the query planner's statistics where tables changed much since the last time
 * (SQLite's `PRAGMA optimize`; Postgres's autovacuum does this by itself). Cheap when
 * nothing changed; the server runs it at start and every ten minutes.
 */
export function optimizeDatabase(database: Database): void {
  database.sqlite?.pragma('optimize');
}
