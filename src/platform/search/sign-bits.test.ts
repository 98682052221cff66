import { describe, expect, it } from 'vitest';
import { SignBitIndex, signBits } from './sign-bits';

const DIMS = 128;

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function vector(rand: () => number, dims = DIMS): Float32Array {
  return Float32Array.from({ length: dims }, () => rand() - 0.5);
}

/** Hamming distance over the sign bits, one dimension at a time. */
function hamming(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > 0 !== b[i] > 0) d++;
  return d;
}

describe('sign bits in memory', () => {
  it('packs signs as sqlite-vec does: bit i of byte i / 8 for a positive component i', () => {
    const v = Float32Array.from({ length: 32 }, (_, i) => (i % 3 === 0 ? 1 : -1));
    expect([...signBits(v)]).toEqual([0x49, 0x92, 0x24, 0x49]);
  });

  // 40 dimensions leave most of the last 64-bit word unused; 512 is the default model's size.
  it.each([40, 128, 512])('finds the same k nearest as a brute-force Hamming scan, after puts, replacements and deletions (%i dimensions)', async (dims) => {
    const rand = random(42);
    const index = new SignBitIndex(dims);
    const vectors = new Map<number, Float32Array>();
    for (let id = 1; id <= 3_000; id++) vectors.set(id, vector(rand, dims));
    for (const [id, v] of vectors) index.put('org', id, signBits(v));
    // Deletions move the last vector into the hole; replacements overwrite in place.
    for (let id = 1; id <= 3_000; id += 7) {
      index.delete('org', id);
      vectors.delete(id);
    }
    for (let id = 2; id <= 3_000; id += 11) {
      if (!vectors.has(id)) continue;
      const v = vector(rand, dims);
      vectors.set(id, v);
      index.put('org', id, signBits(v));
    }
    expect(index.size('org')).toBe(vectors.size);
    for (let q = 0; q < 20; q++) {
      const query = vector(rand, dims);
      for (const k of [1, 10, 100]) {
        const got = await index.nearest('org', signBits(query), k);
        const exact = [...vectors].map(([id, v]) => ({ id, d: hamming(query, v) })).sort((a, b) => a.d - b.d);
        expect(got).toHaveLength(k);
        // The same distances, nearest first (ids may differ only among equal distances at the cut).
        expect(got.map((id) => hamming(query, vectors.get(id)!))).toEqual(exact.slice(0, k).map((e) => e.d));
        const cut = exact[k - 1].d;
        for (const e of exact) if (e.d < cut) expect(got).toContain(e.id);
      }
    }
  });

  it('returns a deleted vector no more and keeps organizations apart', async () => {
    const rand = random(7);
    const index = new SignBitIndex(DIMS);
    const shared = vector(rand);
    index.put('a', 1, signBits(shared));
    index.put('b', 2, signBits(shared));
    for (let id = 10; id < 60; id++) index.put('a', id, signBits(vector(rand)));
    expect(await index.nearest('a', signBits(shared), 1)).toEqual([1]);
    expect(await index.nearest('b', signBits(shared), 10)).toEqual([2]);
    expect(await index.nearest('c', signBits(shared), 10)).toEqual([]);
    // A delete logged for another organization does not touch this one's vector.
    expect(index.delete('b', 1)).toBe(false);
    expect(index.delete('a', 1)).toBe(true);
    expect(await index.nearest('a', signBits(shared), 50)).not.toContain(1);
    expect(await index.nearest('b', signBits(shared), 10)).toEqual([2]);
    expect(index.size()).toBe(51);
  });

  it('handles sizes that are not a multiple of 32 bits', async () => {
    const index = new SignBitIndex(8);
    const v = (signs: number[]) => signBits(Float32Array.from(signs));
    index.put('a', 1, v([1, 1, 1, 1, -1, -1, -1, -1]));
    index.put('a', 2, v([1, 1, 1, 1, 1, 1, -1, -1]));
    index.put('a', 3, v([-1, -1, -1, -1, -1, -1, -1, -1]));
    expect(await index.nearest('a', v([1, 1, 1, 1, 1, -1, -1, -1]), 3)).toEqual([1, 2, 3]);
  });

  it('scans a large organization a slice at a time, and a change made meanwhile is in the answer', async () => {
    const rand = random(11);
    const index = new SignBitIndex(DIMS);
    const query = vector(rand);
    const far = Float32Array.from(query, (x) => -x);
    for (let id = 1; id <= 300_000; id++) index.put('big', id, signBits(id === 1 ? query : far));
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    const pending = index.nearest('big', signBits(query), 2);
    // While the scan is under way: the nearest vector goes, an equal one arrives.
    setImmediate(() => {
      index.delete('big', 1);
      index.put('big', 400_000, signBits(query));
    });
    const got = await pending;
    clearInterval(ticking);
    expect(got[0]).toBe(400_000);
    expect(got).not.toContain(1);
    // Other work ran while the scan was under way.
    expect(turns).toBeGreaterThan(0);
  });

  it('gives memory back as vectors leave', () => {
    const rand = random(3);
    const index = new SignBitIndex(DIMS);
    for (let id = 0; id < 10_000; id++) index.put('a', id, signBits(vector(rand)));
    const full = index.bytes();
    expect(full).toBeGreaterThanOrEqual(10_000 * (DIMS / 8 + 8));
    for (let id = 0; id < 9_900; id++) index.delete('a', id);
    expect(index.bytes()).toBeLessThan(full / 10);
    for (let id = 0; id < 100; id++) index.delete('a', 9_900 + id);
    expect(index.bytes()).toBe(0);
  });
});
