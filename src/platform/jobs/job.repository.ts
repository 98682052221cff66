import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Dialect } from '../db/db';
import type { DB, JobStatus, JobTable } from '../db/schema';

/** A job row as both drivers return it. */
export type JobRow = Selectable<JobTable>;

/**
 * What proves a runner still owns a claimed job: the row is `running`, locked by this
 * runner, and on the attempt this runner claimed (a re-claim after a lost lease bumps
 * `attempts`, so a stale handler of an earlier attempt can never pass the fence).
 */
export interface JobFence {
  id: string;
  lockedBy: string;
  attempt: number;
}

/** Thrown when a fenced write finds that the job is no longer owned by this run. */
export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`Job ${jobId} is no longer held by this runner (lease expired, cancelled or finished elsewhere)`);
    this.name = 'LeaseLostError';
  }
}

type AnyDb = Kysely<DB> | Transaction<DB>;

function fenced<Q extends { where: (...args: any[]) => any }>(q: Q, f: JobFence) {
  return q
    .where('id', '=', f.id)
    .where('status', '=', 'running')
    .where('locked_by', '=', f.lockedBy)
    .where('attempts', '=', f.attempt);
}

export async function insertJob(db: AnyDb, row: JobRow): Promise<void> {
  await db.insertInto('job').values(row).execute();
}

export async function findJobRow(db: AnyDb, id: string, orgId?: string | null): Promise<JobRow | undefined> {
  return db
    .selectFrom('job')
    .selectAll()
    .where('id', '=', id)
    .$if(orgId !== undefined, (q) => (orgId === null ? q.where('org_id', 'is', null) : q.where('org_id', '=', orgId!)))
    .executeTakeFirst();
}

export interface ListJobsFilter {
  orgId?: string | null;
  status?: JobStatus | JobStatus[];
  type?: string;
  limit?: number;
}

export async function listJobRows(db: AnyDb, filter: ListJobsFilter = {}): Promise<JobRow[]> {
  const statuses = filter.status === undefined ? undefined : Array.isArray(filter.status) ? filter.status : [filter.status];
  return db
    .selectFrom('job')
    .selectAll()
    .$if(filter.orgId !== undefined, (q) => (filter.orgId === null ? q.where('org_id', 'is', null) : q.where('org_id', '=', filter.orgId!)))
    .$if(statuses !== undefined, (q) => q.where('status', 'in', statuses!))
    .$if(filter.type !== undefined, (q) => q.where('type', '=', filter.type!))
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(filter.limit ?? 100)
    .execute();
}

/**
 * Claims up to `limit` runnable jobs of one type in a single statement.
 *
 * Postgres: the subselect locks candidate rows `FOR UPDATE SKIP LOCKED`, so concurrent
 * claimers (other pools, other replicas) each get disjoint rows without waiting on each
 * other. SQLite: one writer at a time, so the UPDATE with its subselect is atomic as is.
 * The outer `status = 'queued'` re-check keeps the statement correct on its own.
 */
export async function claimJobs(
  db: Kysely<DB>,
  dialect: Dialect,
  opts: { type: string; limit: number; lockedBy: string; now: string; leaseUntil: string },
): Promise<JobRow[]> {
  const candidates = db
    .selectFrom('job')
    .select('id')
    // A literal, not a parameter, so the planner can use the partial index job_claim_idx.
    .where(sql<boolean>`status = 'queued'`)
    .where('type', '=', opts.type)
    .where('run_at', '<=', opts.now)
    .orderBy('priority', 'desc')
    .orderBy('run_at')
    .orderBy('id')
    .limit(opts.limit)
    .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked());
  const rows = await db
    .updateTable('job')
    .set((eb) => ({
      status: 'running',
      attempts: eb('attempts', '+', 1),
      locked_by: opts.lockedBy,
      lease_until: opts.leaseUntil,
      heartbeat_at: opts.now,
      updated_at: opts.now,
    }))
    // Postgres must evaluate the locking subselect exactly once: as a plain `IN (…)` the
    // planner may rescan it inside a nested-loop semi-join, and each rescan with SKIP
    // LOCKED can pick further rows, claiming more than `limit`. `= any(array(…))` makes it
    // an InitPlan that runs once.
    .$if(dialect === 'postgres', (q) => q.where('id', '=', sql<string>`any(array(${candidates}))`))
    .$if(dialect !== 'postgres', (q) => q.where('id', 'in', candidates))
    .where('status', '=', 'queued')
    .returningAll()
    .execute();
  // RETURNING does not keep the subselect's order.
  return rows.sort((a, b) => b.priority - a.priority || a.run_at.localeCompare(b.run_at) || a.id.localeCompare(b.id));
}

/**
 * Extends the leases of the jobs this runner holds and reports which it still holds and
 * which have been asked to cancel. A job missing from the answer was lost (swept,
 * finished or cancelled elsewhere).
 */
export async function heartbeatJobs(
  db: Kysely<DB>,
  opts: { ids: string[]; lockedBy: string; now: string; leaseUntil: string },
): Promise<{ id: string; attempts: number; cancel_requested: number }[]> {
  if (opts.ids.length === 0) return [];
  return db
    .updateTable('job')
    .set({ lease_until: opts.leaseUntil, heartbeat_at: opts.now, updated_at: opts.now })
    .where('id', 'in', opts.ids)
    .where('status', '=', 'running')
    .where('locked_by', '=', opts.lockedBy)
    .returning(['id', 'attempts', 'cancel_requested'])
    .execute();
}

/** Records the attempt's outcome, only if this run still owns the job. True when it did. */
export async function settleJob(
  db: AnyDb,
  fence: JobFence,
  outcome:
    | { status: 'succeeded'; now: string }
    | { status: 'failed'; now: string; error: string }
    | { status: 'cancelled'; now: string; error?: string }
    | { status: 'queued'; now: string; runAt: string; error: string }
    | { status: 'released'; now: string },
): Promise<boolean> {
  const base = { updated_at: outcome.now, lease_until: null };
  let q;
  switch (outcome.status) {
    case 'succeeded':
      q = db.updateTable('job').set({ ...base, status: 'succeeded', finished_at: outcome.now });
      break;
    case 'failed':
      q = db.updateTable('job').set({ ...base, status: 'failed', finished_at: outcome.now, last_error: outcome.error });
      break;
    case 'cancelled':
      q = db.updateTable('job').set({ ...base, status: 'cancelled', finished_at: outcome.now, ...(outcome.error ? { last_error: outcome.error } : {}) });
      break;
    case 'queued':
      q = db.updateTable('job').set({ ...base, status: 'queued', locked_by: null, run_at: outcome.runAt, last_error: outcome.error });
      break;
    case 'released':
      // Shutdown is not the job's fault: give the attempt back.
      q = db.updateTable('job').set((eb) => ({ ...base, status: 'queued', locked_by: null, run_at: outcome.now, attempts: eb('attempts', '-', 1) }));
      break;
  }
  const res = await fenced(q, fence).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Writes the handler's progress (JSON) if this run still owns the job. */
export async function writeProgress(db: AnyDb, fence: JobFence, progress: string, now: string): Promise<boolean> {
  const res = await fenced(db.updateTable('job').set({ progress, updated_at: now }), fence).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * Runs `fn` in a transaction whose first statement checks (and, on Postgres, row-locks)
 * that this run still owns the job; with `complete` it also marks the job succeeded in the
 * same transaction. The handler's writes therefore commit only while it holds the job,
 * and with `complete`, exactly once together with the job's success.
 */
export async function fencedTransaction<T>(
  db: Kysely<DB>,
  fence: JobFence,
  opts: { now: string; leaseUntil: string; complete: boolean },
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const set = opts.complete
      ? { status: 'succeeded' as const, finished_at: opts.now, lease_until: null, updated_at: opts.now }
      : { lease_until: opts.leaseUntil, heartbeat_at: opts.now, updated_at: opts.now };
    const res = await fenced(trx.updateTable('job').set(set), fence).executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw new LeaseLostError(fence.id);
    return fn(trx);
  });
}

/**
 * Re-queues running jobs whose lease expired (their runner died or stalled): back to
 * `queued` while attempts remain, `failed` when they are used up, `cancelled` when a
 * cancel was pending. One statement, so concurrent sweepers on several replicas are safe.
 */
export async function sweepExpiredJobs(db: Kysely<DB>, now: string): Promise<Pick<JobRow, 'id' | 'type' | 'status' | 'attempts' | 'org_id'>[]> {
  const final = sql<boolean>`(cancel_requested = 1 or attempts >= max_attempts)`;
  return db
    .updateTable('job')
    .set({
      status: sql<JobStatus>`case when cancel_requested = 1 then 'cancelled' when attempts >= max_attempts then 'failed' else 'queued' end`,
      finished_at: sql<string | null>`case when ${final} then ${now} else null end`,
      last_error: sql<string>`case when cancel_requested = 1 then last_error else 'Lease expired: the worker stopped heartbeating (process killed or stalled)' end`,
      locked_by: null,
      lease_until: null,
      run_at: now,
      updated_at: now,
    })
    // A literal, not a parameter, so the planner can use the partial index job_lease_idx.
    .where(sql<boolean>`status = 'running'`)
    .where('lease_until', '<', now)
    .returning(['id', 'type', 'status', 'attempts', 'org_id'])
    .execute();
}

/**
 * Cancels a job: a queued job becomes `cancelled` at once; a running job is flagged and
 * its runner aborts the handler at its next heartbeat. Returns the job's status after the
 * request, or undefined when there is no such job (in that org).
 */
export async function requestCancel(db: AnyDb, id: string, now: string, orgId?: string | null): Promise<JobStatus | undefined> {
  const scope = <Q extends { where: (...args: any[]) => any }>(q: Q): Q =>
    orgId === undefined ? q : orgId === null ? q.where('org_id', 'is', null) : q.where('org_id', '=', orgId);
  const queued = await scope(
    db.updateTable('job').set({ status: 'cancelled', finished_at: now, updated_at: now }).where('id', '=', id).where('status', '=', 'queued'),
  ).executeTakeFirst();
  if (Number(queued.numUpdatedRows) === 1) return 'cancelled';
  await scope(db.updateTable('job').set({ cancel_requested: 1, updated_at: now }).where('id', '=', id).where('status', '=', 'running')).execute();
  return (await findJobRow(db, id, orgId))?.status;
}

/** Puts a failed or cancelled job back in the queue with a fresh set of attempts. */
export async function requeueFinished(db: AnyDb, id: string, now: string, orgId?: string | null): Promise<boolean> {
  const res = await db
    .updateTable('job')
    .set({ status: 'queued', attempts: 0, cancel_requested: 0, run_at: now, finished_at: null, locked_by: null, lease_until: null, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', ['failed', 'cancelled'])
    .$if(orgId !== undefined, (q) => (orgId === null ? q.where('org_id', 'is', null) : q.where('org_id', '=', orgId!)))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Deletes finished jobs (succeeded, and optionally failed/cancelled) older than `before`. */
export async function deleteFinishedJobs(db: AnyDb, before: string, statuses: JobStatus[] = ['succeeded']): Promise<number> {
  const res = await db.deleteFrom('job').where('status', 'in', statuses).where('finished_at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
