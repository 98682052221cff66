import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REINDEX_JOB, searchJobs, syncEmbeddingModel } from '../../src/modules/search/models.service';
import { search } from '../../src/modules/search/search.service';
import { writeTinyBert } from '../../src/platform/embeddings/test-fixtures/tiny-bert';
import { createJobRegistry, JobRunner } from '../../src/platform/jobs';
import { createLogger } from '../../src/platform/log/logger';
import { createSearchRuntime, DEFAULT_MODELS_DIR } from '../../src/platform/search/runtime';
import { WorkerPools } from '../../src/platform/workers/pools';
import type { Ctx } from '../../src/shared/context';
import { useTestApp } from '../support/app';
import { DIALECTS } from '../support/db';
import { apiToken, buildOrg } from '../support/factories';

// A models folder with the built-in model and a small BERT-family model an administrator dropped in.
const modelsDir = mkdtempSync(path.join(tmpdir(), 'folio-models-'));
symlinkSync(path.join(DEFAULT_MODELS_DIR, 'manifest.json'), path.join(modelsDir, 'manifest.json'));
symlinkSync(path.join(DEFAULT_MODELS_DIR, 'use-lite'), path.join(modelsDir, 'use-lite'));
writeTinyBert(path.join(modelsDir, 'tiny'));
afterAll(() => rmSync(modelsDir, { recursive: true, force: true }));

for (const dialect of DIALECTS) {
  describe(`changing the embedding model (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { search: { modelsDir } } });
    let pools: WorkerPools | undefined;
    afterAll(async () => pools?.close());

    it('re-embeds every passage in the background while search keeps answering, then switches', async () => {
      const app = t();
      expect(await syncEmbeddingModel(app.ctx)).toBe('ready');
      const { org, ownerId } = await buildOrg(app.ctx);
      const token = await apiToken(app.ctx, ownerId);
      for (const [name, text] of [['paid.txt', 'The invoice total was paid.'], ['due.txt', 'A receipt: the total is due.']]) {
        const form = new FormData();
        form.append('file', new File([text], name, { type: 'text/plain' }));
        expect((await app.request('POST', `/api/v1/orgs/${org.slug}/documents`, { token, body: form })).status).toBe(201);
      }
      await app.drainJobs();
      const models = async () => (await app.ctx.db.selectFrom('chunk_vector').select('model').distinct().execute()).map((r) => r.model.split('@')[0]);
      expect(await models()).toEqual(['use-lite']);

      // The administrator configures the new model; this process now runs with it.
      const runtime = createSearchRuntime({ database: app.db, dataDir: app.ctx.config.dataDir, modelsDir, modelKey: 'tiny', pools: () => (pools ??= new WorkerPools()), log: createLogger('silent') });
      const ctx: Ctx = { ...app.ctx, search: runtime };
      const actor = { userId: ownerId, orgId: org.id, role: 'owner' as const };
      try {
        expect(await syncEmbeddingModel(ctx)).toBe('building');
        const job = await ctx.db.selectFrom('job').select(['id', 'status']).where('type', '=', REINDEX_JOB).executeTakeFirstOrThrow();
        expect(job.status).toBe('queued');

        // Before the job runs, the previous model still answers semantic queries.
        const before = await search(ctx, actor, { q: 'the bill has been settled', mode: 'semantic' });
        expect(before.notice).toBeUndefined();
        expect(before.results).toHaveLength(2);

        const runner = new JobRunner({ db: ctx.db, dialect, registry: createJobRegistry(searchJobs({ ctx: () => ctx })), log: createLogger('silent'), types: [REINDEX_JOB], pollIntervalMs: 20 });
        runner.start();
        try {
          for (let i = 0; i < 500; i++) {
            const { status } = await ctx.db.selectFrom('job').select('status').where('id', '=', job.id).executeTakeFirstOrThrow();
            if (status === 'succeeded' || status === 'failed') break;
            await new Promise((r) => setTimeout(r, 20));
          }
        } finally {
          await runner.stop({ timeoutMs: 5_000 });
        }
        expect((await ctx.db.selectFrom('job').select('status').where('id', '=', job.id).executeTakeFirstOrThrow()).status).toBe('succeeded');

        // Every vector now records the new model; the old ones are gone; search uses the new one.
        expect(await models()).toEqual(['tiny']);
        const rows = await ctx.db.selectFrom('embedding_model').select(['key', 'status']).orderBy('key').execute();
        expect(rows.map((r) => [r.key.split('@')[0], r.status])).toEqual([['tiny', 'ready'], ['use-lite', 'retired']]);
        const after = await search(ctx, actor, { q: 'invoice paid', mode: 'semantic' });
        expect(after.notice).toBeUndefined();
        expect(after.results[0].name).toBe('paid.txt');
      } finally {
        runtime.close();
      }
    });
  });
}
