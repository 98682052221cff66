import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDb } from '../src/platform/db/db';
import { migrateToLatest } from '../src/platform/db/migrate';
import { newId } from '../src/shared/ids';
import { DIALECTS, TEST_DATABASE_URL, useTestDb } from './support/db';

describe('migrations on Postgres', () => {
  it('two processes starting at once migrate once, and both end up ready', async () => {
    const schema = `t_${newId(12)}`;
    const admin = createDb(TEST_DATABASE_URL, { poolSize: 1 });
    await sql`create schema ${sql.id(schema)}`.execute(admin.db);
    const a = createDb(TEST_DATABASE_URL, { searchPath: schema, poolSize: 2 });
    const b = createDb(TEST_DATABASE_URL, { searchPath: schema, poolSize: 2 });
    try {
      const [ra, rb] = await Promise.all([migrateToLatest(a), migrateToLatest(b)]);
      expect([...ra, ...rb].sort()).toEqual((ra.length ? ra : rb).sort());
      expect(ra.length === 0 || rb.length === 0).toBe(true);
      expect(ra.length + rb.length).toBeGreaterThan(0);
      expect(await migrateToLatest(a)).toEqual([]);
      const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema}`.execute(admin.db);
      expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['org', 'user', 'org_member', 'team', 'team_member', 'session', 'personal_token', 'audit_event']));
    } finally {
      await a.destroy();
      await b.destroy();
      await sql`drop schema ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.destroy();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`audit log storage (${dialect})`, () => {
    const getDb = useTestDb(dialect);

    it('is append-only: the database refuses updates and deletes', async () => {
      const { db } = getDb();
      await db.insertInto('audit_event').values({ id: 'e1', org_id: null, actor_id: null, action: 'auth.login', target_type: null, target_id: null, ip: null, user_agent: null, data: null, created_at: new Date().toISOString() }).execute();
      await expect(db.updateTable('audit_event').set({ action: 'forged' }).where('id', '=', 'e1').execute()).rejects.toThrow(/append-only/);
      await expect(db.deleteFrom('audit_event').where('id', '=', 'e1').execute()).rejects.toThrow(/append-only/);
      expect((await db.selectFrom('audit_event').select('action').where('id', '=', 'e1').executeTakeFirstOrThrow()).action).toBe('auth.login');
    });
  });
}
