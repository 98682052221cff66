import { Migrator, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDb } from '../src/platform/db/db';
import { FolderMigrationProvider, migrateToLatest } from '../src/platform/db/migrate';
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

describe('the migration that adds extraction (SQLite rebuilds the document table)', () => {
  it('keeps every document, version, page and tag, allows needs_review, and keeps foreign keys working', async () => {
    const database = createDb('sqlite::memory:');
    const { db } = database;
    try {
      const migrator = new Migrator({ db, provider: new FolderMigrationProvider() });
      const r = await migrator.migrateTo('20261121000200_documents');
      expect(r.error).toBeUndefined();
      const now = new Date().toISOString();
      await sql`insert into org (id, name, slug, created_at, updated_at) values ('o1', 'Org', 'org', ${now}, ${now})`.execute(db);
      await sql`insert into document (id, org_id, name, status, size, source, current_version_id, created_at, updated_at) values ('d1', 'o1', 'a.pdf', 'ready', 3, 'upload', 'v1', ${now}, ${now})`.execute(db);
      await sql`insert into document (id, org_id, parent_id, name, status, size, source, created_at, updated_at) values ('d2', 'o1', 'd1', 'b.pdf', 'failed', 3, 'attachment', ${now}, ${now})`.execute(db);
      await sql`insert into document_version (id, org_id, document_id, number, blob_key, size, filename, created_at) values ('v1', 'o1', 'd1', 1, 'k', 3, 'a.pdf', ${now})`.execute(db);
      await sql`insert into document_page (org_id, document_id, version_id, number, source, text) values ('o1', 'd1', 'v1', 1, 'text', 'hello')`.execute(db);
      await sql`insert into tag (id, org_id, name, created_at) values ('t1', 'o1', 'x', ${now})`.execute(db);
      await sql`insert into document_tag (org_id, document_id, tag_id) values ('o1', 'd1', 't1')`.execute(db);

      expect(await migrateToLatest(database)).toContain('20261121000300_extraction');

      const docs = await sql<{ id: string; parent_id: string | null; status: string }>`select id, parent_id, status from document order by id`.execute(db);
      expect(docs.rows).toEqual([{ id: 'd1', parent_id: null, status: 'ready' }, { id: 'd2', parent_id: 'd1', status: 'failed' }]);
      await sql`update document set status = 'needs_review' where id = 'd1'`.execute(db);
      await expect(sql`update document set status = 'bogus' where id = 'd1'`.execute(db)).rejects.toThrow(/CHECK/i);
      expect((await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows[0].foreign_keys).toBe(1);
      const indexes = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'document'`.execute(db);
      expect(indexes.rows.map((i) => i.name)).toEqual(expect.arrayContaining(['document_org_folder_idx', 'document_org_created_idx', 'document_org_status_idx']));
      // Deleting the document still cascades to its versions, pages and tags, and unlinks its attachment.
      await sql`delete from document where id = 'd1'`.execute(db);
      expect((await sql`select * from document_page`.execute(db)).rows).toEqual([]);
      expect((await sql`select * from document_tag`.execute(db)).rows).toEqual([]);
      expect((await sql<{ parent_id: string | null }>`select parent_id from document where id = 'd2'`.execute(db)).rows[0].parent_id).toBeNull();
    } finally {
      await database.destroy();
    }
  });
});
