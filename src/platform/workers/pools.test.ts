import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPools, WorkerTaskError } from './pools';

const fixture = new URL('./test-fixtures/misbehave.task.ts', import.meta.url).href;

describe('WorkerPools', () => {
  const pools = new WorkerPools({ pdf: { threads: 1, maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 } });
  afterAll(() => pools.close({ force: true }));

  const run = <R>(name: string, input: unknown = {}, transfer: ArrayBuffer[] = [], timeoutMs = 10_000) =>
    pools.run<R>('pdf', fixture, name, input, transfer, { timeoutMs });

  const expectCode = async (p: Promise<unknown>, code: string) => {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerTaskError);
    expect((err as WorkerTaskError).code).toBe(code);
    expect((err as WorkerTaskError).message.length).toBeGreaterThan(10);
    return err as WorkerTaskError;
  };

  it('moves input bytes to the worker instead of copying them', async () => {
    const bytes = new Uint8Array(1024 * 1024).fill(7);
    const result = await run<{ length: number; first: number }>('echo', { bytes }, [bytes.buffer]);
    expect(result).toEqual({ length: 1024 * 1024, first: 7 });
    expect(bytes.byteLength).toBe(0); // detached: ownership went to the worker
  });

  it('stops a task that exceeds its time limit, then keeps serving', async () => {
    const started = Date.now();
    const err = await expectCode(run('spin', {}, [], 500), 'timeout');
    expect(err.message).toMatch(/longer than/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(run('echo', { bytes: new Uint8Array([1]) })).resolves.toEqual({ length: 1, first: 1 });
  });

  it('honours an abort signal from the caller', async () => {
    const controller = new AbortController();
    const pending = pools.run('pdf', fixture, 'spin', {}, [], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expectCode(pending, 'aborted');
  });

  it('fails a task that exhausts the worker heap without taking the process down', async () => {
    await expectCode(run('hog', {}, [], 60_000), 'out_of_memory');
    await expect(run('echo', { bytes: new Uint8Array([2]) })).resolves.toEqual({ length: 1, first: 2 });
  });

  it('reports a crashed or exited worker as a rejected task', async () => {
    await expectCode(run('crash'), 'worker_crashed');
    await expectCode(run('exit'), 'worker_crashed');
    await expect(run('echo', { bytes: new Uint8Array([3]) })).resolves.toEqual({ length: 1, first: 3 });
  });

  it('refuses work after close', async () => {
    const other = new WorkerPools({ pdf: { threads: 1 } });
    await other.close();
    await expectCode(other.run('pdf', fixture, 'echo', { bytes: new Uint8Array(1) }), 'pool_closed');
  });
});
