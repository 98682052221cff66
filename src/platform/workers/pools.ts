/**
 * Piscina pools for the CPU-heavy document work, created once at start-up: `pdf` (parse,
 * render, image decoding), `ocr` (PP-OCRv4 models and tesseract) and `onnx` (sentence
 * embeddings). Every task runs under a time limit and an optional abort signal; every
 * worker has a V8 heap limit. A task that times out, runs out of memory or crashes its
 * worker rejects with a `WorkerTaskError`; Piscina replaces the worker and the pool keeps
 * serving.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { EmbedInput, EmbedResult } from '../embeddings/embed.task';
import type { DecodeImageInput, DecodeImageResult } from './tasks/image.task';
import type { OcrInput, OcrResult } from './tasks/ocr.task';
import type { ParsePdfInput, PdfParseResult } from './tasks/pdf.task';
import type { RenderPdfInput, RenderPdfResult } from './tasks/render.task';
import { ownedBytes } from './tasks/transfer';

/** The pools Folio runs. */
export type PoolName = 'pdf' | 'ocr' | 'onnx';

/** Sizing and safety limits of one pool. */
export interface PoolConfig {
  threads: number;
  /** Default time limit of a task, in milliseconds. */
  taskTimeoutMs: number;
  /** V8 old-generation heap limit per worker. Pixel buffers live outside it and are bounded by the task limits. */
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb: number;
  /** Tasks waiting beyond this are refused at once (back-pressure for the job runner). */
  maxQueue: number;
  /** Idle workers are stopped after this long (their engines reload on next use). */
  idleTimeoutMs: number;
}

/** Per-call options of every task method. */
export interface RunOptions {
  signal?: AbortSignal;
  /** Overrides the pool's default time limit. */
  timeoutMs?: number;
}

/** Why a task did not produce a result. */
export type WorkerErrorCode = 'timeout' | 'aborted' | 'out_of_memory' | 'worker_crashed' | 'queue_full' | 'pool_closed';

/** A task that ended without a result; `message` is safe to show to users. */
export class WorkerTaskError extends Error {
  readonly code: WorkerErrorCode;
  constructor(code: WorkerErrorCode, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'WorkerTaskError';
    this.code = code;
  }
}

const cores = Math.max(1, availableParallelism());

/** Defaults: every pool may use every core; the job runner bounds how much it submits. */
export const DEFAULT_POOL_CONFIG: Readonly<Record<PoolName, PoolConfig>> = Object.freeze({
  pdf: { threads: cores, taskTimeoutMs: 60_000, maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 64, maxQueue: 256, idleTimeoutMs: 60_000 },
  ocr: { threads: cores, taskTimeoutMs: 180_000, maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 64, maxQueue: 256, idleTimeoutMs: 300_000 },
  onnx: { threads: cores, taskTimeoutMs: 120_000, maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 64, maxQueue: 256, idleTimeoutMs: 300_000 },
});

const task = (file: string) => pathToFileURL(fileURLToPath(new URL(`./tasks/${file}`, import.meta.url))).href;
const TASKS = {
  parsePdf: { pool: 'pdf', file: task('pdf.task.ts') },
  renderPdfPages: { pool: 'pdf', file: task('render.task.ts') },
  decodeImage: { pool: 'pdf', file: task('image.task.ts') },
  recognize: { pool: 'ocr', file: task('ocr.task.ts') },
  embed: { pool: 'onnx', file: pathToFileURL(fileURLToPath(new URL('../embeddings/embed.task.ts', import.meta.url))).href },
} as const;

/** Flags that let worker threads load TypeScript through tsx, under node and under vitest. */
function workerExecArgv(): string[] {
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', loader];
}

/** The application's worker pools. Create once, share, `close()` on shutdown. */
export class WorkerPools {
  readonly config: Readonly<Record<PoolName, PoolConfig>>;
  readonly #pools: Record<PoolName, Piscina>;
  #closed = false;

  constructor(config: Partial<Record<PoolName, Partial<PoolConfig>>> = {}) {
    this.config = {
      pdf: { ...DEFAULT_POOL_CONFIG.pdf, ...config.pdf },
      ocr: { ...DEFAULT_POOL_CONFIG.ocr, ...config.ocr },
      onnx: { ...DEFAULT_POOL_CONFIG.onnx, ...config.onnx },
    };
    const execArgv = workerExecArgv();
    const make = (name: PoolName) => {
      const c = this.config[name];
      return new Piscina({
        name,
        minThreads: 0,
        maxThreads: c.threads,
        maxQueue: c.maxQueue,
        idleTimeout: c.idleTimeoutMs,
        execArgv,
        resourceLimits: { maxOldGenerationSizeMb: c.maxOldGenerationSizeMb, maxYoungGenerationSizeMb: c.maxYoungGenerationSizeMb },
      });
    };
    this.#pools = { pdf: make('pdf'), ocr: make('ocr'), onnx: make('onnx') };
  }

  /** Parses a PDF: page count, encryption, per-page text with word boxes. Transfers `input.bytes`. */
  parsePdf(input: ParsePdfInput, opts?: RunOptions): Promise<PdfParseResult> {
    const bytes = ownedBytes(input.bytes);
    return this.#task('parsePdf', { ...input, bytes }, [bytes.buffer as ArrayBuffer], opts);
  }

  /** Renders PDF pages to gray images for OCR. Transfers `input.bytes`. */
  renderPdfPages(input: RenderPdfInput, opts?: RunOptions): Promise<RenderPdfResult> {
    const bytes = ownedBytes(input.bytes);
    return this.#task('renderPdfPages', { ...input, bytes }, [bytes.buffer as ArrayBuffer], opts);
  }

  /** Decodes a PNG, JPEG or TIFF (all pages) into gray images. Transfers `input.bytes`. */
  decodeImage(input: DecodeImageInput, opts?: RunOptions): Promise<DecodeImageResult> {
    const bytes = ownedBytes(input.bytes);
    return this.#task('decodeImage', { ...input, bytes }, [bytes.buffer as ArrayBuffer], opts);
  }

  /** OCR of one gray page: words, lines, boxes, confidences, applied rotation. Transfers the pixels. */
  recognize(input: OcrInput, opts?: RunOptions): Promise<OcrResult> {
    const data = ownedBytes(input.image.data);
    return this.#task('recognize', { ...input, image: { ...input.image, data } }, [data.buffer as ArrayBuffer], opts);
  }

  /** Unit vectors of texts made by an embedding model (see `resolveModel`), concatenated. */
  embed(input: EmbedInput, opts?: RunOptions): Promise<EmbedResult> {
    return this.#task('embed', input, [], opts);
  }

  #task<R>(name: keyof typeof TASKS, input: unknown, transferList: ArrayBuffer[], opts?: RunOptions): Promise<R> {
    const { pool, file } = TASKS[name];
    return this.run<R>(pool, file, name, input, transferList, opts);
  }

  /** Queue and thread figures per pool, for metrics and readiness. */
  stats(): Record<PoolName, { threads: number; queued: number; completed: number; utilization: number }> {
    const one = (p: Piscina) => ({ threads: p.threads.length, queued: p.queueSize, completed: p.completed, utilization: p.utilization });
    return { pdf: one(this.#pools.pdf), ocr: one(this.#pools.ocr), onnx: one(this.#pools.onnx) };
  }

  /** Thread ids of the live workers (the benchmark samples their memory). */
  threadIds(): number[] {
    return [...this.#pools.pdf.threads, ...this.#pools.ocr.threads, ...this.#pools.onnx.threads].map((t) => t.threadId);
  }

  /** Waits for running tasks, refuses new ones, and stops every worker. */
  async close(opts: { force?: boolean } = {}): Promise<void> {
    this.#closed = true;
    await Promise.all(Object.values(this.#pools).map((p) => p.close({ force: opts.force ?? false })));
  }

  /**
   * Runs export `name` of the task module at `fileUrl` on a pool, moving `transferList`
   * to the worker. The typed methods above are the usual entry points; this one serves
   * new task modules.
   */
  async run<R>(pool: PoolName, fileUrl: string, name: string, input: unknown, transferList: ArrayBuffer[] = [], opts: RunOptions = {}): Promise<R> {
    if (this.#closed) throw new WorkerTaskError('pool_closed', 'The worker pools are shut down.');
    const limitMs = opts.timeoutMs ?? this.config[pool].taskTimeoutMs;
    const timeout = AbortSignal.timeout(limitMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    try {
      return await this.#pools[pool].run(input, { filename: fileUrl, name, transferList, signal });
    } catch (err) {
      throw toWorkerError(err, name, limitMs, timeout.aborted);
    }
  }
}

function toWorkerError(err: unknown, task: string, limitMs: number, timedOut: boolean): WorkerTaskError {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'AbortError') {
    return timedOut
      ? new WorkerTaskError('timeout', `The ${task} task took longer than ${Math.round(limitMs / 1000)} s and was stopped.`, err)
      : new WorkerTaskError('aborted', `The ${task} task was cancelled.`, err);
  }
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new WorkerTaskError('out_of_memory', `The ${task} task ran out of memory and was stopped.`, err);
  }
  if (typeof e?.message === 'string' && e.message.includes('Task queue is at limit')) {
    return new WorkerTaskError('queue_full', 'Too many documents are being processed; try again shortly.', err);
  }
  if (typeof e?.message === 'string' && /pool is closed|terminated/i.test(e.message)) {
    return new WorkerTaskError('pool_closed', 'The worker pools are shut down.', err);
  }
  return new WorkerTaskError('worker_crashed', `The ${task} task failed unexpectedly: ${e?.message ?? String(err)}`, err);
}
