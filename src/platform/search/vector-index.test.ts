import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS, useTestDb } from '../../../test/support/db';
import { newId } from '../../shared/ids';
import { logVectorChanges, VectorIndex } from './vector-index';

const DIMS = 64;

/** A deterministic unit vector leaning towards axis `axis`. */
function vec(axis: number, noise = 0): Float32Array {
  const v = new Float32Array(DIMS);
  for (let i = 0; i < DIMS; i++) v[i] = Math.sin(i * 7.3 + noise) * 0.05;
  v[axis % DIMS] += 1;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
const bytes = (v: Float32Array) => new Uint8Array(v.buffer.slice(0));

describe.each(DIALECTS)('vector index (%s)', (dialect) => {
  const getDb = useTestDb(dialect);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'folio-vix-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function seed(orgs: string[]) {
    const { db } = getDb();
    const now = new Date().toISOString();
    const docs: Record<string, string> = {};
    for (const org of orgs) {
      await db.insertInto('org').values({ id: org, name: org, slug: `${org}-${newId(4)}`.toLowerCase(), review_threshold: 0.8, created_at: now, updated_at: now }).execute();
      docs[org] = newId();
      await db.insertInto('document').values({
        id: docs[org], org_id: org, folder_id: null, parent_id: null, owner_id: null, name: 'd', status: 'ready', error_code: null, error_message: null, progress: null, kind: 'text',
        mime: 'text/plain', size: 1, page_count: 1, current_version_id: 'v', source: 'upload', pending_password: null, deleted_at: null, created_at: now, updated_at: now,
      }).execute();
    }
    return docs;
  }

  async function addChunk(org: string, doc: string, v: Float32Array, model = 'm@1'): Promise<number> {
    const { db } = getDb();
    const [{ id }] = await db.insertInto('chunk').values({ org_id: org, document_id: doc, version_id: 'v', page: 1, ord: 0, heading: null, text: 't', tokens: 1, created_at: '' }).returning('id').execute();
    await db.insertInto('chunk_vector').values({ chunk_id: Number(id), model, org_id: org, vector: bytes(v) }).execute();
    return Number(id);
  }

  it('finds the nearest passages of one organization only, and follows deletions, trash and restore', async () => {
    const database = getDb();
    const docs = await seed(['orgA', 'orgB']);
    const index = VectorIndex.open(database, dataDir);
    try {
      const a = [];
      for (let i = 0; i < 20; i++) a.push(await addChunk('orgA', docs.orgA, vec(i)));
      const b = await addChunk('orgB', docs.orgB, vec(3, 0.01));

      const hits = await index.nearest('m@1', 'orgA', vec(3, 0.02), 3);
      expect(hits[0].chunkId).toBe(a[3]);
      expect(hits[0].similarity).toBeGreaterThan(0.99);
      expect(hits.map((h) => h.chunkId)).not.toContain(b);
      expect((await index.nearest('m@1', 'orgB', vec(3), 5)).map((h) => h.chunkId)).toEqual([b]);

      // A deleted passage leaves the index (its vector row cascades, the trigger logs it).
      await database.db.deleteFrom('chunk').where('id', '=', a[3]).execute();
      expect((await index.nearest('m@1', 'orgA', vec(3), 3)).map((h) => h.chunkId)).not.toContain(a[3]);

      // Trash and restore log changes without touching the vectors.
      await logVectorChanges(database.db, dialect, [{ model: 'm@1', org_id: 'orgA', chunk_id: a[5], op: 'del' }]);
      expect((await index.nearest('m@1', 'orgA', vec(5), 20)).map((h) => h.chunkId)).not.toContain(a[5]);
      await logVectorChanges(database.db, dialect, [{ model: 'm@1', org_id: 'orgA', chunk_id: a[5], op: 'put' }]);
      expect((await index.nearest('m@1', 'orgA', vec(5), 1))[0].chunkId).toBe(a[5]);

      // Exact ranking over a given candidate set (filtered searches).
      const ranked = await index.rank('m@1', [a[1], a[2], a[7]], vec(7), 2);
      expect(ranked.map((h) => h.chunkId)).toEqual([a[7], expect.any(Number)]);
      expect(await index.size('m@1', DIMS)).toBe(20);
    } finally {
      index.close();
    }
  });

  it('keeps models apart and rebuilds a forgotten index from the log', async () => {
    const database = getDb();
    const docs = await seed(['orgC']);
    const index = VectorIndex.open(database, dataDir);
    try {
      const c1 = await addChunk('orgC', docs.orgC, vec(10), 'old@1');
      const c2 = await addChunk('orgC', docs.orgC, vec(11), 'new@2');
      expect((await index.nearest('old@1', 'orgC', vec(11), 5)).map((h) => h.chunkId)).toEqual([c1]);
      expect((await index.nearest('new@2', 'orgC', vec(10), 5)).map((h) => h.chunkId)).toEqual([c2]);
      index.reset('new@2');
      expect((await index.nearest('new@2', 'orgC', vec(11), 5)).map((h) => h.chunkId)).toEqual([c2]);
    } finally {
      index.close();
    }
  });

  it('loads the stored sign bits in a new process, and takes over sign bits kept in a sqlite-vec table by an earlier version', async () => {
    const database = getDb();
    const docs = await seed(['orgD', 'orgE']);
    const first = VectorIndex.open(database, dataDir);
    const d: number[] = [];
    const e: number[] = [];
    try {
      for (let i = 0; i < 10; i++) d.push(await addChunk('orgD', docs.orgD, vec(i + 20), 'x@1'));
      for (let i = 0; i < 3; i++) e.push(await addChunk('orgE', docs.orgE, vec(i + 20), 'x@1'));
      expect((await first.nearest('x@1', 'orgD', vec(24), 1))[0].chunkId).toBe(d[4]);
      expect(first.memory().models.find((m) => m.model === 'x@1')?.vectors).toBe(13);
    } finally {
      first.close();
    }
    // Another process: the index is read back from its tables, then follows the log on.
    await database.db.deleteFrom('chunk').where('id', '=', d[4]).execute();
    const second = VectorIndex.open(database, dataDir);
    try {
      const hits = await second.nearest('x@1', 'orgD', vec(24), 10);
      expect(hits.map((h) => h.chunkId).sort()).toEqual(d.filter((_, i) => i !== 4).sort());
      expect((await second.nearest('x@1', 'orgE', vec(24), 10)).map((h) => h.chunkId).sort()).toEqual([...e].sort());
    } finally {
      second.close();
    }
    if (dialect !== 'sqlite') return;
    // The same sign bits as a vec0 table (the earlier layout) become the plain table.
    const s = database.sqlite!;
    const t = (s.prepare(`select name from sqlite_master where name like 'vix_x_1_%_sign'`).get() as { name: string }).name.replace(/_sign$/, '');
    s.exec(`create virtual table ${t}_bits using vec0(chunk_id integer primary key, org_id text partition key, embedding bit[${DIMS}])`);
    s.exec(`insert into ${t}_bits (chunk_id, org_id, embedding) select chunk_id, org_id, vec_bit(bits) from ${t}_sign; drop table ${t}_sign`);
    const third = VectorIndex.open(database, dataDir);
    try {
      expect((await third.nearest('x@1', 'orgD', vec(27), 1))[0].chunkId).toBe(d[7]);
      expect(await third.size('x@1', DIMS)).toBe(12);
      expect(s.prepare(`select name from sqlite_master where name = ?`).get(`${t}_bits`)).toBeUndefined();
    } finally {
      third.close();
    }
  });
});
