import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_KEYS } from '../../src/config';
import { createDb, type Database } from '../../src/platform/db/db';
import { buildEml } from '../../src/platform/formats/formats.fixtures';
import { DiskBlobStore } from '../../src/platform/storage';
import { newId } from '../../src/shared/ids';
import { TEST_DATABASE_URL } from '../support/db';
import { PASSWORD } from '../support/factories';
import { makePdf } from '../support/pdf';

/**
 * A real `folio serve` in a child process, killed with SIGKILL while it processes
 * documents, then started again: every document must still reach a final status, with
 * its file intact, its pages written exactly once and its e-mail attachment linked once.
 */
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/folio.mjs');
const FINAL = ['ready', 'needs_review', 'needs_password', 'failed', 'unsupported'];
const run = promisify(execFile);

interface Doc {
  id: string;
  name: string;
  status: string;
  parentId: string | null;
  pageCount: number | null;
}

/** The environment of a child: ours without any Folio setting, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const key of [...Object.keys(ENV_KEYS), 'FOLIO_CONFIG']) delete base[key];
  return { ...base, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', CONSUME_POLL_SECONDS: '0', ...env };
}

/** Starts `folio serve` and resolves with its URL once it listens (it logs the port it got for PORT=0). */
function startFolio(env: NodeJS.ProcessEnv, cwd: string): Promise<{ child: ChildProcess; url: string; exited: Promise<NodeJS.Signals | number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<NodeJS.Signals | number | null>((r) => child.once('exit', (code, signal) => r(signal ?? code)));
  let stderr = '';
  child.stderr!.on('data', (d) => void (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`folio serve did not start within 60 s\n${stderr}`)), 60_000);
    let pending = '';
    child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'Folio is listening' && entry.url) {
            clearTimeout(timer);
            resolve({ child, url: entry.url, exited });
          }
        } catch {
          // not a log line
        }
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`folio serve exited (${how}) before listening\n${stderr}`));
    });
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ten documents: text PDFs of 1 to 40 pages, PDFs of blank pages (OCR, the slow part), an e-mail with a PDF attached. */
function corpus(): { name: string; bytes: Uint8Array; pages: number }[] {
  const text = (n: number, tag: string) => Array.from({ length: n }, (_, i) => [`${tag} page ${i + 1} of ${n}`, `Clause ${i + 1}: the supplier delivers on time.`]);
  const blank = (n: number, tag: string) => [...Array.from({ length: n }, () => [] as string[]), [`${tag}: last page has text`]];
  const files = [
    { name: 'contract-1.pdf', bytes: makePdf(text(1, 'Contract one')), pages: 1 },
    { name: 'contract-12.pdf', bytes: makePdf(text(12, 'Contract twelve')), pages: 12 },
    { name: 'manual-40.pdf', bytes: makePdf(text(40, 'Manual')), pages: 40 },
    { name: 'scan-a.pdf', bytes: makePdf(blank(3, 'Scan A')), pages: 4 },
    { name: 'scan-b.pdf', bytes: makePdf(blank(2, 'Scan B')), pages: 3 },
    { name: 'report-5.pdf', bytes: makePdf(text(5, 'Report')), pages: 5 },
    { name: 'scan-c.pdf', bytes: makePdf(blank(4, 'Scan C')), pages: 5 },
    { name: 'minutes-3.pdf', bytes: makePdf(text(3, 'Minutes')), pages: 3 },
    { name: 'scan-d.pdf', bytes: makePdf(blank(1, 'Scan D')), pages: 2 },
  ];
  const attachment = makePdf(text(2, 'Purchase order PO-9921'));
  files.push({ name: 'order.eml', bytes: buildEml({ subject: 'Purchase order', body: 'The order is attached.', attachment: { filename: 'po-9921.pdf', type: 'application/pdf', bytes: attachment } }), pages: 1 });
  return files;
}

/** Per dialect: the extra environment of the children, how the test opens the same database, cleanup. */
const targets: Record<string, { env(): Promise<Record<string, string>>; open(dataDir: string): Database; cleanup(): Promise<void> }> = {};
{
  const schema = `t_${newId(12)}`;
  targets.sqlite = { env: async () => ({}), open: (dataDir) => createDb(`sqlite:${path.join(dataDir, 'folio.db')}`), cleanup: async () => {} };
  targets.postgres = {
    env: async () => {
      const admin = createDb(TEST_DATABASE_URL, { poolSize: 1 });
      await sql`create schema if not exists ${sql.id(schema)}`.execute(admin.db);
      await admin.destroy();
      const url = new URL(TEST_DATABASE_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return { DATABASE_URL: url.toString() };
    },
    open: () => createDb(TEST_DATABASE_URL, { searchPath: schema, poolSize: 2 }),
    cleanup: async () => {
      const admin = createDb(TEST_DATABASE_URL, { poolSize: 1 });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.destroy();
    },
  };
}

for (const [dialect, target] of Object.entries(targets)) {
  describe(`kill -9 while processing (${dialect})`, () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'folio-kill9-'));
    let env: NodeJS.ProcessEnv = {};
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      env = childEnv({ DATA_DIR: dataDir, ...(await target.env()) });
    });
    afterAll(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await target.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('finishes every document after a restart: files intact, pages once, attachments once', async () => {
      const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { cwd: dataDir, env: { ...env, LOG_LEVEL: 'warn' }, timeout: 60_000 });
      const admin = await cli('create-admin', '--email', 'crash@folio.test', '--password', PASSWORD, '--org', 'Crash Test');
      const slug = /\(\/o\/([^)]+)\)/.exec(admin.stdout)![1];
      const token = (await cli('token', 'create', '--email', 'crash@folio.test')).stdout.trim();
      expect(token).toMatch(/^folio_pat_/);

      const first = await startFolio(env, dataDir);
      children.push(first.child);
      expect(new URL(first.url).hostname).toBe('127.0.0.1');
      const api = (url: string) => `${url}/api/v1/orgs/${slug}/documents`;
      const auth = { Authorization: `Bearer ${token}` };
      const files = corpus();
      const uploaded = new Map<string, (typeof files)[number]>();
      for (const f of files) {
        const form = new FormData();
        form.append('file', new File([Buffer.from(f.bytes)], f.name));
        const res = await fetch(api(first.url), { method: 'POST', headers: auth, body: form, signal: AbortSignal.timeout(30_000) });
        expect(res.status, f.name).toBe(201);
        uploaded.set(((await res.json()) as Doc).id, f);
      }
      const list = async (url: string) => {
        const res = await fetch(`${api(url)}?limit=200`, { headers: auth, signal: AbortSignal.timeout(10_000) });
        return ((await res.json()) as { documents: Doc[] }).documents;
      };

      // Kill while work is under way: some document processing, and not all of them done yet.
      const atKill = await until('a document in processing', 60_000, async () => {
        const docs = await list(first.url);
        const busy = docs.some((d) => d.status === 'processing');
        return busy && docs.some((d) => !FINAL.includes(d.status)) ? docs : undefined;
      });
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      const statusesAtKill = atKill.map((d) => d.status).sort().join(',');

      const second = await startFolio(env, dataDir);
      children.push(second.child);
      // Leases of the killed attempts run out (30 s), the sweeper re-queues them, they run again.
      const docs = await until('every document final', 180_000, async () => {
        const all = await list(second.url);
        return all.length >= files.length + 1 && all.every((d) => FINAL.includes(d.status)) ? all : undefined;
      });
      second.child.kill('SIGTERM');
      expect(await Promise.race([second.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))])).toBe(0);

      // Every document, the attachment included, was processed (ready, or waiting for review of its fields) with the right page count.
      for (const d of docs) expect(['ready', 'needs_review'], `${d.name} ended ${d.status} (statuses at kill: ${statusesAtKill})`).toContain(d.status);
      for (const [id, f] of uploaded) expect(docs.find((d) => d.id === id)?.pageCount, f.name).toBe(f.pages);
      const emlId = [...uploaded].find(([, f]) => f.name === 'order.eml')![0];
      expect(docs.filter((d) => d.parentId === emlId).map((d) => d.name)).toEqual(['po-9921.pdf']);
      expect(docs).toHaveLength(files.length + 1);

      const database = target.open(dataDir);
      try {
        const db = database.db;
        const blobs = new DiskBlobStore(dataDir);
        const versions = await db.selectFrom('document_version').select(['document_id', 'blob_key']).execute();
        expect(versions).toHaveLength(files.length + 1);
        for (const v of versions) expect(await blobs.verify(v.blob_key), v.document_id).toBe('ok');
        const rows = await db.selectFrom('document').select(['id', 'name', 'current_version_id', 'page_count']).execute();
        for (const d of rows) {
          const pages = await db.selectFrom('document_page').select('number').where('version_id', '=', d.current_version_id!).execute();
          const numbers = pages.map((p) => Number(p.number)).sort((a, b) => a - b);
          expect(numbers, d.name).toEqual(Array.from({ length: Number(d.page_count) }, (_, i) => i + 1));
        }
        const stray = await db.selectFrom('document_page').select('version_id').where('version_id', 'not in', rows.map((d) => d.current_version_id!)).execute();
        expect(stray).toEqual([]);
        const jobs = await db.selectFrom('job').select(['status', 'attempts']).execute();
        expect(jobs.filter((j) => j.status !== 'succeeded')).toEqual([]);
        // The kill really interrupted work: at least one job needed a second attempt.
        expect(Math.max(...jobs.map((j) => Number(j.attempts)))).toBeGreaterThanOrEqual(2);
      } finally {
        await database.destroy();
      }
    }, 330_000);
  });
}
