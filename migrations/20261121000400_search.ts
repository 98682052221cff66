import { type Kysely, SqliteAdapter, sql } from 'kysely';

// Frozen in time: this file must not import application code.

function isSqlite(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

/**
 * Search: passages (`chunk`) with their full-text index, the vectors each embedding model
 * made of them, the change log that vector indexes follow, the models seen, and the
 * queries people asked.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const sqlite = isSqlite(db);

  // Passages of a document version, page-aware; integer ids so the indexes can key on them.
  await db.schema
    .createTable('chunk')
    .addColumn('id', sqlite ? 'integer' : 'bigserial', (c) => (sqlite ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('document_id', 'text', (c) => c.notNull().references('document.id').onDelete('cascade'))
    .addColumn('version_id', 'text', (c) => c.notNull())
    .addColumn('page', 'integer', (c) => c.notNull())
    .addColumn('ord', 'integer', (c) => c.notNull())
    .addColumn('heading', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('tokens', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('chunk_org_doc_idx').on('chunk').columns(['org_id', 'document_id', 'ord']).execute();
  await db.schema.createIndex('chunk_doc_idx').on('chunk').column('document_id').execute();

  if (sqlite) {
    // External-content FTS5 over the chunk rows, kept in step by triggers.
    await sql`create virtual table chunk_fts using fts5(heading, text, content='chunk', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')`.execute(db);
    await sql`create trigger chunk_fts_ai after insert on chunk begin
      insert into chunk_fts(rowid, heading, text) values (new.id, new.heading, new.text); end`.execute(db);
    await sql`create trigger chunk_fts_ad after delete on chunk begin
      insert into chunk_fts(chunk_fts, rowid, heading, text) values ('delete', old.id, old.heading, old.text); end`.execute(db);
    await sql`create trigger chunk_fts_au after update on chunk begin
      insert into chunk_fts(chunk_fts, rowid, heading, text) values ('delete', old.id, old.heading, old.text);
      insert into chunk_fts(rowid, heading, text) values (new.id, new.heading, new.text); end`.execute(db);
  } else {
    await sql`alter table chunk add column tsv tsvector generated always as (
      setweight(to_tsvector('english', coalesce(heading, '')), 'A') || setweight(to_tsvector('english', text), 'B')) stored`.execute(db);
    await sql`create index chunk_tsv_idx on chunk using gin (tsv)`.execute(db);
  }

  // One vector per chunk and model (float32 little-endian); the source of truth for every vector index.
  await db.schema
    .createTable('chunk_vector')
    .addColumn('chunk_id', sqlite ? 'integer' : 'bigint', (c) => c.notNull().references('chunk.id').onDelete('cascade'))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('vector', sqlite ? 'blob' : 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('chunk_vector_pk', ['chunk_id', 'model'])
    .execute();
  await db.schema.createIndex('chunk_vector_model_idx').on('chunk_vector').columns(['model', 'org_id']).execute();

  // Ordered changes that vector indexes replay: `put` (index the stored vector) or `del`.
  await db.schema
    .createTable('vector_change')
    .addColumn('seq', sqlite ? 'integer' : 'bigserial', (c) => (sqlite ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('chunk_id', sqlite ? 'integer' : 'bigint', (c) => c.notNull())
    .addColumn('op', 'text', (c) => c.notNull().check(sql`op in ('put', 'del')`))
    .execute();
  await db.schema.createIndex('vector_change_model_seq_idx').on('vector_change').columns(['model', 'seq']).execute();

  // Storing or dropping a vector (cascades included) is logged by the database itself.
  if (sqlite) {
    await sql`create trigger chunk_vector_ai after insert on chunk_vector begin
      insert into vector_change(model, org_id, chunk_id, op) values (new.model, new.org_id, new.chunk_id, 'put'); end`.execute(db);
    await sql`create trigger chunk_vector_ad after delete on chunk_vector begin
      insert into vector_change(model, org_id, chunk_id, op) values (old.model, old.org_id, old.chunk_id, 'del'); end`.execute(db);
  } else {
    await sql`create function chunk_vector_log() returns trigger language plpgsql as $$
      begin
        -- One writer at a time, so the log's order is the order of commits (a replica
        -- replaying it never skips a change that commits late).
        perform pg_advisory_xact_lock(7311002);
        if tg_op = 'INSERT' then
          insert into vector_change(model, org_id, chunk_id, op) values (new.model, new.org_id, new.chunk_id, 'put');
          return new;
        end if;
        insert into vector_change(model, org_id, chunk_id, op) values (old.model, old.org_id, old.chunk_id, 'del');
        return old;
      end $$`.execute(db);
    await sql`create trigger chunk_vector_log after insert or delete on chunk_vector for each row execute function chunk_vector_log()`.execute(db);
  }

  // Embedding models seen by this installation: `building` while re-embedding, then `ready`.
  await db.schema
    .createTable('embedding_model')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('dims', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('building', 'ready', 'retired')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('ready_at', 'text')
    .execute();

  // Every search, for "what do people look for and not find".
  await db.schema
    .createTable('search_query')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('user_id', 'text')
    .addColumn('query', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('filters', 'text')
    .addColumn('results', 'integer', (c) => c.notNull())
    .addColumn('took_ms', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('search_query_org_idx').on('search_query').columns(['org_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  const sqlite = isSqlite(db);
  await db.schema.dropTable('search_query').ifExists().execute();
  await db.schema.dropTable('embedding_model').ifExists().execute();
  await db.schema.dropTable('chunk_vector').ifExists().execute();
  if (!sqlite) await sql`drop function if exists chunk_vector_log()`.execute(db);
  await db.schema.dropTable('vector_change').ifExists().execute();
  if (sqlite) await sql`drop table if exists chunk_fts`.execute(db);
  await db.schema.dropTable('chunk').ifExists().execute();
}
