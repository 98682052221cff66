import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSharedData, type PdfManifestEntry, readPdfManifest, sharedData } from '../../src/platform/workers/test-fixtures/shared-data';
import { useTestApp } from '../support/app';
import { apiToken, buildOrg } from '../support/factories';

/**
 * Every file of the hostile PDF corpus (../shared/data/pdfs: malformed, fuzzed, encrypted,
 * scanned, oversized) uploaded through the API and taken through the whole pipeline. The
 * work is CPU-bound and identical on both databases, so this heavy test runs on SQLite only.
 * Measured on a 2-core machine: 241 s for the 88 files (OCR of the scanned pages
 * dominates; the pools' default limits apply, there is no configuration knob to lower them).
 */
const FINAL = ['ready', 'needs_review', 'needs_password', 'failed', 'unsupported'];
/** Processed: readable, its fields possibly waiting for review. */
const PROCESSED = ['ready', 'needs_review'];
// A hang guard, not a speed target (scripts/bench/ingest measures speed).
const BUDGET_MS = 12 * 60_000;

interface Doc {
  id: string;
  name: string;
  status: string;
  pageCount: number | null;
  error?: { code: string; message: string };
}

describe.skipIf(!hasSharedData('pdfs/manifest.json'))('PDF corpus through the pipeline (sqlite)', () => {
  const t = useTestApp('sqlite');
  let manifest: PdfManifestEntry[] = [];
  const ids = new Map<string, string>();
  let token = '';
  let base = '';
  let elapsedMs = 0;
  const started = Date.now();

  const upload = async (name: string, bytes: Uint8Array, type: string) => {
    const form = new FormData();
    form.append('file', new File([Buffer.from(bytes)], name, { type }));
    const res = await t().request('POST', base, { token, body: form });
    expect(res.status, name).toBe(201);
    return (await res.json()) as Doc;
  };
  const get = async (id: string) => (await (await t().request('GET', `${base}/${id}`, { token })).json()) as Doc;

  beforeAll(async () => {
    manifest = readPdfManifest();
    const { org, ownerId } = await buildOrg(t().ctx);
    token = await apiToken(t().ctx, ownerId);
    base = `/api/v1/orgs/${org.slug}/documents`;
    for (const entry of manifest) {
      const bytes = new Uint8Array(readFileSync(path.join(sharedData, 'pdfs', entry.file)));
      const doc = await upload(path.basename(entry.file), bytes, entry.file.endsWith('.pdf') ? 'application/pdf' : 'text/plain');
      ids.set(entry.file, doc.id);
    }
    await t().drainJobs({ timeoutMs: BUDGET_MS });
    elapsedMs = Date.now() - started;
    console.info(`PDF corpus: ${manifest.length} files uploaded and processed in ${(elapsedMs / 1000).toFixed(1)} s`);
  }, BUDGET_MS + 30_000);

  afterAll(() => {
    console.info(`PDF corpus pipeline test: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
  });

  it('brings every file to a final status, with a reason in words when it is not ready', async () => {
    expect(manifest.length).toBe(88);
    const statuses = new Map<string, number>();
    for (const entry of manifest) {
      const doc = await get(ids.get(entry.file)!);
      statuses.set(doc.status, (statuses.get(doc.status) ?? 0) + 1);
      expect(FINAL, `${entry.file} ended ${doc.status}`).toContain(doc.status);
      if (PROCESSED.includes(doc.status)) continue;
      const message = doc.error?.message ?? '';
      expect(message.length, `${entry.file}: "${message}"`).toBeGreaterThan(15);
      // Sentences for people, not stack traces or bare codes.
      expect(message, entry.file).toMatch(/^[A-Z0-9"'(]/);
      expect(message, entry.file).toMatch(/\s/);
      expect(message, entry.file).not.toMatch(/\n\s+at |\bError:|undefined|\[object /);
    }
    console.info(`PDF corpus outcomes: ${JSON.stringify(Object.fromEntries(statuses))}`);
    // The corpus is mostly readable: a pipeline that failed everything would not pass.
    expect((statuses.get('ready') ?? 0) + (statuses.get('needs_review') ?? 0)).toBeGreaterThanOrEqual(50);
  });

  it('counts the same pages as poppler for every ready document poppler could read', async () => {
    let compared = 0;
    for (const entry of manifest.filter((e) => e.pdfinfo_rc === 0)) {
      const doc = await get(ids.get(entry.file)!);
      if (!PROCESSED.includes(doc.status)) continue;
      expect(doc.pageCount, entry.file).toBe(entry.pages);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(45);
  });

  it('says a wrong password is wrong, and unlocks every file whose password is known', async () => {
    const locked = manifest.filter((e) => e.password);
    expect(locked.length).toBeGreaterThanOrEqual(8);
    const waiting: PdfManifestEntry[] = [];
    for (const entry of locked) {
      const doc = await get(ids.get(entry.file)!);
      expect([...PROCESSED, 'needs_password'], entry.file).toContain(doc.status);
      if (doc.status === 'needs_password') waiting.push(entry);
    }
    expect(waiting.length).toBeGreaterThanOrEqual(5);

    const first = ids.get(waiting[0].file)!;
    expect((await t().request('POST', `${base}/${first}/password`, { token, json: { password: 'definitely-not-it' } })).status).toBe(202);
    await t().drainJobs({ timeoutMs: 60_000 });
    expect(await get(first)).toMatchObject({ status: 'needs_password', error: { code: 'wrong_password' } });

    for (const entry of waiting) {
      const res = await t().request('POST', `${base}/${ids.get(entry.file)}/password`, { token, json: { password: entry.password } });
      expect(res.status, entry.file).toBe(202);
    }
    await t().drainJobs({ timeoutMs: 120_000 });
    for (const entry of locked) {
      const doc = await get(ids.get(entry.file)!);
      expect(PROCESSED, `${entry.file}: ${doc.status} ${doc.error?.message}`).toContain(doc.status);
      expect(doc.pageCount, entry.file).toBe(entry.pages);
    }
  }, 200_000);

  it('keeps serving after the whole corpus: the next upload is processed as usual', async () => {
    const text = readFileSync(path.join(sharedData, 'pdfs/pdfjs/text/issue6387.pdf'));
    const doc = await upload('after-the-corpus.pdf', new Uint8Array(text), 'application/pdf');
    await t().drainJobs({ timeoutMs: 60_000 });
    const after = await get(doc.id);
    expect(PROCESSED).toContain(after.status);
    expect(after.pageCount).toBe(1);
  }, 90_000);
});
