/**
 * The vector index: sign bits in memory that follow the `vector_change` log of the database,
 * with the float vectors to rescore by.
 *
 * The database holds every vector (`chunk_vector`, the source of truth) and an ordered log
 * of changes written by triggers. Each process keeps an index and replays the log before it
 * answers: in SQLite mode the index's tables live in the main database file; in Postgres
 * mode each replica keeps its own index file and rebuilds it from Postgres when it is new.
 *
 * Per model, two tables: `<t>_sign`, the sign bits of each vector with its organization
 * (64 bytes for 512 dimensions), and the float vectors (`chunk_vector` itself in SQLite
 * mode, `<t>_float` in the replica's file). The sign bits are loaded into memory
 * (`SignBitIndex`, one packed array per organization) at first use and kept in step with
 * the log; a search scans its organization's array by Hamming distance and rescores the
 * best candidates exactly by cosine from the float vectors.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import * as sqliteVec from 'sqlite-vec';
import type { Database, Db } from '../db/db';
import { SignBitIndex, signBits } from './sign-bits';

export interface VectorHit {
  chunkId: number;
  /** Cosine similarity, -1..1. */
  similarity: number;
}

/** What the in-memory part of the index holds. */
export interface VectorIndexMemory {
  models: { model: string; vectors: number; bytes: number }[];
  bytes: number;
}

// Log rows replayed per round trip.
const REPLAY_BATCH = 2_000;
// Coarse candidates per wanted result, and at least this many.
const OVERFETCH = 2;
const MIN_COARSE = 100;

/** A safe table-name stem for a model key. */
function stem(model: string): string {
  const slug = model.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 40);
  return `vix_${slug}_${createHash('sha256').update(model).digest('hex').slice(0, 8)}`;
}

function toBuffer(v: Float32Array | Uint8Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function vectorFromBytes(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

export class VectorIndex {
  readonly #db: Db;
  readonly #local: SQLite.Database;
  /** True when the index lives in the main database (SQLite mode). */
  readonly #shared: boolean;
  readonly #ready = new Set<string>();
  /** Per model: the sign bits in memory and the last log entry they include. */
  readonly #memory = new Map<string, { bits: SignBitIndex; seq: number }>();
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(db: Db, local: SQLite.Database, shared: boolean) {
    this.#db = db;
    this.#local = local;
    this.#shared = shared;
  }

  /** The index for a database: inside it for SQLite, in `<dataDir>/index/vectors.db` for Postgres. */
  static open(database: Database, dataDir: string): VectorIndex {
    if (database.sqlite) return new VectorIndex(database.db, database.sqlite, true);
    const dir = path.join(dataDir, 'index');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, database.schema ? `vectors-${database.schema}.db` : 'vectors.db');
    const local = new SQLite(file);
    local.pragma('journal_mode = WAL');
    local.pragma('synchronous = NORMAL');
    sqliteVec.load(local);
    return new VectorIndex(database.db, local, false);
  }

  /** Closes the replica's own file (the shared SQLite connection is closed with the database). */
  close(): void {
    this.#memory.clear();
    if (!this.#shared) this.#local.close();
  }

  #setup(model: string, dims: number): string {
    const t = stem(model);
    if (this.#ready.has(model)) return t;
    if (!Number.isInteger(dims) || dims <= 0 || dims % 8 !== 0 || dims > 8192) throw new Error(`Unsupported vector size ${dims} for model ${model}`);
    this.#local.exec(`create table if not exists vector_index_state (model text primary key, seq integer not null, dims integer not null)`);
    const state = this.#local.prepare('select dims from vector_index_state where model = ?').get(model) as { dims: number } | undefined;
    if (state && state.dims !== dims) this.#drop(model, t);
    this.#local.transaction(() => {
      this.#local.exec(`create table if not exists ${t}_sign (chunk_id integer primary key, org_id text not null, bits blob not null)`);
      // An index made by an earlier version kept the sign bits in a sqlite-vec (vec0) table, in the same byte layout.
      const legacy = this.#local.prepare(`select 1 from sqlite_master where name = ?`).get(`${t}_bits`);
      if (legacy) this.#local.exec(`insert or replace into ${t}_sign (chunk_id, org_id, bits) select chunk_id, org_id, embedding from ${t}_bits; drop table ${t}_bits;`);
    })();
    if (!this.#shared) this.#local.exec(`create table if not exists ${t}_float (chunk_id integer primary key, vector blob not null)`);
    this.#local.prepare('insert into vector_index_state (model, seq, dims) values (?, 0, ?) on conflict (model) do nothing').run(model, dims);
    this.#ready.add(model);
    return t;
  }

  #drop(model: string, t: string) {
    this.#local.exec(`drop table if exists ${t}_bits; drop table if exists ${t}_sign; drop table if exists ${t}_float;`);
    this.#local.prepare('delete from vector_index_state where model = ?').run(model);
    this.#memory.delete(model);
  }

  #diskSeq(model: string): number {
    return (this.#local.prepare('select seq from vector_index_state where model = ?').get(model) as { seq: number }).seq;
  }

  /**
   * The model's sign bits in memory, loaded from `<t>_sign` when missing or when another
   * process has moved the stored index past them (one read transaction: bits and position agree).
   */
  #inMemory(model: string, dims: number, t: string): { bits: SignBitIndex; seq: number } {
    const held = this.#memory.get(model);
    if (held && held.seq === this.#diskSeq(model)) return held;
    const loaded = this.#local.transaction(() => {
      const bits = new SignBitIndex(dims);
      const rows = this.#local.prepare(`select chunk_id, org_id, bits from ${t}_sign`).raw().iterate() as IterableIterator<[number | bigint, string, Uint8Array]>;
      for (const [id, org, b] of rows) bits.put(org, Number(id), b);
      return { bits, seq: this.#diskSeq(model) };
    })();
    this.#memory.set(model, loaded);
    return loaded;
  }

  /** Applies every logged change not yet in the index. Calls are serialized. */
  catchUp(model: string, dims: number): Promise<number> {
    const run = this.#chain.then(() => this.#catchUp(model, dims));
    this.#chain = run.catch(() => {});
    return run;
  }

  async #catchUp(model: string, dims: number): Promise<number> {
    const t = this.#setup(model, dims);
    let applied = 0;
    for (;;) {
      const memory = this.#inMemory(model, dims, t);
      const changes = await this.#db
        .selectFrom('vector_change')
        .select(['seq', 'org_id', 'chunk_id', 'op'])
        .where('model', '=', model)
        .where('seq', '>', memory.seq)
        .orderBy('seq')
        .limit(REPLAY_BATCH)
        .execute();
      if (!changes.length) return applied;
      const puts = [...new Set(changes.filter((c) => c.op === 'put').map((c) => Number(c.chunk_id)))];
      const vectors = new Map<number, Uint8Array>();
      for (let i = 0; i < puts.length; i += 500) {
        const rows = await this.#db.selectFrom('chunk_vector').select(['chunk_id', 'vector']).where('model', '=', model).where('chunk_id', 'in', puts.slice(i, i + 500)).execute();
        for (const r of rows) vectors.set(Number(r.chunk_id), r.vector);
      }
      // Each change as it leaves the index: the sign bits to put, or null to delete.
      const ops: { id: number; org: string; bits: Uint8Array | null; vector: Uint8Array | null }[] = [];
      for (const c of changes) {
        const v = c.op === 'put' ? vectors.get(Number(c.chunk_id)) : undefined;
        // Gone since (a later change in the log removes it), or of another size: not indexed.
        const ok = v && v.byteLength === dims * 4;
        ops.push({ id: Number(c.chunk_id), org: c.org_id, bits: ok ? signBits(vectorFromBytes(v)) : null, vector: ok ? v : null });
      }
      const last = Number(changes[changes.length - 1].seq);
      const del = this.#local.prepare(`delete from ${t}_sign where chunk_id = ?`);
      const put = this.#local.prepare(`insert or replace into ${t}_sign (chunk_id, org_id, bits) values (?, ?, ?)`);
      const delFloat = this.#shared ? null : this.#local.prepare(`delete from ${t}_float where chunk_id = ?`);
      const putFloat = this.#shared ? null : this.#local.prepare(`insert or replace into ${t}_float (chunk_id, vector) values (?, ?)`);
      const written = this.#local.transaction(() => {
        // Another process sharing the index moved it meanwhile: reload and start over.
        if (this.#diskSeq(model) !== memory.seq) return false;
        for (const op of ops) {
          const id = BigInt(op.id);
          del.run(id);
          delFloat?.run(id);
          if (!op.bits) continue;
          put.run(id, op.org, toBuffer(op.bits));
          putFloat?.run(id, toBuffer(op.vector!));
        }
        this.#local.prepare('update vector_index_state set seq = ? where model = ?').run(last, model);
        return true;
      })();
      if (!written) continue;
      for (const op of ops) {
        memory.bits.delete(op.org, op.id);
        if (op.bits) memory.bits.put(op.org, op.id, op.bits);
      }
      memory.seq = last;
      applied += changes.length;
    }
  }

  /** Forgets the index of a model (it is rebuilt from the log on next use). */
  reset(model: string): void {
    this.#drop(model, stem(model));
    this.#ready.delete(model);
  }

  /**
   * The `k` passages of one organization nearest to `query`: coarse candidates by Hamming
   * distance over the organization's sign bits in memory, rescored exactly by cosine.
   */
  async nearest(model: string, orgId: string, query: Float32Array, k: number): Promise<VectorHit[]> {
    const coarse = await this.coarse(model, orgId, query, Math.max(MIN_COARSE, k * OVERFETCH));
    return this.#exact(model, coarse, query, k);
  }

  /** The coarse stage of `nearest` alone: the ids of the `k` nearest sign bits of one organization. */
  async coarse(model: string, orgId: string, query: Float32Array, k: number): Promise<number[]> {
    await this.catchUp(model, query.length);
    return (await this.#memory.get(model)?.bits.nearest(orgId, signBits(query), k)) ?? [];
  }

  /** Exact cosine ranking of the given passages (a filtered search computes its candidates first). */
  async rank(model: string, chunkIds: number[], query: Float32Array, k: number): Promise<VectorHit[]> {
    await this.catchUp(model, query.length);
    return this.#exact(model, chunkIds, query, k);
  }

  #exact(model: string, ids: number[], query: Float32Array, k: number): VectorHit[] {
    if (!ids.length) return [];
    const t = stem(model);
    const from = this.#shared ? `chunk_vector v where v.model = ? and` : `${t}_float v where`;
    const stmt = this.#local.prepare(
      `select v.chunk_id as id, vec_distance_cosine(v.vector, ?) as d from ${from} v.chunk_id in (select value from json_each(?)) order by d limit ?`,
    );
    const hits: VectorHit[] = [];
    // Large candidate sets are ranked in slices; each slice's best k compete at the end.
    for (let i = 0; i < ids.length; i += 50_000) {
      const slice = JSON.stringify(ids.slice(i, i + 50_000));
      const rows = (this.#shared ? stmt.all(toBuffer(query), model, slice, k) : stmt.all(toBuffer(query), slice, k)) as { id: number; d: number }[];
      for (const r of rows) hits.push({ chunkId: Number(r.id), similarity: 1 - r.d });
    }
    return hits.sort((a, b) => b.similarity - a.similarity).slice(0, k);
  }

  /** Number of vectors indexed for a model (after catching up). */
  async size(model: string, dims: number): Promise<number> {
    await this.catchUp(model, dims);
    return this.#memory.get(model)?.bits.size() ?? 0;
  }

  /** The sign bits held in memory, per model: vectors and approximate bytes. */
  memory(): VectorIndexMemory {
    const models = [...this.#memory].map(([model, m]) => ({ model, vectors: m.bits.size(), bytes: m.bits.bytes() }));
    return { models, bytes: models.reduce((n, m) => n + m.bytes, 0) };
  }
}

/**
 * Logs index changes made outside `chunk_vector` (a document trashed or restored). On
 * Postgres the same lock as the trigger's keeps log order equal to commit order.
 */
export async function logVectorChanges(trx: Db, dialect: 'sqlite' | 'postgres', rows: { model: string; org_id: string; chunk_id: number; op: 'put' | 'del' }[]): Promise<void> {
  if (!rows.length) return;
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${VECTOR_LOG_LOCK})`.execute(trx);
  for (let i = 0; i < rows.length; i += 500) await trx.insertInto('vector_change').values(rows.slice(i, i + 500)).execute();
}

/** The advisory lock that orders writers of `vector_change` on Postgres (same number as in the trigger). */
export const VECTOR_LOG_LOCK = 7_311_002;
