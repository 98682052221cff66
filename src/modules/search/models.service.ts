/**
 * Which embedding model serves search, and the background re-embedding when it changes.
 *
 * Vectors are stored under a model id, `<key>@<first 12 hex of the model file's sha256>`,
 * so replacing a model's file is a change of model too. The configured model serves search
 * once every passage has its vector (`ready`); until then the previous ready model keeps
 * serving (its files must still be there), and the `search.reindex` job fills the gaps.
 */
import { z } from 'zod';
import type { EmbeddingModelInfo } from '../../platform/embeddings/types';
import { defineJob, type JobContext } from '../../platform/jobs';
import type { AppContext } from '../../shared/context';
import { embeddingText } from './chunker';
import * as repo from './search.repository';

export const REINDEX_JOB = 'search.reindex';

export function modelId(info: EmbeddingModelInfo): string {
  return `${info.key}@${info.sha256.slice(0, 12)}`;
}

/** The model that answers semantic queries now: its id and files, or null (keyword only). */
export async function activeModel(ctx: Pick<AppContext, 'db' | 'search'>): Promise<{ id: string; info: EmbeddingModelInfo } | null> {
  const configured = ctx.search.model();
  const rows = await repo.listModelRows(ctx.db);
  const configuredId = configured ? modelId(configured) : null;
  if (configured && rows.some((r) => r.key === configuredId && r.status === 'ready')) return { id: configuredId!, info: configured };
  for (const row of rows.filter((r) => r.status === 'ready' && r.key !== configuredId)) {
    const info = ctx.search.modelByKey(row.key.slice(0, row.key.lastIndexOf('@')));
    if (info && modelId(info) === row.key) return { id: row.key, info };
  }
  // Nothing older can serve: the configured model answers over the vectors it has made so far.
  return configured ? { id: configuredId!, info: configured } : null;
}

/**
 * At start: records the configured model; when passages exist without its vectors, marks
 * it `building` and queues the re-embedding. Returns the model's status.
 */
export async function syncEmbeddingModel(ctx: AppContext): Promise<'ready' | 'building' | 'missing'> {
  const info = ctx.search.model();
  if (!info) return 'missing';
  const id = modelId(info);
  const row = await repo.findModel(ctx.db, id);
  if (row?.status === 'ready') return 'ready';
  const now = ctx.clock.now().toISOString();
  const empty = (await repo.countChunks(ctx.db)) === 0;
  if (empty) {
    await repo.upsertModel(ctx.db, { key: id, dims: info.dims, sha256: info.sha256, status: 'ready', created_at: row?.created_at ?? now, ready_at: now });
    await retireOthers(ctx, id);
    return 'ready';
  }
  await startReindex(ctx);
  return 'building';
}

/** Queues the re-embedding of every passage lacking a vector of the configured model (`folio reindex`). */
export async function startReindex(ctx: AppContext): Promise<{ model: string; jobId: string | null }> {
  const info = ctx.search.model();
  if (!info) throw new Error(`The embedding model ${ctx.config.search.embeddingModel} is not installed; nothing to index with.`);
  const id = modelId(info);
  const now = ctx.clock.now().toISOString();
  const row = await repo.findModel(ctx.db, id);
  let jobId: string | null = null;
  await ctx.db.transaction().execute(async (trx) => {
    if (row?.status !== 'ready') await repo.upsertModel(trx, { key: id, dims: info.dims, sha256: info.sha256, status: 'building', created_at: row?.created_at ?? now, ready_at: null });
    jobId = (await repo.pendingJob(trx, REINDEX_JOB, JSON.stringify({ model: id }))) ?? (await ctx.jobs.enqueue(trx, { type: REINDEX_JOB, payload: { model: id } })).id;
  });
  ctx.wakeJobs();
  return { model: id, jobId };
}

async function retireOthers(ctx: Pick<AppContext, 'db'>, keep: string) {
  for (const r of await repo.listModelRows(ctx.db)) {
    if (r.key !== keep && r.status !== 'retired') await repo.upsertModel(ctx.db, { ...r, status: 'retired' });
  }
}

const ZPayload = z.object({ model: z.string() });
const BATCH = 64;

/** The `search.reindex` job: embeds what lacks a vector, then switches search to the model. */
export function searchJobs(deps: { ctx: () => AppContext }) {
  return [
    defineJob<z.infer<typeof ZPayload>>({
      name: REINDEX_JOB,
      schema: ZPayload,
      maxAttempts: 5,
      timeoutMs: 6 * 60 * 60_000,
      concurrency: 1,
      backoff: { baseMs: 10_000, capMs: 300_000 },
      handler: (job) => reindex(deps.ctx(), job),
    }),
  ];
}

async function reindex(ctx: AppContext, job: JobContext<z.infer<typeof ZPayload>>): Promise<void> {
  const info = ctx.search.model();
  if (!info || modelId(info) !== job.payload.model) {
    job.log.info({ model: job.payload.model }, 'the configured model changed since this re-embedding was queued; nothing to do');
    await job.complete();
    return;
  }
  const id = job.payload.model;
  const total = await repo.countChunks(ctx.db);
  let after = 0;
  let done = 0;
  for (;;) {
    job.signal.throwIfAborted();
    const rows = await repo.chunksMissingVector(ctx.db, id, after, BATCH);
    if (!rows.length) break;
    const vectors = await ctx.search.embed(rows.map((r) => embeddingText(r)), 'passage', info);
    await job.transaction(async (trx) => {
      // A passage deleted meanwhile is skipped (its insert would break the foreign key).
      const alive = new Set((await trx.selectFrom('chunk').select('id').where('id', 'in', rows.map((r) => r.id)).execute()).map((r) => Number(r.id)));
      await repo.insertVectors(trx, rows.flatMap((r, i) => (alive.has(Number(r.id)) ? [{ chunk_id: Number(r.id), model: id, org_id: r.org_id, vector: new Uint8Array(vectors[i].buffer.slice(0)) }] : [])));
    });
    after = Number(rows[rows.length - 1].id);
    done += rows.length;
    await job.progress({ step: 'embed', percent: Math.min(99, Math.round((done / Math.max(1, total)) * 100)) });
  }
  const now = ctx.clock.now().toISOString();
  await job.complete(async (trx) => {
    const row = await repo.findModel(trx, id);
    await repo.upsertModel(trx, { key: id, dims: info.dims, sha256: info.sha256, status: 'ready', created_at: row?.created_at ?? now, ready_at: now });
  });
  await retireOthers(ctx, id);
  // The old model's vectors leave the index in slices (search already uses the new one).
  while ((await repo.deleteOtherVectors(ctx.db, id, 500)) > 0) job.signal.throwIfAborted();
  job.log.info({ model: id, passages: done }, 'embedding model ready');
}
