import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import type { DB } from '../db/schema';

/** A handler's report of where it is: shown on progress pages and kept on the job row. */
export interface JobProgress {
  step: string;
  /** 0–100. */
  percent: number;
  message?: string;
}

/** Anything with zod's `parse`: validates and types a payload (throws when invalid). */
export interface JobSchema<P> {
  parse(input: unknown): P;
}

/** What a handler receives for one attempt of one job. */
export interface JobContext<P = unknown> {
  jobId: string;
  /** The job's type (its definition's name). */
  type: string;
  orgId: string | null;
  /** The validated payload. */
  payload: P;
  /** 1 on the first attempt. */
  attempt: number;
  maxAttempts: number;
  /**
   * Fires when the handler must stop: the job was cancelled, timed out, lost its lease,
   * or the process is shutting down. Pass it to fetch, worker pools and long loops.
   */
  signal: AbortSignal;
  /** Child logger carrying `{jobId, job, orgId, attempt}`. */
  log: Logger;
  /** Records progress on the job row (ignored once the job is no longer held). */
  progress(p: JobProgress): Promise<void>;
  /**
   * Runs `fn` in a short transaction that commits only while this attempt still holds the
   * job (throws `LeaseLostError` otherwise). Use it for writes a stale attempt must not make.
   */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /**
   * Like `transaction`, and marks the job succeeded in the same transaction: the writes
   * and the job's success commit together, exactly once. Call it last; the handler's
   * return is then only a formality.
   */
  complete<T>(fn?: (trx: Transaction<DB>) => Promise<T>): Promise<T | undefined>;
}

/** A job type, as data: its name, payload schema, handler and limits. */
export interface JobDefinition<P = any> {
  /** `domain.action`, e.g. `document.process`. */
  name: string;
  /** Validates the payload at enqueue and again before the handler runs (zod schema). */
  schema?: JobSchema<P>;
  handler(ctx: JobContext<P>): Promise<unknown>;
  /** Attempts before the job is dead-lettered as `failed` (default 5). */
  maxAttempts?: number;
  /** Time limit of one attempt; the signal fires when it passes (default 15 minutes). */
  timeoutMs?: number;
  /** Jobs of this type one runner runs at once (default 1). */
  concurrency?: number;
  /** Default priority at enqueue; higher runs first (default 0). */
  priority?: number;
  /** Retry delay: `baseMs * 2^(attempt-1)` with jitter, at most `capMs`. */
  backoff?: { baseMs?: number; capMs?: number };
}

/** Identity function that types a definition's payload from its schema. */
export function defineJob<P>(def: JobDefinition<P>): JobDefinition<P> {
  return def;
}

/** The set of job types a process knows: the queue validates against it, the runner runs it. */
export interface JobRegistry {
  get(name: string): JobDefinition | undefined;
  has(name: string): boolean;
  list(): JobDefinition[];
}

/** Builds a registry; throws on duplicate names or invalid limits. */
export function createJobRegistry(defs: JobDefinition[]): JobRegistry {
  const map = new Map<string, JobDefinition>();
  for (const def of defs) {
    if (!def.name) throw new Error('Job definition without a name');
    if (map.has(def.name)) throw new Error(`Job type ${def.name} is defined twice`);
    for (const k of ['maxAttempts', 'timeoutMs', 'concurrency'] as const) {
      const v = def[k];
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new Error(`Job type ${def.name}: ${k} must be a positive integer`);
    }
    map.set(def.name, def);
  }
  return {
    get: (name) => map.get(name),
    has: (name) => map.has(name),
    list: () => [...map.values()],
  };
}

export const JOB_DEFAULTS = {
  maxAttempts: 5,
  timeoutMs: 15 * 60 * 1000,
  concurrency: 1,
  priority: 0,
  backoff: { baseMs: 5_000, capMs: 60 * 60 * 1000 },
} as const;
