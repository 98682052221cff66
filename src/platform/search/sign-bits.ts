/**
 * Sign bits of vectors in memory, one contiguous array per organization, scanned by
 * Hamming distance: the coarse stage of vector search.
 *
 * A vector of `dims` floats becomes `dims` bits (bit i set when component i is positive,
 * the byte layout of sqlite-vec's `vec_quantize_binary`): 64 bytes for 512 dimensions. A
 * partition keeps its vectors packed (a removed vector's slot takes the last one), so a
 * scan reads one array from start to end and memory follows the number of vectors held.
 */

/** The sign bits of a vector, `dims / 8` bytes. */
export function signBits(vector: Float32Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(vector.length / 8));
  for (let i = 0; i < vector.length; i++) if (vector[i] > 0) out[i >> 3] |= 1 << (i & 7);
  return out;
}

class Partition {
  ids: Float64Array;
  bits: Uint32Array;
  count = 0;
  readonly slots = new Map<number, number>();

  constructor(readonly words: number) {
    this.ids = new Float64Array(16);
    this.bits = new Uint32Array(16 * words);
  }

  #resize(capacity: number) {
    const ids = new Float64Array(capacity);
    ids.set(this.ids.subarray(0, this.count));
    const bits = new Uint32Array(capacity * this.words);
    bits.set(this.bits.subarray(0, this.count * this.words));
    this.ids = ids;
    this.bits = bits;
  }

  put(id: number, words: Uint32Array) {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      if (this.count === this.ids.length) this.#resize(Math.ceil(this.ids.length * 1.5));
      slot = this.count++;
      this.slots.set(id, slot);
      this.ids[slot] = id;
    }
    this.bits.set(words, slot * this.words);
  }

  delete(id: number): boolean {
    const slot = this.slots.get(id);
    if (slot === undefined) return false;
    this.slots.delete(id);
    const last = --this.count;
    if (slot !== last) {
      const moved = this.ids[last];
      this.ids[slot] = moved;
      this.bits.copyWithin(slot * this.words, last * this.words, (last + 1) * this.words);
      this.slots.set(moved, slot);
    }
    // Shrinks when mostly empty, so memory follows what is held.
    if (this.ids.length > 64 && this.count < this.ids.length / 4) this.#resize(Math.max(16, this.count * 2));
    return true;
  }

  get bytes(): number {
    // The two arrays, plus about 40 bytes a Map entry.
    return this.ids.byteLength + this.bits.byteLength + this.slots.size * 40;
  }
}

/** Sign bits of one model's vectors, partitioned by organization. */
export class SignBitIndex {
  readonly dims: number;
  readonly #words: number;
  readonly #partitions = new Map<string, Partition>();

  constructor(dims: number) {
    if (!Number.isInteger(dims) || dims <= 0 || dims % 8 !== 0) throw new Error(`Unsupported vector size ${dims}: a multiple of 8 is needed`);
    this.dims = dims;
    // 32 bits a word; the last word's unused bits stay zero on both sides of a comparison.
    this.#words = Math.ceil(dims / 32);
  }

  #pack(bits: Uint8Array): Uint32Array {
    if (bits.byteLength !== this.dims / 8) throw new Error(`Expected ${this.dims / 8} bytes of sign bits, got ${bits.byteLength}`);
    const copy = new Uint8Array(this.#words * 4);
    copy.set(bits);
    return new Uint32Array(copy.buffer);
  }

  /** Adds or replaces a vector's sign bits (`signBits(vector)`) in its organization's partition. */
  put(orgId: string, chunkId: number, bits: Uint8Array): void {
    let p = this.#partitions.get(orgId);
    if (!p) this.#partitions.set(orgId, (p = new Partition(this.#words)));
    p.put(chunkId, this.#pack(bits));
  }

  /** Removes a vector; true when it was there. */
  delete(orgId: string, chunkId: number): boolean {
    const p = this.#partitions.get(orgId);
    if (!p?.delete(chunkId)) return false;
    if (!p.count) this.#partitions.delete(orgId);
    return true;
  }

  /** Vectors held, in one organization or in all. */
  size(orgId?: string): number {
    if (orgId !== undefined) return this.#partitions.get(orgId)?.count ?? 0;
    let n = 0;
    for (const p of this.#partitions.values()) n += p.count;
    return n;
  }

  /** Approximate bytes of memory held. */
  bytes(): number {
    let n = 0;
    for (const p of this.#partitions.values()) n += p.bytes;
    return n;
  }

  /**
   * The ids of the `k` vectors of `orgId` nearest to `query` by Hamming distance over the
   * sign bits (all of them when the partition holds fewer), nearest first. Only that
   * organization's partition is read.
   */
  nearest(orgId: string, query: Uint8Array, k: number): number[] {
    const p = this.#partitions.get(orgId);
    if (!p || k <= 0) return [];
    const q = this.#pack(query);
    const words = this.#words;
    const n = p.count;
    const bits = p.bits;
    const dist = new Uint16Array(n);
    const histogram = new Uint32Array(this.dims + 1);
    for (let i = 0, o = 0; i < n; i++, o += words) {
      let d = 0;
      for (let j = 0; j < words; j++) {
        // Population count of the differing bits (SWAR).
        let x = bits[o + j] ^ q[j];
        x -= (x >>> 1) & 0x55555555;
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
        d += (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
      }
      dist[i] = d;
      histogram[d]++;
    }
    // The smallest distance `limit` such that at least k vectors are within it.
    let limit = 0;
    for (let seen = 0; limit < this.dims && seen + histogram[limit] < k; limit++) seen += histogram[limit];
    const picked: number[] = [];
    for (let i = 0; i < n; i++) if (dist[i] <= limit) picked.push(i);
    picked.sort((a, b) => dist[a] - dist[b] || a - b);
    return picked.slice(0, k).map((i) => p.ids[i]);
  }
}
