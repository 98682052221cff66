import { type Kysely, sql } from 'kysely';
import { newId } from '../../../shared/ids';
import { defineJob } from '../registry';
import { sleep } from './helpers';

/** Tables the crash test records into: every attempt started, and each completed side effect. */
export async function createCrashTables(db: Kysely<any>): Promise<void> {
  await sql`create table crash_attempt (id text primary key, job_id text not null, pid integer not null)`.execute(db);
  await sql`create table crash_effect (id text primary key, job_id text not null, pid integer not null)`.execute(db);
}

/**
 * A job whose side effect (a `crash_effect` row) is committed by `ctx.complete` together
 * with the job's success; attempts are recorded outside that transaction.
 */
export const crashJob = defineJob<{ n: number }>({
  name: 'crash.work',
  concurrency: 4,
  maxAttempts: 5,
  backoff: { baseMs: 10, capMs: 50 },
  async handler(ctx) {
    await ctx.transaction((trx) => sql`insert into crash_attempt (id, job_id, pid) values (${newId()}, ${ctx.jobId}, ${process.pid})`.execute(trx));
    process.stdout.write(`started ${ctx.jobId}\n`);
    await sleep(80 + Math.random() * 40);
    ctx.signal.throwIfAborted();
    await ctx.complete((trx) => sql`insert into crash_effect (id, job_id, pid) values (${newId()}, ${ctx.jobId}, ${process.pid})`.execute(trx));
  },
});
