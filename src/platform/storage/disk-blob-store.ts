import { createHash } from 'node:crypto';
import { type FileHandle, link, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AppError, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { type BlobReadResult, type BlobSource, type BlobStore, isBlobKey, type PutOptions, type PutResult, type VerifyResult } from './blob-store';

const FILE_MODE = 0o640;
const DIR_MODE = 0o750;

/**
 * A `BlobStore` on a local or shared (NFS) filesystem.
 *
 * Layout under `root`: `blobs/ab/cd/abcd…` (two levels of 256 shards keep directories
 * small) and `tmp/` for writes in progress. `tmp/` lives under the same root so that the
 * final step is a same-filesystem link, which is atomic.
 *
 * A put streams the bytes into a temp file while hashing them, fsyncs the file, then
 * hard-links it to its content path (`link` fails rather than replaces when the path
 * exists: a stored blob is never overwritten) and fsyncs the directory so the new name
 * survives a crash. Readers therefore see either no blob or all of it.
 */
export class DiskBlobStore implements BlobStore {
  readonly root: string;
  private readonly blobDir: string;
  private readonly tmpDir: string;
  private ready: Promise<void> | undefined;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.blobDir = path.join(this.root, 'blobs');
    this.tmpDir = path.join(this.root, 'tmp');
  }

  /** Creates the directory layout (idempotent; `put` calls it on first use). */
  init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.blobDir, { recursive: true, mode: DIR_MODE });
      await mkdir(this.tmpDir, { recursive: true, mode: DIR_MODE });
    })().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async put(source: BlobSource, opts: PutOptions = {}): Promise<PutResult> {
    await this.init();
    const tmpPath = path.join(this.tmpDir, `${newId(20)}.tmp`);
    const hash = createHash('sha256');
    let size = 0;
    const fh = await open(tmpPath, 'wx', FILE_MODE);
    try {
      const write = async (chunk: Uint8Array | string) => {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += buf.byteLength;
        if (opts.maxBytes !== undefined && size > opts.maxBytes) {
          throw new AppError('payload_too_large', `Content is larger than ${opts.maxBytes} bytes`);
        }
        hash.update(buf);
        await writeAll(fh, buf);
      };
      if (source instanceof Uint8Array) await write(source);
      else for await (const chunk of source) await write(chunk as Uint8Array | string);
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(tmpPath, { force: true });
      throw err;
    }
    await fh.close();

    const key = hash.digest('hex');
    try {
      if (opts.expectedKey !== undefined && opts.expectedKey !== key) {
        throw new AppError('bad_request', 'Content does not match its expected SHA-256', { details: { expected: opts.expectedKey, actual: key } });
      }
      const dest = this.pathFor(key);
      if (await fileExists(dest)) return { key, size, created: false };
      await this.ensureShard(key);
      let created = true;
      try {
        await link(tmpPath, dest);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') created = false; // a concurrent put of the same bytes won
        else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
          // Filesystems without hard links: rename is still atomic, and since the name is
          // the content hash, replacing an identical file changes nothing a reader sees.
          await rename(tmpPath, dest);
        } else throw err;
      }
      if (created) await fsyncDir(path.dirname(dest));
      return { key, size, created };
    } finally {
      await rm(tmpPath, { force: true });
    }
  }

  async get(key: string): Promise<BlobReadResult> {
    let fh: FileHandle;
    try {
      fh = await open(this.pathFor(key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('Blob');
      throw err;
    }
    try {
      // Size and stream come from the same open file, so they agree even if the blob is
      // purged while it is being read.
      const { size } = await fh.stat();
      return { stream: fh.createReadStream(), size };
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return fileExists(this.pathFor(key));
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathFor(key))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<boolean> {
    const file = this.pathFor(key);
    try {
      await unlink(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    // Shard directories are kept: removing one could race a concurrent put into it.
    await fsyncDir(path.dirname(file));
    return true;
  }

  async verify(key: string): Promise<VerifyResult> {
    let blob: BlobReadResult;
    try {
      blob = await this.get(key);
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found') return 'missing';
      throw err;
    }
    const hash = createHash('sha256');
    for await (const chunk of blob.stream) hash.update(chunk as Buffer);
    return hash.digest('hex') === key ? 'ok' : 'corrupt';
  }

  async *keys(): AsyncIterable<string> {
    for (const a of await listDir(this.blobDir)) {
      for (const b of await listDir(path.join(this.blobDir, a))) {
        for (const name of await listDir(path.join(this.blobDir, a, b))) {
          if (isBlobKey(name) && name.startsWith(a + b)) yield name;
        }
      }
    }
  }

  /**
   * Removes temp files older than `olderThanMs`: what puts interrupted by a crash left
   * behind. Run at start-up or from a periodic maintenance job.
   */
  async sweepTemp(olderThanMs = 60 * 60 * 1000, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await listDir(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      try {
        if (now - (await stat(file)).mtimeMs >= olderThanMs) {
          await rm(file, { force: true });
          removed++;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return removed;
  }

  /** Absolute path of a blob; rejects anything that is not a well-formed key (no traversal). */
  pathFor(key: string): string {
    if (!isBlobKey(key)) throw new AppError('bad_request', 'Invalid blob key');
    return path.join(this.blobDir, key.slice(0, 2), key.slice(2, 4), key);
  }

  private async ensureShard(key: string): Promise<void> {
    const outer = path.join(this.blobDir, key.slice(0, 2));
    const inner = path.join(outer, key.slice(2, 4));
    // mkdir -p reports the first directory it created; new directories need their parent
    // fsynced, or a crash could lose the path to an fsynced blob.
    const created = await mkdir(inner, { recursive: true, mode: DIR_MODE });
    if (created !== undefined) {
      if (created === outer) await fsyncDir(this.blobDir);
      await fsyncDir(outer);
    }
  }
}

async function writeAll(fh: FileHandle, buf: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < buf.byteLength) {
    const { bytesWritten } = await fh.write(buf, offset, buf.byteLength - offset);
    offset += bytesWritten;
  }
}

async function fileExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Makes a directory's entries durable. Some platforms cannot open directories; skip there. */
async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await fh?.close().catch(() => {});
  }
}
