import type { Kysely } from 'kysely';
import type { DB, JobStatus } from '../db/schema';
import { type Clock, iso, systemClock } from '../../shared/clock';
import { AppError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import {
  deleteFinishedJobs,
  findJobRow,
  insertJob,
  type JobRow,
  listJobRows,
  type ListJobsFilter,
  requeueFinished,
  requestCancel,
} from './job.repository';
import { JOB_DEFAULTS, type JobProgress, type JobRegistry } from './registry';

/**
 * Thrown by a handler for a failure that retrying cannot fix (bad input, unsupported
 * file): the job goes straight to `failed` with this message, whatever attempts remain.
 */
export class PermanentJobError extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'PermanentJobError';
  }
}

/**
 * Delay before retry number `attempt` (1 = after the first failure):
 * `baseMs * 2^(attempt-1)` capped at `capMs`, with "equal jitter" — a random point in the
 * upper half — so failed jobs spread out instead of returning in lockstep.
 */
export function backoffDelay(attempt: number, opts: { baseMs: number; capMs: number }, random: () => number = Math.random): number {
  const exp = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** A job as services and pages see it: camelCase, JSON parsed, booleans as booleans. */
export interface JobRecord {
  id: string;
  orgId: string | null;
  type: string;
  payload: unknown;
  status: JobStatus;
  priority: number;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  leaseUntil: string | null;
  lockedBy: string | null;
  heartbeatAt: string | null;
  cancelRequested: boolean;
  lastError: string | null;
  progress: JobProgress | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** Converts a row from either driver into a `JobRecord`. */
export function toJobRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    type: row.type,
    payload: JSON.parse(row.payload),
    status: row.status,
    priority: Number(row.priority),
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAt: row.run_at,
    leaseUntil: row.lease_until,
    lockedBy: row.locked_by,
    heartbeatAt: row.heartbeat_at,
    cancelRequested: Number(row.cancel_requested) === 1,
    lastError: row.last_error,
    progress: row.progress ? (JSON.parse(row.progress) as JobProgress) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/** What to enqueue. Payloads carry ids, never blobs. */
export interface EnqueueInput<P = unknown> {
  type: string;
  payload: P;
  /** The tenant the job works for (null for system jobs). */
  orgId?: string | null;
  /** Higher runs first; defaults to the definition's priority, else 0. */
  priority?: number;
  /** Not before this time (default: now). */
  runAt?: Date;
  /** Overrides the definition's `maxAttempts`. */
  maxAttempts?: number;
  /** A caller-chosen id (e.g. generated earlier to link the job from another row). */
  id?: string;
}

/** Enqueues and manages jobs; every method takes the db (or transaction) to run on. */
export interface JobQueue {
  /**
   * Inserts a queued job through `db`: pass the transaction that writes the data the job
   * belongs to, so both commit or neither does. Validates the payload against the type's
   * schema when the type is registered (AppError `validation_failed` otherwise).
   */
  enqueue<P>(db: Kysely<DB>, input: EnqueueInput<P>): Promise<JobRecord>;
  /** The job, or undefined; with `orgId`, only that org's job (another org's id → undefined). */
  find(db: Kysely<DB>, id: string, opts?: { orgId?: string | null }): Promise<JobRecord | undefined>;
  /** Newest first. */
  list(db: Kysely<DB>, filter?: ListJobsFilter): Promise<JobRecord[]>;
  /**
   * Cancels: a queued job becomes `cancelled` now; a running job is flagged and its
   * handler's signal fires at the runner's next heartbeat. Returns the status after the
   * request; AppError `not_found` when there is no such job (in that org).
   */
  cancel(db: Kysely<DB>, id: string, opts?: { orgId?: string | null }): Promise<JobStatus>;
  /** Re-queues a failed or cancelled job with fresh attempts; false if it was in another state. */
  retry(db: Kysely<DB>, id: string, opts?: { orgId?: string | null }): Promise<boolean>;
  /** Deletes jobs finished (default: succeeded) before `before`; returns how many. */
  purge(db: Kysely<DB>, before: Date, statuses?: JobStatus[]): Promise<number>;
}

/**
 * Builds the queue API on the registry of job types: unknown types are rejected and
 * payloads validated at enqueue, where the caller can still report the mistake, and the
 * definition's `maxAttempts` and `priority` become the row's defaults.
 */
export function createJobQueue(opts: { registry: JobRegistry; clock?: Clock }): JobQueue {
  const clock = opts.clock ?? systemClock;
  const registry = opts.registry;
  return {
    async enqueue(db, input) {
      const def = registry.get(input.type);
      if (!def) throw new AppError('bad_request', `Unknown job type ${input.type}`);
      let payload: unknown = input.payload;
      if (def.schema) {
        try {
          payload = def.schema.parse(input.payload);
        } catch (err) {
          throw new AppError('validation_failed', `Invalid payload for job ${input.type}`, { cause: err, details: (err as { issues?: unknown }).issues });
        }
      }
      const now = iso(clock.now());
      const maxAttempts = input.maxAttempts ?? def.maxAttempts ?? JOB_DEFAULTS.maxAttempts;
      if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) throw new AppError('bad_request', 'maxAttempts must be a positive integer');
      const row: JobRow = {
        id: input.id ?? newId(),
        org_id: input.orgId ?? null,
        type: input.type,
        payload: JSON.stringify(payload ?? null),
        status: 'queued',
        priority: input.priority ?? def.priority ?? JOB_DEFAULTS.priority,
        attempts: 0,
        max_attempts: maxAttempts,
        run_at: input.runAt ? iso(input.runAt) : now,
        lease_until: null,
        locked_by: null,
        heartbeat_at: null,
        cancel_requested: 0,
        last_error: null,
        progress: null,
        created_at: now,
        updated_at: now,
        finished_at: null,
      };
      await insertJob(db, row);
      return toJobRecord(row);
    },
    async find(db, id, o = {}) {
      const row = await findJobRow(db, id, o.orgId);
      return row && toJobRecord(row);
    },
    async list(db, filter) {
      return (await listJobRows(db, filter)).map(toJobRecord);
    },
    async cancel(db, id, o = {}) {
      const status = await requestCancel(db, id, iso(clock.now()), o.orgId);
      if (!status) throw new AppError('not_found', 'Job not found');
      return status;
    },
    async retry(db, id, o = {}) {
      return requeueFinished(db, id, iso(clock.now()), o.orgId);
    },
    async purge(db, before, statuses) {
      return deleteFinishedJobs(db, iso(before), statuses);
    },
  };
}
