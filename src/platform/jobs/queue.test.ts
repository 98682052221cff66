import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DIALECTS, useTestDb } from '../../../test/support/db';
import { fixedClock, iso } from '../../shared/clock';
import { AppError } from '../../shared/errors';
import { claimJobs, fencedTransaction, LeaseLostError, settleJob, sweepExpiredJobs } from './job.repository';
import { backoffDelay, createJobQueue } from './queue';
import { createJobRegistry, defineJob } from './registry';

describe('backoffDelay', () => {
  it('doubles from the base per attempt, jitters within the upper half, and caps', () => {
    const b = { baseMs: 1000, capMs: 10_000 };
    expect(backoffDelay(1, b, () => 1)).toBe(1000);
    expect(backoffDelay(1, b, () => 0)).toBe(500);
    expect(backoffDelay(2, b, () => 1)).toBe(2000);
    expect(backoffDelay(3, b, () => 1)).toBe(4000);
    expect(backoffDelay(10, b, () => 1)).toBe(10_000);
    expect(backoffDelay(10, b, () => 0)).toBe(5000);
  });
});

for (const dialect of DIALECTS) {
  describe(`job queue (${dialect})`, () => {
    const getDb = useTestDb(dialect);
    const registry = createJobRegistry([
      defineJob({ name: 'doc.index', schema: z.object({ documentId: z.string() }), handler: async () => {}, maxAttempts: 3 }),
      ...['order.t', 'sweep.t', 'fence.t', 'cancel.t', 'retry.t'].map((name) => defineJob({ name, handler: async () => {} })),
    ]);
    const claim = (type: string, limit: number, now: Date, lockedBy = 'w1', leaseMs = 30_000) =>
      claimJobs(getDb().db, getDb().dialect, { type, limit, lockedBy, now: iso(now), leaseUntil: iso(new Date(now.getTime() + leaseMs)) });

    it('enqueues inside the caller’s transaction: rolled back with it, committed with it', async () => {
      const { db } = getDb();
      const queue = createJobQueue({ registry });
      await expect(
        db.transaction().execute(async (trx) => {
          await queue.enqueue(trx, { type: 'doc.index', payload: { documentId: 'rolled-back' }, orgId: 'org1' });
          throw new Error('the data change failed');
        }),
      ).rejects.toThrow('the data change failed');
      const job = await db.transaction().execute((trx) => queue.enqueue(trx, { type: 'doc.index', payload: { documentId: 'd1' }, orgId: 'org1' }));
      const listed = await queue.list(db, { type: 'doc.index' });
      expect(listed.map((j) => j.payload)).toEqual([{ documentId: 'd1' }]);
      expect(job).toMatchObject({ status: 'queued', attempts: 0, maxAttempts: 3, orgId: 'org1', priority: 0, cancelRequested: false });
      expect(await queue.find(db, job.id, { orgId: 'org2' })).toBeUndefined();
      expect((await queue.find(db, job.id, { orgId: 'org1' }))?.id).toBe(job.id);
    });

    it('rejects unknown types and invalid payloads at enqueue', async () => {
      const queue = createJobQueue({ registry });
      await expect(queue.enqueue(getDb().db, { type: 'doc.nope', payload: {} })).rejects.toMatchObject({ code: 'bad_request' });
      const err = await queue.enqueue(getDb().db, { type: 'doc.index', payload: { documentId: 42 } }).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('validation_failed');
    });

    it('claims atomically by priority, then run_at; skips jobs not yet due; never hands a job out twice', async () => {
      const { db } = getDb();
      const clock = fixedClock(new Date('2026-03-01T00:00:00.000Z'));
      const queue = createJobQueue({ registry, clock });
      const t0 = clock.now();
      const low = await queue.enqueue(db, { type: 'order.t', payload: 'low', priority: 0 });
      clock.advance(1000);
      const high = await queue.enqueue(db, { type: 'order.t', payload: 'high', priority: 10 });
      clock.advance(1000);
      const low2 = await queue.enqueue(db, { type: 'order.t', payload: 'low2', priority: 0 });
      const later = await queue.enqueue(db, { type: 'order.t', payload: 'later', priority: 99, runAt: new Date(t0.getTime() + 60_000) });
      const now = clock.now();

      const first = await claim('order.t', 2, now);
      expect(first.map((j) => j.id)).toEqual([high.id, low.id]);
      expect(first.every((j) => j.status === 'running' && j.attempts === 1 && j.locked_by === 'w1')).toBe(true);
      const second = await claim('order.t', 5, now, 'w2');
      expect(second.map((j) => j.id)).toEqual([low2.id]);
      expect(await claim('order.t', 5, now, 'w3')).toEqual([]);
      const due = await claim('order.t', 5, new Date(t0.getTime() + 60_000), 'w3');
      expect(due.map((j) => j.id)).toEqual([later.id]);
    });

    it('sweeps expired leases back to the queue, and dead-letters when attempts are used up', async () => {
      const { db } = getDb();
      const clock = fixedClock(new Date('2026-03-02T00:00:00.000Z'));
      const queue = createJobQueue({ registry, clock });
      const retryable = await queue.enqueue(db, { type: 'sweep.t', payload: 1, maxAttempts: 2 });
      const lastTry = await queue.enqueue(db, { type: 'sweep.t', payload: 2, maxAttempts: 1 });
      await claim('sweep.t', 5, clock.now(), 'dead-worker', 10_000);

      clock.advance(9_000);
      const mine = async () => (await sweepExpiredJobs(db, iso(clock.now()))).filter((j) => j.type === 'sweep.t');
      expect(await mine()).toEqual([]);
      clock.advance(2_000);
      const swept = await mine();
      expect(swept.map((j) => [j.id, j.status]).sort()).toEqual([[retryable.id, 'queued'], [lastTry.id, 'failed']].sort());

      const r = (await queue.find(db, retryable.id))!;
      expect(r).toMatchObject({ status: 'queued', attempts: 1, lockedBy: null, leaseUntil: null, finishedAt: null });
      expect(r.lastError).toMatch(/Lease expired/);
      const f = (await queue.find(db, lastTry.id))!;
      expect(f).toMatchObject({ status: 'failed', attempts: 1, finishedAt: iso(clock.now()) });
      expect(f.lastError).toMatch(/Lease expired/);
      // The re-queued job is claimable again, as attempt 2.
      expect((await claim('sweep.t', 5, clock.now(), 'w2')).map((j) => [j.id, j.attempts])).toEqual([[retryable.id, 2]]);
    });

    it('switches state only while the attempt still holds the job (fencing)', async () => {
      const { db } = getDb();
      const clock = fixedClock(new Date('2026-03-03T00:00:00.000Z'));
      const queue = createJobQueue({ registry, clock });
      const job = await queue.enqueue(db, { type: 'fence.t', payload: null, maxAttempts: 5 });
      await claim('fence.t', 1, clock.now(), 'slow', 1000);
      const staleFence = { id: job.id, lockedBy: 'slow', attempt: 1 };
      clock.advance(5000);
      await sweepExpiredJobs(db, iso(clock.now()));
      await claim('fence.t', 1, clock.now(), 'fast', 30_000);

      expect(await settleJob(db, staleFence, { status: 'succeeded', now: iso(clock.now()) })).toBe(false);
      const opts = { now: iso(clock.now()), leaseUntil: iso(clock.now()), complete: true };
      await expect(
        fencedTransaction(db, staleFence, opts, async (trx) => {
          await trx.updateTable('job').set({ progress: 'stale write' }).where('id', '=', job.id).execute();
        }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      expect((await queue.find(db, job.id))!).toMatchObject({ status: 'running', lockedBy: 'fast', attempts: 2, progress: null });

      await fencedTransaction(db, { id: job.id, lockedBy: 'fast', attempt: 2 }, opts, async () => {});
      expect((await queue.find(db, job.id))!.status).toBe('succeeded');
    });

    it('cancels a queued job at once and flags a running one; another org gets not_found', async () => {
      const { db } = getDb();
      const queue = createJobQueue({ registry });
      const queued = await queue.enqueue(db, { type: 'cancel.t', payload: 1, orgId: 'org1' });
      expect(await queue.cancel(db, queued.id, { orgId: 'org1' })).toBe('cancelled');
      expect((await queue.find(db, queued.id))!.finishedAt).not.toBeNull();

      const running = await queue.enqueue(db, { type: 'cancel.t', payload: 2, orgId: 'org1' });
      await claim('cancel.t', 1, new Date());
      await expect(queue.cancel(db, running.id, { orgId: 'org2' })).rejects.toMatchObject({ code: 'not_found' });
      expect(await queue.cancel(db, running.id, { orgId: 'org1' })).toBe('running');
      expect((await queue.find(db, running.id))!.cancelRequested).toBe(true);
      // A cancelled job whose runner is gone ends cancelled, not re-queued.
      await sweepExpiredJobs(db, iso(new Date(Date.now() + 60_000)));
      expect((await queue.find(db, running.id))!.status).toBe('cancelled');
    });

    it('retries a dead-lettered job with fresh attempts, and purges old finished jobs', async () => {
      const { db } = getDb();
      const clock = fixedClock(new Date('2026-03-04T00:00:00.000Z'));
      const queue = createJobQueue({ registry, clock });
      const job = await queue.enqueue(db, { type: 'retry.t', payload: 1, maxAttempts: 1 });
      await claim('retry.t', 1, clock.now(), 'w', 1000);
      await settleJob(db, { id: job.id, lockedBy: 'w', attempt: 1 }, { status: 'failed', now: iso(clock.now()), error: 'Error: boom' });
      expect(await queue.retry(db, job.id)).toBe(true);
      expect((await queue.find(db, job.id))!).toMatchObject({ status: 'queued', attempts: 0, lastError: 'Error: boom' });
      expect(await queue.retry(db, job.id)).toBe(false);

      await claim('retry.t', 1, clock.now(), 'w', 1000);
      await settleJob(db, { id: job.id, lockedBy: 'w', attempt: 1 }, { status: 'succeeded', now: iso(clock.now()) });
      await queue.purge(db, clock.now());
      expect(await queue.find(db, job.id)).toBeDefined();
      clock.advance(1);
      expect(await queue.purge(db, clock.now())).toBeGreaterThanOrEqual(1);
      expect(await queue.find(db, job.id)).toBeUndefined();
    });
  });
}
