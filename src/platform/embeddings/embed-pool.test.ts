import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPools, WorkerTaskError } from '../workers/pools';
import { embed } from './embed.task';
import { resolveModel } from './models';
import { expectedVector, TINY_DIMS, writeTinyBert } from './test-fixtures/tiny-bert';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-embed-pool-'));
writeTinyBert(path.join(root, 'tiny'), { folio: { queryPrefix: 'query: ' } });
const pools = new WorkerPools({ onnx: { threads: 1 } });

afterAll(async () => {
  await pools.close({ force: true });
  fs.rmSync(root, { recursive: true, force: true });
});

describe('the onnx pool', () => {
  it('embeds texts in a worker and moves the vectors back in one array', async () => {
    const model = resolveModel(root, 'tiny');
    const texts = ['the invoice', 'paid receipt', 'invoice'];
    const result = await pools.embed({ model, texts, kind: 'passage' });
    expect(result.dims).toBe(TINY_DIMS);
    expect(result.vectors).toBeInstanceOf(Float32Array);
    expect(result.vectors.length).toBe(texts.length * TINY_DIMS);
    const second = result.vectors.subarray(TINY_DIMS, 2 * TINY_DIMS);
    expectedVector(['[CLS]', 'paid', 'receipt', '[SEP]'], 'mean').forEach((v, i) => expect(second[i]).toBeCloseTo(v, 5));

    // Same numbers as the task gives in this thread; the query prefix changes them.
    const local = await embed({ model, texts, kind: 'passage' });
    expect(Array.from(result.vectors)).toEqual(Array.from(local.vectors));
    const query = await pools.embed({ model, texts: ['invoice'], kind: 'query' });
    expect(Array.from(query.vectors)).not.toEqual(Array.from(result.vectors.subarray(2 * TINY_DIMS)));

    expect(pools.stats().onnx).toMatchObject({ threads: 1 });
    expect(pools.stats().onnx.completed).toBeGreaterThanOrEqual(2);
    expect(pools.threadIds().length).toBeGreaterThanOrEqual(1);
  });

  it('answers an empty list with no vectors', async () => {
    const result = await pools.embed({ model: resolveModel(root, 'tiny'), texts: [] });
    expect(result).toEqual({ dims: TINY_DIMS, vectors: new Float32Array(0) });
  });

  it('rejects with a WorkerTaskError when the model cannot be loaded', async () => {
    const model = { ...resolveModel(root, 'tiny'), key: 'gone', dir: path.join(root, 'gone') };
    const err = await pools.embed({ model, texts: ['invoice'] }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerTaskError);
    expect((err as Error).message).toMatch(/gone/);
  });
});
