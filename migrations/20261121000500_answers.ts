import { type Kysely, SqliteAdapter, sql } from 'kysely';

// Frozen in time: this file must not import application code.

function isSqlite(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

/**
 * Answers: per-organization LLM settings, question threads with their messages and
 * citations, feedback, the answer cache and token usage; and a per-organization content
 * version that changes whenever what can be searched changes (the cache keys on it).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const sqlite = isSqlite(db);
  await db.schema
    .createTable('llm_settings')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('org.id').onDelete('cascade'))
    .addColumn('ollama_url', 'text')
    .addColumn('model', 'text')
    .addColumn('first_token_timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('total_timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('monthly_token_quota', 'integer')
    .addColumn('user_questions_per_hour', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('answer_thread')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('scope', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('answer_thread_user_idx').on('answer_thread').columns(['org_id', 'user_id', 'updated_at']).execute();

  await db.schema
    .createTable('answer_message')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('thread_id', 'text', (c) => c.notNull().references('answer_thread.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('answer', 'text', (c) => c.notNull())
    .addColumn('citations', 'text', (c) => c.notNull())
    .addColumn('degraded', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('model', 'text')
    .addColumn('prompt_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('completion_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cached', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('took_ms', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('answer_message_thread_idx').on('answer_message').columns(['thread_id', 'created_at']).execute();
  await db.schema.createIndex('answer_message_usage_idx').on('answer_message').columns(['org_id', 'user_id', 'created_at']).execute();

  await db.schema
    .createTable('answer_feedback')
    .addColumn('message_id', 'text', (c) => c.notNull().references('answer_message.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('rating', 'integer', (c) => c.notNull().check(sql`rating in (-1, 1)`))
    .addColumn('comment', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('answer_feedback_pk', ['message_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('answer_cache')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('content_version', 'integer', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('answer_cache_org_idx').on('answer_cache').columns(['org_id', 'content_version']).execute();

  // Bumped whenever an organization's searchable content changes (index writes, trash, restore, purge).
  await db.schema.alterTable('org').addColumn('content_version', sqlite ? 'integer' : 'bigint', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['answer_cache', 'answer_feedback', 'answer_message', 'answer_thread', 'llm_settings']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema.alterTable('org').dropColumn('content_version').execute();
}
