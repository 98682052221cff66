import { type Kysely, SqliteAdapter, sql } from 'kysely';

// Frozen in time: this file must not import application code.

const STATUSES = `'queued', 'processing', 'ready', 'needs_review', 'needs_password', 'failed', 'unsupported'`;

/** Which database the migration runs on (SQLite cannot alter a CHECK constraint in place). */
function isSqlite(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

/**
 * Widens the document status CHECK to allow `needs_review`. On SQLite the table is rebuilt
 * (new table from the old definition, rows copied, old one dropped, new one renamed, indexes
 * recreated) with foreign keys off, as SQLite documents for constraint changes; SQLite
 * migrations run outside a transaction, so one is opened here.
 */
async function widenStatus(db: Kysely<any>, from: string, to: string): Promise<void> {
  if (!isSqlite(db)) {
    const found = await sql<{ conname: string }>`
      select conname from pg_constraint
      where conrelid = 'document'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%status%'`.execute(db);
    for (const { conname } of found.rows) await sql`alter table document drop constraint ${sql.id(conname)}`.execute(db);
    await sql`alter table document add constraint document_status_check check (status in (${sql.raw(to)}))`.execute(db);
    return;
  }
  const table = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = 'document'`.execute(db);
  const indexes = await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and tbl_name = 'document' and sql is not null`.execute(db);
  const create = table.rows[0].sql;
  const widened = create.replace(/^create table "document"/i, 'create table "document_next"').replace(`status in (${from})`, `status in (${to})`);
  if (widened === create || !widened.includes(to)) throw new Error('Unexpected definition of the document table');
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      await sql.raw(widened).execute(trx);
      await sql`insert into document_next select * from document`.execute(trx);
      await sql`drop table document`.execute(trx);
      await sql`alter table document_next rename to document`.execute(trx);
      for (const { sql: index } of indexes.rows) await sql.raw(index).execute(trx);
      const broken = await sql`pragma foreign_key_check`.execute(trx);
      if (broken.rows.length) throw new Error('Foreign keys broken while rebuilding the document table');
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  await widenStatus(db, `'queued', 'processing', 'ready', 'needs_password', 'failed', 'unsupported'`, STATUSES);
  await db.schema.createIndex('document_org_status_idx').on('document').columns(['org_id', 'status', 'created_at']).execute();

  // Fields below this confidence send a document to the review queue.
  await db.schema.alterTable('org').addColumn('review_threshold', 'real', (c) => c.notNull().defaultTo(0.8)).execute();

  // An organization's own document types; invoice and receipt are built in.
  await db.schema
    .createTable('document_type')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('keywords', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('document_type_org_key_uq', ['org_id', 'key'])
    .execute();

  await db.schema
    .createTable('extraction')
    .addColumn('document_id', 'text', (c) => c.primaryKey().references('document.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('version_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('type_confidence', 'real', (c) => c.notNull())
    .addColumn('type_source', 'text', (c) => c.notNull())
    .addColumn('confidence', 'real')
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('line_items', 'text')
    .addColumn('issues', 'text', (c) => c.notNull())
    .addColumn('vendor_key', 'text')
    .addColumn('reviewed_by', 'text')
    .addColumn('reviewed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('extraction_org_type_idx').on('extraction').columns(['org_id', 'type']).execute();

  // Every correction a reviewer made, kept as made.
  await db.schema
    .createTable('extraction_correction')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('document_id', 'text', (c) => c.notNull().references('document.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('user_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('extraction_correction_doc_idx').on('extraction_correction').columns(['org_id', 'document_id']).execute();

  // What reviews taught about a vendor's documents: where each field sits and what labels it.
  await db.schema
    .createTable('vendor_profile')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hints', 'text', (c) => c.notNull())
    .addColumn('reviews', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('vendor_profile_org_key_uq', ['org_id', 'type', 'key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['vendor_profile', 'extraction_correction', 'extraction', 'document_type']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema.dropIndex('document_org_status_idx').ifExists().execute();
  await db.schema.alterTable('org').dropColumn('review_threshold').execute();
  await sql`update document set status = 'ready' where status = 'needs_review'`.execute(db);
  await widenStatus(db, STATUSES, `'queued', 'processing', 'ready', 'needs_password', 'failed', 'unsupported'`);
}
