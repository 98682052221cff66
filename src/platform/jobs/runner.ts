import os from 'node:os';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Dialect } from '../db/db';
import type { DB } from '../db/schema';
import { type Clock, iso, systemClock } from '../../shared/clock';
import { newId } from '../../shared/ids';
import {
  claimJobs,
  fencedTransaction,
  heartbeatJobs,
  type JobFence,
  type JobRow,
  LeaseLostError,
  settleJob,
  sweepExpiredJobs,
  writeProgress,
} from './job.repository';
import { backoffDelay, PermanentJobError } from './queue';
import { JOB_DEFAULTS, type JobContext, type JobDefinition, type JobRegistry } from './registry';

/** Why a handler's signal fired. */
export type JobAbortReason = 'cancelled' | 'timeout' | 'lease_lost' | 'shutdown';

/** The `signal.reason` a handler sees: `signal.throwIfAborted()` throws it. */
export class JobAbortedError extends Error {
  constructor(readonly reason: JobAbortReason, detail: string) {
    super(detail);
    this.name = 'JobAbortedError';
  }
}

export interface JobRunnerOptions {
  db: Kysely<DB>;
  dialect: Dialect;
  registry: JobRegistry;
  log: Logger;
  clock?: Clock;
  /** Identifies this runner in `locked_by` (default `host:pid:random`). */
  id?: string;
  /** Only these types (default: every registered type). */
  types?: string[];
  /** How often an idle runner looks for work (default 1 s; `wake()` skips the wait). */
  pollIntervalMs?: number;
  /** How long a claim lasts without a heartbeat (default 30 s). */
  leaseMs?: number;
  /** How often leases are extended (default leaseMs / 3). */
  heartbeatMs?: number;
  /** How often expired leases are swept (default leaseMs). */
  sweepIntervalMs?: number;
  /** Cap on jobs running at once across all types (default: sum of per-type limits). */
  concurrency?: number;
  /**
   * After a handler's signal fires, how long to wait for it to settle before recording
   * the outcome without it (default 5 s). A handler that ignores its signal keeps running
   * detached, but its fenced writes can no longer commit.
   */
  abortGraceMs?: number;
  /** Randomness for retry jitter (tests pin it). */
  random?: () => number;
}

interface ActiveJob {
  key: string;
  id: string;
  type: string;
  attempt: number;
  controller: AbortController;
  abortReason?: JobAbortReason;
  /** The handler has settled (or was abandoned); late aborts are ignored. */
  finished: boolean;
  /** `ctx.complete` committed the job's success. */
  completed: boolean;
  done?: Promise<void>;
}

type Outcome = { ok: true } | { ok: false; err: unknown };

/**
 * Claims and runs jobs. One per process; start it in the composition root and
 * `await stop()` on SIGTERM (it stops claiming, lets running jobs finish until the
 * deadline, then aborts them and hands their jobs back to the queue).
 *
 * No database transaction is held while a handler runs: a claim, each heartbeat, each
 * progress write and the final state switch are separate short statements, each guarded
 * by the job's expected status, owner and attempt.
 */
export class JobRunner {
  readonly id: string;
  private readonly db: Kysely<DB>;
  private readonly dialect: Dialect;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly defs: JobDefinition[];
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly sweepIntervalMs: number;
  private readonly concurrency: number;
  private readonly abortGraceMs: number;
  private readonly random: () => number;

  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private readonly active = new Map<string, ActiveJob>();
  private readonly perType = new Map<string, number>();
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private tickAgain = false;
  private heartbeating = false;
  private rotation = 0;
  private stopping: Promise<void> | undefined;

  constructor(opts: JobRunnerOptions) {
    this.db = opts.db;
    this.dialect = opts.dialect;
    this.clock = opts.clock ?? systemClock;
    this.id = opts.id ?? `${os.hostname()}:${process.pid}:${newId(6)}`;
    this.log = opts.log.child({ runner: this.id });
    const all = opts.registry.list();
    this.defs = opts.types ? all.filter((d) => opts.types!.includes(d.name)) : all;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.heartbeatMs = opts.heartbeatMs ?? Math.max(10, Math.floor(this.leaseMs / 3));
    this.sweepIntervalMs = opts.sweepIntervalMs ?? this.leaseMs;
    this.concurrency = opts.concurrency ?? this.defs.reduce((n, d) => n + (d.concurrency ?? JOB_DEFAULTS.concurrency), 0);
    this.abortGraceMs = opts.abortGraceMs ?? 5000;
    this.random = opts.random ?? Math.random;
    if (this.heartbeatMs >= this.leaseMs) throw new Error('heartbeatMs must be shorter than leaseMs');
  }

  /** Jobs this runner is running now. */
  get activeCount(): number {
    return this.active.size;
  }

  /** Starts claiming, heartbeating and sweeping. Sweeps once at once, to recover after a crash. */
  start(): void {
    if (this.state !== 'idle') throw new Error(`Job runner is ${this.state}`);
    this.state = 'running';
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.sweepTimer = setInterval(() => void this.sweep().catch((err) => this.log.error({ err }, 'job sweep failed')), this.sweepIntervalMs);
    void this.sweep()
      .catch((err) => this.log.error({ err }, 'job sweep failed'))
      .finally(() => this.wake());
    this.log.info({ types: this.defs.map((d) => d.name), concurrency: this.concurrency }, 'job runner started');
  }

  /** Looks for work now instead of at the next poll (call after committing an enqueue). */
  wake(): void {
    this.schedule(0);
  }

  /**
   * Graceful drain: stops claiming, waits up to `timeoutMs` for running jobs, then aborts
   * the rest (reason `shutdown`), which go back to the queue without using an attempt.
   */
  stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.state === 'idle' || this.state === 'stopped') {
      this.state = 'stopped';
      return Promise.resolve();
    }
    this.stopping ??= this.drain(opts.timeoutMs ?? 30_000);
    return this.stopping;
  }

  /**
   * Re-queues (or dead-letters) jobs whose lease expired. Runs on a timer; public so a
   * maintenance command or a test can run it. Returns how many jobs it moved.
   */
  async sweep(): Promise<number> {
    const swept = await sweepExpiredJobs(this.db, iso(this.clock.now()));
    for (const j of swept) {
      this.log.warn({ jobId: j.id, job: j.type, orgId: j.org_id, attempt: j.attempts, status: j.status }, 'job lease expired; worker lost');
    }
    if (swept.some((j) => j.status === 'queued')) this.wake();
    return swept.length;
  }

  private async drain(timeoutMs: number): Promise<void> {
    this.state = 'stopping';
    clearTimeout(this.pollTimer);
    clearInterval(this.sweepTimer);
    await this.ticking;
    this.log.info({ running: this.active.size }, 'job runner draining');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.allDone(), deadline]);
    clearTimeout(timer);
    if (this.active.size > 0) {
      this.log.warn({ running: this.active.size }, 'drain deadline passed; aborting running jobs');
      for (const entry of this.active.values()) this.abort(entry, 'shutdown', 'The server is shutting down');
      await this.allDone();
    }
    clearInterval(this.heartbeatTimer);
    this.state = 'stopped';
    this.log.info('job runner stopped');
  }

  private allDone(): Promise<unknown> {
    return Promise.allSettled([...this.active.values()].map((e) => e.done));
  }

  private schedule(delayMs: number): void {
    if (this.state !== 'running') return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    let more = false;
    this.ticking = this.claimRound()
      .then((m) => {
        more = m;
      })
      .catch((err) => this.log.error({ err }, 'job claim failed'));
    await this.ticking;
    this.ticking = undefined;
    const again = more || this.tickAgain;
    this.tickAgain = false;
    this.schedule(again ? 0 : this.pollIntervalMs);
  }

  /** One pass over the types with free slots; true when some type may have more work ready. */
  private async claimRound(): Promise<boolean> {
    let more = false;
    const n = this.defs.length;
    const start = this.rotation++ % Math.max(1, n);
    for (let i = 0; i < n; i++) {
      if (this.state !== 'running') break;
      const def = this.defs[(start + i) % n];
      const free = Math.min((def.concurrency ?? JOB_DEFAULTS.concurrency) - (this.perType.get(def.name) ?? 0), this.concurrency - this.active.size);
      if (free <= 0) continue;
      const now = this.clock.now();
      const rows = await claimJobs(this.db, this.dialect, {
        type: def.name,
        limit: free,
        lockedBy: this.id,
        now: iso(now),
        leaseUntil: iso(new Date(now.getTime() + this.leaseMs)),
      });
      for (const row of rows) this.launch(def, row);
      if (rows.length === free) more = true;
    }
    return more;
  }

  private launch(def: JobDefinition, row: JobRow): void {
    const attempt = Number(row.attempts);
    const entry: ActiveJob = { key: `${row.id}#${attempt}`, id: row.id, type: def.name, attempt, controller: new AbortController(), finished: false, completed: false };
    this.active.set(entry.key, entry);
    this.perType.set(def.name, (this.perType.get(def.name) ?? 0) + 1);
    entry.done = this.execute(def, row, entry)
      .catch((err) => this.log.error({ err, jobId: row.id }, 'job bookkeeping failed'))
      .finally(() => {
        this.active.delete(entry.key);
        this.perType.set(def.name, (this.perType.get(def.name) ?? 1) - 1);
        this.wake();
      });
  }

  private abort(entry: ActiveJob, reason: JobAbortReason, detail: string): void {
    if (entry.finished || entry.controller.signal.aborted) return;
    entry.abortReason = reason;
    entry.controller.abort(new JobAbortedError(reason, detail));
  }

  private fence(row: JobRow, entry: ActiveJob): JobFence {
    return { id: row.id, lockedBy: this.id, attempt: entry.attempt };
  }

  private async execute(def: JobDefinition, row: JobRow, entry: ActiveJob): Promise<void> {
    const maxAttempts = Number(row.max_attempts);
    const log = this.log.child({ jobId: row.id, job: def.name, orgId: row.org_id, attempt: entry.attempt });
    const timeoutMs = def.timeoutMs ?? JOB_DEFAULTS.timeoutMs;
    const timer = setTimeout(() => this.abort(entry, 'timeout', `Timed out after ${timeoutMs} ms`), timeoutMs);
    const fence = this.fence(row, entry);
    const started = Date.now();
    let outcome: Outcome;
    try {
      let payload: unknown;
      try {
        payload = JSON.parse(row.payload);
        if (def.schema) payload = def.schema.parse(payload);
      } catch (err) {
        throw new PermanentJobError(`Invalid payload: ${(err as Error).message}`, { cause: err });
      }
      const ctx: JobContext = {
        jobId: row.id,
        type: def.name,
        orgId: row.org_id,
        payload,
        attempt: entry.attempt,
        maxAttempts,
        signal: entry.controller.signal,
        log,
        progress: async (p) => {
          const held = await writeProgress(this.db, fence, JSON.stringify(p), iso(this.clock.now())).catch((err) => {
            log.warn({ err }, 'job progress not recorded');
            return true;
          });
          if (!held) log.warn('job progress ignored: job no longer held');
        },
        transaction: (fn) => this.fenced(fence, false, fn),
        complete: async (fn) => {
          const result = await this.fenced(fence, true, fn ?? (async () => undefined));
          entry.completed = true;
          return result;
        },
      };
      log.info('job started');
      await settleOrAbandon(Promise.resolve().then(() => def.handler(ctx)), entry.controller.signal, this.abortGraceMs);
      outcome = { ok: true };
    } catch (err) {
      outcome = { ok: false, err };
    } finally {
      entry.finished = true;
      clearTimeout(timer);
    }
    await this.record(def, row, entry, outcome, log, Date.now() - started);
  }

  private fenced<T>(fence: JobFence, complete: boolean, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    const now = this.clock.now();
    return fencedTransaction(this.db, fence, { now: iso(now), leaseUntil: iso(new Date(now.getTime() + this.leaseMs)), complete }, fn);
  }

  /** Switches the job to its next state, only if this attempt still holds it. */
  private async record(def: JobDefinition, row: JobRow, entry: ActiveJob, outcome: Outcome, log: Logger, ms: number): Promise<void> {
    const now = this.clock.now();
    const fence = this.fence(row, entry);
    const reason = entry.abortReason;
    if (entry.completed) {
      log.info({ ms }, 'job succeeded');
      return;
    }
    if (reason === 'lease_lost' || (!outcome.ok && outcome.err instanceof LeaseLostError)) {
      log.warn({ ms }, 'job lost its lease; outcome discarded (another attempt owns it)');
      return;
    }
    let held: boolean;
    if (outcome.ok) {
      held = await settleJob(this.db, fence, { status: 'succeeded', now: iso(now) });
      if (held) log.info({ ms }, 'job succeeded');
    } else if (reason === 'cancelled') {
      held = await settleJob(this.db, fence, { status: 'cancelled', now: iso(now), error: 'Cancelled while running' });
      if (held) log.info({ ms }, 'job cancelled');
    } else if (reason === 'shutdown') {
      held = await settleJob(this.db, fence, { status: 'released', now: iso(now) });
      if (held) log.info({ ms }, 'job handed back to the queue at shutdown');
    } else {
      const err = reason === 'timeout' ? entry.controller.signal.reason : outcome.err;
      const error = describeError(err);
      const maxAttempts = Number(row.max_attempts);
      if (err instanceof PermanentJobError || entry.attempt >= maxAttempts) {
        held = await settleJob(this.db, fence, { status: 'failed', now: iso(now), error });
        if (held) log.error({ err, ms, permanent: err instanceof PermanentJobError }, 'job failed');
      } else {
        const b = { ...JOB_DEFAULTS.backoff, ...def.backoff };
        const delay = backoffDelay(entry.attempt, b, this.random);
        held = await settleJob(this.db, fence, { status: 'queued', now: iso(now), runAt: iso(new Date(now.getTime() + delay)), error });
        if (held) log.warn({ err, ms, retryInMs: delay }, 'job attempt failed; will retry');
      }
    }
    if (!held) log.warn({ ms }, 'job no longer held; outcome discarded');
  }

  /** Extends leases; aborts handlers whose job was cancelled or taken away. */
  private async heartbeat(): Promise<void> {
    if (this.heartbeating || this.active.size === 0) return;
    this.heartbeating = true;
    try {
      const entries = [...this.active.values()].filter((e) => !e.finished);
      const now = this.clock.now();
      const rows = await heartbeatJobs(this.db, {
        ids: [...new Set(entries.map((e) => e.id))],
        lockedBy: this.id,
        now: iso(now),
        leaseUntil: iso(new Date(now.getTime() + this.leaseMs)),
      });
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const entry of entries) {
        const r = byId.get(entry.id);
        if (entry.finished) continue;
        if (!r || Number(r.attempts) !== entry.attempt) this.abort(entry, 'lease_lost', 'The job is no longer held by this runner');
        else if (Number(r.cancel_requested) === 1) this.abort(entry, 'cancelled', 'The job was cancelled');
      }
    } catch (err) {
      this.log.warn({ err }, 'job heartbeat failed');
    } finally {
      this.heartbeating = false;
    }
  }
}

/**
 * Resolves or rejects with the handler, unless the signal fires and the handler has not
 * settled `graceMs` later: then rejects with the abort reason and leaves it running.
 */
function settleOrAbandon<T>(p: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(signal.reason), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    p.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e) => {
        cleanup();
        reject(e);
      },
    );
  });
}

/** The error as kept in `last_error`: name, message and causes, bounded. */
function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (e instanceof Error) {
      parts.push(`${e.name}: ${e.message}`);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  const text = parts.join(' ← caused by ') || 'Unknown error';
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
