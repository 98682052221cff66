import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { createDb, type Database, type Dialect } from '../../src/platform/db/db';
import { migrateToLatest } from '../../src/platform/db/migrate';
import { newId } from '../../src/shared/ids';

/** Both dialects: every repository and service test runs once per entry. */
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

/** The Postgres server the suite uses; the suite fails (never skips) when it is not reachable. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase extends Database {
  /** The URL (with schema, for Postgres) a second process or pool can open. */
  url: string;
  /** Opens another connection pool onto the same database (for concurrency tests). */
  reopen(): Database;
}

/**
 * A fresh, migrated database: an in-memory SQLite database, or a new schema in the test
 * Postgres that is dropped again on destroy.
 */
export async function createTestDb(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const database = createDb('sqlite::memory:');
    await migrateToLatest(database);
    return { ...database, url: 'sqlite::memory:', reopen: () => { throw new Error('an in-memory SQLite database cannot be reopened'); } };
  }
  const schema = `t_${newId(12)}`;
  const admin = createDb(TEST_DATABASE_URL, { poolSize: 1 });
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  await admin.destroy();
  const database = createDb(TEST_DATABASE_URL, { searchPath: schema, poolSize: 5 });
  await migrateToLatest(database);
  return {
    ...database,
    url: TEST_DATABASE_URL,
    schema,
    reopen: () => createDb(TEST_DATABASE_URL, { searchPath: schema, poolSize: 5 }),
    async destroy() {
      await database.destroy();
      const cleanup = createDb(TEST_DATABASE_URL, { poolSize: 1 });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(cleanup.db);
      await cleanup.destroy();
    },
  };
}

/**
 * Registers a fresh database for the enclosing describe block and returns a getter for it.
 */
export function useTestDb(dialect: Dialect): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDb(dialect);
  });
  afterAll(async () => {
    await database?.destroy();
  });
  return () => {
    if (!database) throw new Error('test database not ready');
    return database;
  };
}
