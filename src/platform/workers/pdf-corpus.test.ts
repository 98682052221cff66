import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPools, WorkerTaskError } from './pools';
import type { PdfParseResult } from './tasks/pdf.task';
import { hasSharedData, readPdfManifest, readShared, type PdfManifestEntry } from './test-fixtures/shared-data';

const available = hasSharedData('pdfs/manifest.json');

/**
 * Files poppler opens but pdfjs asks a password for: only their embedded files are
 * encrypted (crypt filter for attachments / EFOpen), and pdfjs refuses the whole document.
 */
const ENCRYPTED_ATTACHMENTS = new Set(['pdfjs/malformed/auth-event-ef-open.pdf', 'pdfjs/malformed/encrypted-attachment.pdf']);

/** Longest any single corpus file may take to reach an outcome. */
const PER_FILE_MS = 30_000;

type Outcome = PdfParseResult | { kind: 'task_error'; code: string; message: string };

describe.skipIf(!available)('PDF corpus (../shared/data/pdfs)', () => {
  const pools = new WorkerPools({ pdf: { threads: 2 } });
  let manifest: PdfManifestEntry[] = [];
  const outcomes = new Map<string, Outcome>();
  let elapsedMs = 0;

  const parse = async (entry: PdfManifestEntry, password?: string): Promise<Outcome> => {
    try {
      return await pools.parsePdf({ bytes: readShared(`pdfs/${entry.file}`), password }, { timeoutMs: PER_FILE_MS });
    } catch (err) {
      if (err instanceof WorkerTaskError) return { kind: 'task_error', code: err.code, message: err.message };
      throw err;
    }
  };

  beforeAll(async () => {
    manifest = readPdfManifest();
    const started = Date.now();
    await Promise.all(manifest.map(async (e) => outcomes.set(e.file, await parse(e))));
    elapsedMs = Date.now() - started;
  }, 240_000);
  afterAll(() => pools.close({ force: true }));

  it('brings every file to a clear outcome within the time bound', () => {
    expect(manifest.length).toBe(88);
    for (const entry of manifest) {
      const outcome = outcomes.get(entry.file)!;
      expect(['parsed', 'needs_password', 'wrong_password', 'error'], entry.file).toContain(outcome.kind);
      if (outcome.kind === 'error') expect(outcome.message.length, entry.file).toBeGreaterThan(15);
    }
    expect(elapsedMs).toBeLessThan(120_000);
  });

  it('counts the same pages as poppler wherever poppler could read the file', () => {
    for (const entry of manifest.filter((e) => e.pdfinfo_rc === 0)) {
      const outcome = outcomes.get(entry.file)!;
      if (outcome.kind === 'needs_password') {
        const explained = entry.encrypted || entry.password || entry.owner_password || ENCRYPTED_ATTACHMENTS.has(entry.file);
        expect(explained, `${entry.file} unexpectedly asks for a password`).toBeTruthy();
        continue;
      }
      expect(outcome.kind, entry.file).toBe('parsed');
      if (outcome.kind === 'parsed') expect(outcome.pageCount, entry.file).toBe(entry.pages);
    }
  });

  it('unlocks every file whose password is known, and says when a password is wrong', async () => {
    const locked = manifest.filter((e) => e.password || e.owner_password);
    expect(locked.length).toBeGreaterThanOrEqual(9);
    for (const entry of locked) {
      const outcome = await parse(entry, (entry.password ?? entry.owner_password)!);
      expect(outcome.kind, entry.file).toBe('parsed');
      if (outcome.kind === 'parsed') {
        expect(outcome.pageCount, entry.file).toBe(entry.pages);
        expect(outcome.encrypted, entry.file).toBe(true);
      }
    }
    const needing = locked.find((e) => outcomes.get(e.file)?.kind === 'needs_password')!;
    expect((await parse(needing, 'definitely-not-it')).kind).toBe('wrong_password');
  });

  it('routes text pages and scanned pages apart', () => {
    for (const entry of manifest) {
      const outcome = outcomes.get(entry.file)!;
      if (outcome.kind !== 'parsed') continue;
      const usable = outcome.pages.filter((p) => p.usable).length;
      if (entry.category === 'text_layer') expect(usable, entry.file).toBeGreaterThan(0);
      if (entry.category === 'scanned') expect(usable, entry.file).toBe(0);
    }
    const text = outcomes.get('pdfjs/text/tracemonkey.pdf');
    expect(text?.kind).toBe('parsed');
    if (text?.kind === 'parsed') {
      const first = text.pages[0];
      expect(first.text).toContain('Trace-based Just-in-Time Type Specialization');
      const word = first.words.find((w) => w.text === 'Trace-based')!;
      expect(word.box.y).toBeLessThan(0.15); // title at the top of the page
      expect(word.box.w).toBeGreaterThan(0.05);
      expect(first.width).toBeCloseTo(612, 0);
    }
  });

  it('reports damaged files with a readable reason', () => {
    const invalid = outcomes.get('ocrmypdf/invalid.pdf');
    expect(invalid).toMatchObject({ kind: 'error', code: 'corrupt' });
    expect(outcomes.get('ocrmypdf/linn.txt')).toMatchObject({ kind: 'error', code: 'not_pdf' });
    const partial = outcomes.get('pdfjs/malformed/poppler-90-0-fuzzed.pdf');
    expect(partial?.kind).toBe('parsed');
    if (partial?.kind === 'parsed') {
      const broken = partial.pages.filter((p) => p.error);
      expect(broken.length).toBeGreaterThan(0);
      expect(broken[0].error!.message).toMatch(/^Page \d+ cannot be read/);
    }
  });

  it('refuses to render oversized embedded images instead of exhausting memory', async () => {
    for (const file of ['ocrmypdf/enormous.pdf', 'ocrmypdf/hugemono.pdf']) {
      const result = await pools.renderPdfPages({ bytes: readShared(`pdfs/${file}`), pages: [1] }, { timeoutMs: PER_FILE_MS });
      expect(result.kind, file).toBe('pages');
      if (result.kind === 'pages') {
        expect(result.pages[0], file).toMatchObject({ kind: 'error', code: 'image_too_large' });
      }
    }
  });

  it('renders the decompression bomb and a poster-size page within the pixel budget', async () => {
    for (const file of ['pdfjs/malformed/bomb_giant.pdf', 'ocrmypdf/poster.pdf']) {
      const result = await pools.renderPdfPages({ bytes: readShared(`pdfs/${file}`), pages: [1] }, { timeoutMs: PER_FILE_MS });
      expect(result.kind, file).toBe('pages');
      const page = result.kind === 'pages' ? result.pages[0] : undefined;
      expect(page?.kind, file).toBe('rendered');
      if (page?.kind === 'rendered') {
        expect(page.image.width * page.image.height, file).toBeLessThanOrEqual(12_000_000);
        expect(page.image.width * page.image.height, file).toBeGreaterThan(4_000_000);
        expect(page.image.data.length, file).toBe(page.image.width * page.image.height);
      }
    }
    // The pool is still serving after all of the above.
    const again = await pools.parsePdf({ bytes: readShared('pdfs/pdfjs/text/issue6387.pdf') });
    expect(again.kind).toBe('parsed');
  });
});
