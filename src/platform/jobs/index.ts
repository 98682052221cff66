/**
 * Background jobs in the application database: enqueue in the same transaction as the
 * data, claim atomically, lease with a heartbeat, retry with backoff, dead-letter as
 * `failed`, sweep expired leases. See ARCHITECTURE.md § Job queue.
 *
 * Composition root: build one registry from every module's definitions, one queue for
 * services (`createJobQueue({ registry })`), one `JobRunner` per process; `start()` it
 * after migrations and `await runner.stop()` on SIGTERM before closing the database.
 */

/** `defineJob({ name, schema, handler, maxAttempts, timeoutMs, concurrency, priority, backoff })`: a job type as data. */
export { defineJob } from './registry';
/** The set of job types a process knows; throws on duplicate names or invalid limits. */
export { createJobRegistry } from './registry';
/** Defaults for what a definition leaves out (attempts, timeout, concurrency, priority, backoff). */
export { JOB_DEFAULTS } from './registry';
/** Definition, handler context (payload, signal, progress, log, transaction, complete), registry. */
export type { JobContext, JobDefinition, JobProgress, JobRegistry, JobSchema } from './registry';

/** The queue services use: enqueue (in the caller's transaction), find, list, cancel, retry, purge. */
export { createJobQueue } from './queue';
/** Thrown by a handler for a failure retrying cannot fix: the job goes straight to `failed`. */
export { PermanentJobError } from './queue';
/** Retry delay: `baseMs * 2^(attempt-1)` with equal jitter, capped. */
export { backoffDelay } from './queue';
/** Converts a raw `job` row (either driver) into a `JobRecord`. */
export { toJobRecord } from './queue';
/** Queue API, enqueue input and the camelCase job view returned to services. */
export type { EnqueueInput, JobQueue, JobRecord } from './queue';

/** The runner a process starts once: claims, runs, heartbeats, sweeps, drains on stop. */
export { JobRunner } from './runner';
/** The `signal.reason` a handler sees: `reason` is cancelled | timeout | lease_lost | shutdown. */
export { JobAbortedError } from './runner';
/** Runner options and abort reasons. */
export type { JobAbortReason, JobRunnerOptions } from './runner';

/** Thrown by `ctx.transaction` / `ctx.complete` when the attempt no longer holds its job. */
export { LeaseLostError } from './job.repository';
/** Filters for `queue.list` (org, status, type, limit). */
export type { ListJobsFilter } from './job.repository';

/** Stored states of a job: queued → running → succeeded | failed (dead letter) | cancelled. */
export type { JobStatus } from '../db/schema';
