import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DIALECTS, useTestDb } from '../../../test/support/db';
import { createJobQueue, PermanentJobError } from './queue';
import { createJobRegistry, defineJob, type JobDefinition } from './registry';
import { type JobAbortedError, JobRunner, type JobRunnerOptions } from './runner';
import { memoryLogger, sleep, waitFor } from './testing/helpers';

const FINAL = ['succeeded', 'failed', 'cancelled'];

for (const dialect of DIALECTS) {
  describe(`job runner (${dialect})`, () => {
    const getDb = useTestDb(dialect);
    let queue = createJobQueue({ registry: createJobRegistry([]) });
    const runners: JobRunner[] = [];
    afterEach(async () => {
      await Promise.all(runners.splice(0).map((r) => r.stop({ timeoutMs: 2000 })));
    });

    function startRunner(defs: JobDefinition[], opts: Partial<JobRunnerOptions> = {}) {
      const { log, lines } = memoryLogger();
      const registry = createJobRegistry(defs);
      queue = createJobQueue({ registry });
      const runner = new JobRunner({
        db: getDb().db,
        dialect: getDb().dialect,
        registry,
        log,
        pollIntervalMs: 20,
        leaseMs: 2000,
        abortGraceMs: 500,
        ...opts,
      });
      runners.push(runner);
      runner.start();
      return { runner, lines };
    }
    const job = (id: string) => queue.find(getDb().db, id).then((j) => j!);
    const settled = (id: string) =>
      waitFor(async () => {
        const j = await job(id);
        return FINAL.includes(j.status) ? j : undefined;
      }, `job ${id} to finish`);

    it('runs a job: validated payload, context, progress on the row, child logger, succeeded', async () => {
      const seen: unknown[] = [];
      const def = defineJob({
        name: 'rt.hello',
        schema: z.object({ documentId: z.string() }),
        async handler(ctx) {
          seen.push({ payload: ctx.payload, attempt: ctx.attempt, orgId: ctx.orgId, aborted: ctx.signal.aborted });
          await ctx.progress({ step: 'parse', percent: 40 });
          ctx.log.info('working');
        },
      });
      const { lines } = startRunner([def]);
      const { id } = await queue.enqueue(getDb().db, { type: 'rt.hello', payload: { documentId: 'd1' }, orgId: 'org1' });
      const done = await settled(id);
      expect(done).toMatchObject({ status: 'succeeded', attempts: 1, progress: { step: 'parse', percent: 40 }, lastError: null, leaseUntil: null });
      expect(done.finishedAt).not.toBeNull();
      expect(seen).toEqual([{ payload: { documentId: 'd1' }, attempt: 1, orgId: 'org1', aborted: false }]);
      expect(lines.find((l) => l.msg === 'working')).toMatchObject({ jobId: id, job: 'rt.hello', orgId: 'org1', attempt: 1 });
    });

    it('retries with exponential backoff, then dead-letters as failed keeping the last error', async () => {
      const runsAt: number[] = [];
      const def = defineJob({
        name: 'rt.flaky',
        maxAttempts: 3,
        backoff: { baseMs: 150, capMs: 10_000 },
        async handler(ctx) {
          runsAt.push(Date.now());
          throw new Error(`boom ${ctx.attempt}`, { cause: new Error('disk full') });
        },
      });
      startRunner([def], { random: () => 1 });
      const { id } = await queue.enqueue(getDb().db, { type: 'rt.flaky', payload: {} });
      const done = await settled(id);
      expect(done).toMatchObject({ status: 'failed', attempts: 3 });
      expect(done.lastError).toBe('Error: boom 3 ← caused by Error: disk full');
      expect(runsAt).toHaveLength(3);
      // Delays of base * 2^(attempt-1): 150 ms, then 300 ms.
      expect(runsAt[1] - runsAt[0]).toBeGreaterThanOrEqual(140);
      expect(runsAt[2] - runsAt[1]).toBeGreaterThanOrEqual(290);
    });

    it('a retry that then succeeds ends succeeded; a PermanentJobError fails at once', async () => {
      const flaky = defineJob({
        name: 'rt.once',
        backoff: { baseMs: 10 },
        async handler(ctx) {
          if (ctx.attempt === 1) throw new Error('transient');
        },
      });
      const bad = defineJob({
        name: 'rt.bad',
        maxAttempts: 5,
        async handler() {
          throw new PermanentJobError('Unsupported file type: application/x-msdownload');
        },
      });
      startRunner([flaky, bad]);
      const a = await queue.enqueue(getDb().db, { type: 'rt.once', payload: {} });
      const b = await queue.enqueue(getDb().db, { type: 'rt.bad', payload: {} });
      expect(await settled(a.id)).toMatchObject({ status: 'succeeded', attempts: 2, lastError: 'Error: transient' });
      expect(await settled(b.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'PermanentJobError: Unsupported file type: application/x-msdownload' });
    });

    it('times out an attempt: the signal fires with reason timeout and the attempt counts as failed', async () => {
      const def = defineJob({
        name: 'rt.slow',
        timeoutMs: 100,
        maxAttempts: 1,
        async handler(ctx) {
          await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
        },
      });
      startRunner([def]);
      const { id } = await queue.enqueue(getDb().db, { type: 'rt.slow', payload: {} });
      const done = await settled(id);
      expect(done.status).toBe('failed');
      expect(done.lastError).toMatch(/Timed out after 100 ms/);
    });

    it('cancels a running job: its signal fires, the job ends cancelled', async () => {
      let reason: string | undefined;
      const def = defineJob({
        name: 'rt.cancel',
        async handler(ctx) {
          await ctx.progress({ step: 'waiting', percent: 0 });
          await new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => {
              reason = (ctx.signal.reason as JobAbortedError).reason;
              reject(ctx.signal.reason);
            }),
          );
        },
      });
      startRunner([def], { leaseMs: 600 }); // heartbeat every 200 ms
      const { id } = await queue.enqueue(getDb().db, { type: 'rt.cancel', payload: {} });
      await waitFor(async () => (await job(id)).progress, 'the handler to start');
      expect(await queue.cancel(getDb().db, id)).toBe('running');
      const done = await settled(id);
      expect(done.status).toBe('cancelled');
      expect(reason).toBe('cancelled');
    });

    it('runs higher priority first, then older run_at', async () => {
      const order: string[] = [];
      const def = defineJob({
        name: 'rt.prio',
        concurrency: 1,
        async handler(ctx) {
          order.push(ctx.payload as string);
        },
      });
      const db = getDb().db;
      queue = createJobQueue({ registry: createJobRegistry([def]) });
      const t = Date.now() - 10_000;
      await queue.enqueue(db, { type: 'rt.prio', payload: 'low-old', priority: 0, runAt: new Date(t) });
      await queue.enqueue(db, { type: 'rt.prio', payload: 'high-new', priority: 5, runAt: new Date(t + 2000) });
      await queue.enqueue(db, { type: 'rt.prio', payload: 'high-old', priority: 5, runAt: new Date(t + 1000) });
      await queue.enqueue(db, { type: 'rt.prio', payload: 'low-new', priority: 0, runAt: new Date(t + 3000) });
      await queue.enqueue(db, { type: 'rt.prio', payload: 'urgent', priority: 9, runAt: new Date(t + 4000) });
      startRunner([def]);
      await waitFor(() => order.length === 5, 'all jobs to run');
      expect(order).toEqual(['urgent', 'high-old', 'high-new', 'low-old', 'low-new']);
    });

    it('limits concurrency per job type', async () => {
      const running = { heavy: 0, light: 0 };
      const peak = { heavy: 0, light: 0 };
      const make = (name: 'heavy' | 'light', concurrency: number) =>
        defineJob({
          name: `rt.${name}`,
          concurrency,
          async handler() {
            running[name]++;
            peak[name] = Math.max(peak[name], running[name]);
            await sleep(60);
            running[name]--;
          },
        });
      const db = getDb().db;
      const ids: string[] = [];
      const defs = [make('heavy', 1), make('light', 3)];
      queue = createJobQueue({ registry: createJobRegistry(defs) });
      for (let i = 0; i < 6; i++) {
        ids.push((await queue.enqueue(db, { type: 'rt.heavy', payload: i })).id);
        ids.push((await queue.enqueue(db, { type: 'rt.light', payload: i })).id);
      }
      startRunner(defs);
      for (const id of ids) expect((await settled(id)).status).toBe('succeeded');
      expect(peak).toEqual({ heavy: 1, light: 3 });
    });

    it('stop() drains: running jobs finish, nothing new is claimed; past the deadline, jobs go back to the queue', async () => {
      let started = 0;
      const quick = defineJob({
        name: 'rt.quick',
        async handler() {
          started++;
          await sleep(150);
        },
      });
      const { runner } = startRunner([quick]);
      const db = getDb().db;
      const a = await queue.enqueue(db, { type: 'rt.quick', payload: 1 });
      const b = await queue.enqueue(db, { type: 'rt.quick', payload: 2 });
      await waitFor(() => started === 1, 'first job to start');
      await runner.stop({ timeoutMs: 5000 });
      // One ran to completion during the drain; the other was never claimed.
      const statuses = [(await job(a.id)).status, (await job(b.id)).status].sort();
      expect(statuses).toEqual(['queued', 'succeeded']);
      expect(started).toBe(1);

      const stubborn = defineJob({
        name: 'rt.stubborn',
        maxAttempts: 1,
        async handler(ctx) {
          await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
        },
      });
      const second = startRunner([stubborn]);
      const c = await queue.enqueue(db, { type: 'rt.stubborn', payload: 3 });
      await waitFor(async () => (await job(c.id)).status === 'running', 'stubborn job to start');
      await second.runner.stop({ timeoutMs: 100 });
      // Shutdown does not spend the job's only attempt.
      expect(await job(c.id)).toMatchObject({ status: 'queued', attempts: 0, lockedBy: null });
    });

    it('ctx.complete commits the handler’s writes together with success, exactly once', async () => {
      const def = defineJob({
        name: 'rt.complete',
        async handler(ctx) {
          await ctx.complete(async (trx) => {
            await trx.updateTable('job').set({ progress: JSON.stringify({ step: 'done', percent: 100 }) }).where('id', '=', ctx.jobId).execute();
          });
        },
      });
      startRunner([def]);
      const { id } = await queue.enqueue(getDb().db, { type: 'rt.complete', payload: {} });
      expect(await settled(id)).toMatchObject({ status: 'succeeded', progress: { step: 'done', percent: 100 } });
    });
  });
}

describe('job runner, two runners on one Postgres database', () => {
  const getDb = useTestDb('postgres');

  it('never runs the same job twice across two pools', async () => {
    const N = 200;
    const executions = new Map<string, number>();
    const byRunner = new Map<string, number>();
    const def = defineJob({
      name: 'mr.count',
      concurrency: 4,
      async handler(ctx) {
        executions.set(ctx.jobId, (executions.get(ctx.jobId) ?? 0) + 1);
        await sleep(Math.random() * 5);
      },
    });
    const queue = createJobQueue({ registry: createJobRegistry([def]) });
    await getDb().db.transaction().execute(async (trx) => {
      for (let i = 0; i < N; i++) await queue.enqueue(trx, { type: 'mr.count', payload: i });
    });
    const pools = [getDb().reopen(), getDb().reopen()];
    const runners = pools.map(
      (p, i) =>
        new JobRunner({ db: p.db, dialect: 'postgres', registry: createJobRegistry([def]), log: memoryLogger().log, id: `runner-${i}`, pollIntervalMs: 10 }),
    );
    const wrap = def.handler;
    def.handler = async (ctx) => {
      byRunner.set(ctx.log.bindings().runner as string, (byRunner.get(ctx.log.bindings().runner as string) ?? 0) + 1);
      return wrap(ctx);
    };
    runners.forEach((r) => r.start());
    try {
      await waitFor(
        async () => (await getDb().db.selectFrom('job').select((eb) => eb.fn.countAll<number>().as('n')).where('type', '=', 'mr.count').where('status', '=', 'succeeded').executeTakeFirstOrThrow()).n === N,
        'all jobs to succeed',
        30_000,
        50,
      );
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
      await Promise.all(pools.map((p) => p.destroy()));
    }
    expect(executions.size).toBe(N);
    expect([...executions.values()].every((n) => n === 1)).toBe(true);
    // Both runners took part.
    expect(byRunner.size).toBe(2);
  });
});
