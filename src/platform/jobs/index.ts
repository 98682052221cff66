/**
 * Background jobs in the application database: enqueue in the same transaction as the
 * data, claim atomically, lease with a heartbeat, retry with backoff, dead-letter as
 * `failed`, sweep expired leases. See ARCHITECTURE.md § Job queue.
 */

/** Job definitions as data (`defineJob`), the handler context, and the registry of known types. */
export { createJobRegistry, defineJob, JOB_DEFAULTS } from './registry';
export type { JobContext, JobDefinition, JobProgress, JobRegistry, JobSchema } from './registry';

/** The queue API services use (enqueue in a transaction, find, list, cancel, retry, purge). */
export { backoffDelay, createJobQueue, PermanentJobError, toJobRecord } from './queue';
export type { EnqueueInput, JobQueue, JobRecord } from './queue';

/** The runner a process starts once: claims, runs, heartbeats, sweeps, drains on stop. */
export { JobAbortedError, JobRunner } from './runner';
export type { JobAbortReason, JobRunnerOptions } from './runner';

/** Thrown by `ctx.transaction`/`ctx.complete` when the attempt no longer holds its job. */
export { LeaseLostError } from './job.repository';
export type { ListJobsFilter } from './job.repository';

/** Stored states of a job: queued → running → succeeded | failed (dead letter) | cancelled. */
export type { JobStatus } from '../db/schema';
