import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { DiskBlobStore } from './disk-blob-store';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('DiskBlobStore', () => {
  let root: string;
  let store: DiskBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'folio-blobs-'));
    store = new DiskBlobStore(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores a buffer under its SHA-256 in sharded directories and reads it back with its size', async () => {
    const bytes = Buffer.from('%PDF-1.7 hello');
    const put = await store.put(bytes);
    expect(put).toEqual({ key: sha(bytes), size: bytes.length, created: true });
    expect(store.pathFor(put.key)).toBe(path.join(root, 'blobs', put.key.slice(0, 2), put.key.slice(2, 4), put.key));
    const got = await store.get(put.key);
    expect(got.size).toBe(bytes.length);
    expect(await readAll(got.stream)).toEqual(bytes);
    expect(await store.exists(put.key)).toBe(true);
    expect(await store.size(put.key)).toBe(bytes.length);
  });

  it('streams large content without changing it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const source = Readable.from((function* () {
      for (let i = 0; i < 40; i++) yield Buffer.concat([chunk, Buffer.from([i])]);
    })());
    const put = await store.put(source);
    expect(put.size).toBe(40 * (64 * 1024 + 1));
    const back = await readAll((await store.get(put.key)).stream);
    expect(sha(back)).toBe(put.key);
  });

  it('is idempotent: the same bytes give the same key and never rewrite the stored file', async () => {
    const a = await store.put(Buffer.from('same'));
    const before = await stat(store.pathFor(a.key));
    const b = await store.put(Readable.from([Buffer.from('sa'), Buffer.from('me')]));
    expect(b).toEqual({ key: a.key, size: 4, created: false });
    const after = await stat(store.pathFor(a.key));
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('handles concurrent puts of the same content: one creates, all agree on the key', async () => {
    const bytes = Buffer.from('concurrent content');
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(bytes)));
    expect(new Set(results.map((r) => r.key)).size).toBe(1);
    expect(results.filter((r) => r.created).length).toBe(1);
    expect(await readAll((await store.get(results[0].key)).stream)).toEqual(bytes);
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('refuses content over maxBytes and keeps nothing', async () => {
    const err = await store.put(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { maxBytes: 1000 }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('payload_too_large');
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
    const keys = [];
    for await (const k of store.keys()) keys.push(k);
    expect(keys).toEqual([]);
  });

  it('checks an expected key and keeps nothing on mismatch', async () => {
    const err = await store.put(Buffer.from('x'), { expectedKey: sha('y') }).catch((e) => e);
    expect(err.code).toBe('bad_request');
    expect(await store.exists(sha('x'))).toBe(false);
    expect((await store.put(Buffer.from('x'), { expectedKey: sha('x') })).created).toBe(true);
  });

  it('does not leave a temp file when the source stream fails', async () => {
    const failing = new Readable({ read() { this.push(Buffer.from('partial')); this.destroy(new Error('client went away')); } });
    await expect(store.put(failing)).rejects.toThrow('client went away');
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('get of an unknown key is not_found; malformed keys are rejected before touching the disk', async () => {
    const missing = sha('nothing');
    await expect(store.get(missing)).rejects.toMatchObject({ code: 'not_found' });
    expect(await store.exists(missing)).toBe(false);
    expect(await store.size(missing)).toBeUndefined();
    await expect(store.get('../../etc/passwd')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(store.exists('ABC')).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('deletes (purge) and reports whether the blob existed', async () => {
    const { key } = await store.put(Buffer.from('to purge'));
    expect(await store.delete(key)).toBe(true);
    expect(await store.exists(key)).toBe(false);
    expect(await store.delete(key)).toBe(false);
    // The same bytes can be stored again after a purge.
    expect((await store.put(Buffer.from('to purge'))).created).toBe(true);
  });

  it('verify rehashes: ok, corrupt after bit rot, missing after delete', async () => {
    const { key } = await store.put(Buffer.from('pristine'));
    expect(await store.verify(key)).toBe('ok');
    await writeFile(store.pathFor(key), 'tampered');
    expect(await store.verify(key)).toBe('corrupt');
    await store.delete(key);
    expect(await store.verify(key)).toBe('missing');
  });

  it('lists every stored key', async () => {
    const keys = await Promise.all(['a', 'b', 'c'].map(async (s) => (await store.put(Buffer.from(s))).key));
    const listed: string[] = [];
    for await (const k of store.keys()) listed.push(k);
    expect(listed.sort()).toEqual(keys.sort());
  });

  it('sweeps stale temp files left by interrupted writes', async () => {
    await store.init();
    const stale = path.join(root, 'tmp', 'old.tmp');
    const fresh = path.join(root, 'tmp', 'new.tmp');
    await writeFile(stale, 'x');
    await writeFile(fresh, 'y');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, old, old);
    expect(await store.sweepTemp(60 * 60 * 1000)).toBe(1);
    expect(await readdir(path.join(root, 'tmp'))).toEqual(['new.tmp']);
  });
});
