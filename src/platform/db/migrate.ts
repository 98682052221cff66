import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { Database } from './db';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));

/** Loads every `*.ts` file in migrations/, ordered by its timestamped name. */
export class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly dir = MIGRATIONS_DIR) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    const files = readdirSync(this.dir)
      .filter((f) => /^\d{14}_[\w-]+\.ts$/.test(f))
      .sort();
    for (const f of files) {
      out[f.replace(/\.ts$/, '')] = (await import(pathToFileURL(path.join(this.dir, f)).href)) as Migration;
    }
    return out;
  }
}

// Arbitrary constant that identifies Folio's migration lock among Postgres advisory locks.
const PG_LOCK_KEY = 7_245_301_118;

/**
 * Brings the schema to the latest migration. On Postgres a session-level advisory lock
 * serializes processes that start at the same moment: the second waits, then finds
 * nothing left to do.
 */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const run = async (db: Kysely<any>, schema?: string) => {
    // Kysely looks for its bookkeeping tables in every schema unless told which one is ours.
    const migrator = new Migrator({ db, provider: new FolderMigrationProvider(), migrationTableSchema: schema });
    const result: MigrationResultSet = await migrator.migrateToLatest();
    if (result.error) {
      const failed = result.results?.find((r) => r.status === 'Error');
      const err = new Error(`Migration ${failed?.migrationName ?? ''} failed: ${(result.error as Error).message ?? result.error}`);
      (err as Error & { cause?: unknown }).cause = result.error;
      throw err;
    }
    return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  };
  if (database.dialect !== 'postgres') return run(database.db);
  return database.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${PG_LOCK_KEY})`.execute(conn);
    try {
      const schema = database.schema ?? (await sql<{ s: string }>`select current_schema() as s`.execute(conn)).rows[0].s;
      return await run(conn, schema);
    } finally {
      await sql`select pg_advisory_unlock(${PG_LOCK_KEY})`.execute(conn);
    }
  });
}
