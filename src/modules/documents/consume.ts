/**
 * Consume folders: files dropped into `<dataDir>/consume/<org-slug>/` become documents of
 * that organization, uploaded as its oldest owner with origin `consume`.
 *
 * Each scan creates the folders it needs (`<org-slug>/`, `processed/`, `failed/`), then
 * takes every regular top-level file whose size and mtime have not changed since the
 * previous scan (so a file still being copied waits). Hidden files and names of downloads
 * in progress (`*.part`, `*.tmp`, `*.crdownload`, `~$*`) are left alone. A taken file is
 * first renamed into `.consuming/` (an atomic claim, so two processes sharing the folder
 * never ingest it twice), streamed into the blob store, then moved to `processed/`; a file
 * that cannot become a document (empty, too large, unreadable) moves to `failed/` beside
 * `<name>.error.txt` saying why. Nothing is deleted and nothing is overwritten: a name
 * already taken in `processed/` or `failed/` gets a numeric suffix (`scan-1.pdf`).
 */
import { createReadStream } from 'node:fs';
import { link, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Actor } from '../../authz';
import type { Logger } from '../../platform/log/logger';
import { type AppContext, NO_META } from '../../shared/context';
import { AppError } from '../../shared/errors';
import { listAllOrgs, systemActorOf } from '../orgs/org.service';
import { ingestDocument } from './document.service';

/** Sub-folders of an organization's consume folder. */
export const CONSUME_DIRS = { processed: 'processed', failed: 'failed', claim: '.consuming' } as const;

/** A claimed file older than this (by its change time) was left by a crashed process and is put back. */
const STALE_CLAIM_MS = 10 * 60_000;

/** Names that are not (yet) documents: hidden files, partial downloads, office lock files. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('~$') || /\.(part|partial|tmp|temp|crdownload|download)$/i.test(name);
}

/** Why a file could not become a document; written to `failed/<name>.error.txt`. */
class Rejected extends Error {}

/** A read error of the dropped file itself (as opposed to the database or the blob store). */
class ReadFailure extends Error {}

/** Streams a file, marking its read errors so they are told apart from storage errors. */
async function* readFile(file: string): AsyncIterable<Uint8Array> {
  const stream = createReadStream(file);
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (err) {
    throw new ReadFailure(`The file could not be read: ${(err as Error).message}`, { cause: err });
  } finally {
    stream.destroy();
  }
}

const fileKey = (s: { size: number; mtimeMs: number }) => `${s.size}:${s.mtimeMs}`;

/** `name`, or `stem-1.ext`, `stem-2.ext`… : the first for which `taken` is false. */
async function freeName(name: string, taken: (candidate: string) => Promise<boolean>): Promise<string> {
  const ext = path.extname(name);
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name;
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? name : `${stem}-${i}${ext}`;
    if (!(await taken(candidate))) return candidate;
  }
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * Moves `from` into `dir` under its name (suffixed on a clash) without ever replacing a
 * file: `link` fails on an existing name where `rename` would overwrite it.
 */
async function moveInto(from: string, dir: string, name: string, reserve: (candidate: string) => string[] = (c) => [c]): Promise<string> {
  for (;;) {
    const target = await freeName(name, async (c) => (await Promise.all(reserve(c).map((r) => exists(path.join(dir, r))))).some(Boolean));
    try {
      await link(from, path.join(dir, target));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // taken in between: next suffix
      throw err;
    }
    await unlink(from);
    return target;
  }
}

/**
 * Polls every organization's consume folder (`config.consume.pollSeconds`; 0 turns it
 * off). `scan()` runs one pass and is what tests call.
 */
export class ConsumeWatcher {
  private readonly ctx: AppContext;
  private readonly log: Logger;
  /** Size and mtime of each waiting file at the previous scan, by path. */
  private seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private halting = false;

  constructor(ctx: AppContext, opts: { log?: Logger } = {}) {
    this.ctx = ctx;
    this.log = opts.log ?? ctx.log.child({ component: 'consume' });
  }

  /** Starts polling (no-op when pollSeconds is 0); files left claimed by a crash are put back first. */
  start(): void {
    const seconds = this.ctx.config.consume.pollSeconds;
    if (seconds <= 0 || !this.stopped) return;
    this.stopped = false;
    this.halting = false;
    const tick = async () => {
      this.running = this.scan().catch((err) => this.log.error({ err }, 'consume scan failed'));
      await this.running;
      this.running = undefined;
      if (!this.stopped) this.timer = setTimeout(tick, seconds * 1000);
    };
    this.timer = setTimeout(tick, 0);
    this.log.info({ root: this.ctx.config.paths.consume, pollSeconds: seconds }, 'watching consume folders');
  }

  /** Stops polling and waits for a scan in progress (it finishes the file it is on). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halting = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over every organization's folder. */
  async scan(): Promise<void> {
    const orgs = await listAllOrgs(this.ctx);
    const next = new Map<string, string>();
    for (const org of orgs) {
      if (this.halting) break;
      try {
        await this.scanOrg(org, next);
      } catch (err) {
        this.log.error({ err, org: org.slug }, 'consume folder could not be scanned');
      }
    }
    this.seen = next;
  }

  private async scanOrg(org: { id: string; slug: string }, next: Map<string, string>): Promise<void> {
    const dir = path.join(this.ctx.config.paths.consume, org.slug);
    for (const sub of Object.values(CONSUME_DIRS)) await mkdir(path.join(dir, sub), { recursive: true });
    await this.recoverClaims(dir);
    const ready: { name: string; size: number; key: string }[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isFile() || isIgnoredName(entry.name)) continue;
      const file = path.join(dir, entry.name);
      const s = await stat(file).catch(() => undefined);
      if (!s) continue;
      const key = fileKey(s);
      if (this.seen.get(file) === key) ready.push({ name: entry.name, size: s.size, key });
      else next.set(file, key); // new or still changing: look again next scan
    }
    if (!ready.length) return;
    const actor = await this.ownerOf(org.id);
    if (!actor) {
      this.log.warn({ org: org.slug }, 'consume folder has files but the organization has no active owner; leaving them');
      for (const r of ready) next.set(path.join(dir, r.name), r.key); // taken as soon as an owner exists
      return;
    }
    for (const r of ready) {
      if (this.halting) break;
      await this.consumeFile(dir, r, actor, next);
    }
  }

  /** Whom consumed documents belong to: the organization's oldest active owner. */
  private ownerOf(orgId: string): Promise<Actor | undefined> {
    return systemActorOf(this.ctx, orgId);
  }

  private async consumeFile(dir: string, { name, size, key }: { name: string; size: number; key: string }, actor: Actor, next: Map<string, string>): Promise<void> {
    const log = this.log.child({ org: actor.orgId, file: name });
    const claimDir = path.join(dir, CONSUME_DIRS.claim);
    const claimed = path.join(claimDir, name);
    try {
      // rename is atomic: if another process took the file first, ours fails with ENOENT.
      if (await exists(claimed)) return; // an earlier attempt of the same name is still claimed
      await rename(path.join(dir, name), claimed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.error({ err }, 'could not claim a consumed file');
      return;
    }
    try {
      const limit = this.ctx.config.uploads.maxBytes;
      if (size === 0) throw new Rejected('The file is empty.');
      if (size > limit) throw new Rejected(`The file is ${size} bytes, larger than the upload limit of ${limit} bytes (uploads.maxBytes / UPLOAD_MAX_BYTES).`);
      const doc = await ingestDocument({ ...this.ctx, meta: NO_META }, actor, { filename: name, source: readFile(claimed), origin: 'consume' });
      const moved = await moveInto(claimed, path.join(dir, CONSUME_DIRS.processed), name);
      log.info({ documentId: doc.id, size: doc.size, movedTo: `${CONSUME_DIRS.processed}/${moved}` }, 'consumed file');
    } catch (err) {
      const reason = err instanceof Rejected || err instanceof ReadFailure ? err.message
        : err instanceof AppError && (err.code === 'payload_too_large' || err.code === 'validation_failed') ? err.message
        : undefined;
      if (reason === undefined) {
        // Not the file's fault (database or disk trouble): put it back and try again later.
        log.error({ err }, 'consuming a file failed; it stays in the consume folder and is retried');
        await moveInto(claimed, dir, name).then((back) => next.set(path.join(dir, back), key), (e) => log.error({ err: e }, 'could not put a claimed file back'));
        return;
      }
      await this.fail(dir, claimed, name, reason).catch((e) => log.error({ err: e }, 'could not move a rejected file to failed/'));
      log.warn({ reason }, 'consumed file rejected');
    }
  }

  /** Moves a rejected file into `failed/` with `<name>.error.txt` beside it. */
  private async fail(dir: string, from: string, name: string, reason: string): Promise<void> {
    const failedDir = path.join(dir, CONSUME_DIRS.failed);
    const moved = await moveInto(from, failedDir, name, (c) => [c, `${c}.error.txt`]);
    const text = `${moved} could not be added to Folio (${this.ctx.clock.now().toISOString()}):\n${reason}\n`;
    // moveInto chose a name whose .error.txt was free too; 'wx' still never replaces one.
    await writeFile(path.join(failedDir, `${moved}.error.txt`), text, { flag: 'wx' });
  }

  /** Files a crashed process left in `.consuming/` go back to the folder to be taken again. */
  private async recoverClaims(dir: string): Promise<void> {
    const claimDir = path.join(dir, CONSUME_DIRS.claim);
    for (const entry of await readdir(claimDir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const from = path.join(claimDir, entry.name);
      const s = await stat(from).catch(() => undefined);
      // rename sets the change time, so a recent one is a claim another process is working on.
      if (!s || Date.now() - s.ctimeMs < STALE_CLAIM_MS) continue;
      const back = await moveInto(from, dir, entry.name).catch(() => undefined);
      if (back) this.log.warn({ file: back }, 'a file claimed by an interrupted scan was put back to be consumed again');
    }
  }
}
