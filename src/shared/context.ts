import type { Config } from '../config';
import type { Db, Dialect } from '../platform/db/db';
import type { JobQueue } from '../platform/jobs';
import type { Logger } from '../platform/log/logger';
import type { SearchRuntime } from '../platform/search/runtime';
import type { BlobStore } from '../platform/storage';
import type { WorkerPools } from '../platform/workers/pools';
import type { Clock } from './clock';

/** Sends mail; absent when no SMTP server is configured. */
export interface Mailer {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
}

/** What services need, built once in the composition root (or by a test). */
export interface AppContext {
  db: Db;
  dialect: Dialect;
  config: Config;
  clock: Clock;
  log: Logger;
  mailer: Mailer | null;
  /** Where document files live. */
  blobs: BlobStore;
  /** Where background work is enqueued (inside the transaction of the data it belongs to). */
  jobs: JobQueue;
  /** Tells this process's job runner that work was just committed (skips its poll delay). */
  wakeJobs(): void;
  /** The CPU worker pools, started on first use. */
  workers(): WorkerPools;
  /** The embedding model and the vector index. */
  search: SearchRuntime;
}

/** Where a request came from, recorded with audit events and sessions. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

/** A service call's context: the app's dependencies plus who is asking from where. */
export interface Ctx extends AppContext {
  meta: RequestMeta;
}

export const NO_META: RequestMeta = { ip: null, userAgent: null };
