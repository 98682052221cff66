import { type Kysely, sql } from 'kysely';

// Frozen in time: this file must not import application code.

export async function up(db: Kysely<any>): Promise<void> {
  // The job queue lives in the application database so that a job is enqueued in the
  // same transaction as the data change it belongs to.
  await db.schema
    .createTable('job')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
    )
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('heartbeat_at', 'text')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('progress', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();

  // Claiming: the next queued jobs of a type, highest priority first, then oldest run_at
  // (id breaks ties), read in index order without a sort.
  // Partial, so finished jobs (the bulk of the table over time) never enter it.
  await db.schema
    .createIndex('job_claim_idx')
    .on('job')
    .columns(['type', 'priority desc', 'run_at', 'id'])
    .where(sql.ref('status'), '=', 'queued')
    .execute();
  // Sweeping: running jobs whose lease has expired.
  await db.schema
    .createIndex('job_lease_idx')
    .on('job')
    .column('lease_until')
    .where(sql.ref('status'), '=', 'running')
    .execute();
  // Listing an organization's jobs (admin console, progress pages).
  await db.schema.createIndex('job_org_idx').on('job').columns(['org_id', 'created_at']).execute();
  // Purging old finished jobs.
  await db.schema.createIndex('job_finished_idx').on('job').columns(['status', 'finished_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('job').ifExists().execute();
}
