import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSharedData, sharedData } from '../../src/platform/workers/test-fixtures/shared-data';
import { useTestApp } from '../support/app';
import { apiToken, buildOrg } from '../support/factories';

// OCR is CPU-bound and identical on both databases: one dialect is enough here.
const RECEIPT = 'receipts/img/X00016469612.jpg';
const SCANNED_PDF = 'pdfs/ocrmypdf/skew.pdf';

describe.skipIf(!hasSharedData(RECEIPT) || !hasSharedData(SCANNED_PDF))('scans through the pipeline (sqlite)', () => {
  const t = useTestApp('sqlite');

  async function uploadShared(relative: string, type: string) {
    const { org, ownerId } = await buildOrg(t().ctx);
    const token = await apiToken(t().ctx, ownerId);
    const base = `/api/v1/orgs/${org.slug}/documents`;
    const form = new FormData();
    form.append('file', new File([readFileSync(path.join(sharedData, relative))], path.basename(relative), { type }));
    const { id } = await (await t().request('POST', base, { token, body: form })).json();
    return { id, token, base };
  }

  it('reads a photographed receipt with OCR: words with boxes and confidences', async () => {
    const { id, token, base } = await uploadShared(RECEIPT, 'image/jpeg');
    await t().drainJobs({ timeoutMs: 180_000 });
    const doc = await (await t().request('GET', `${base}/${id}`, { token })).json();
    expect(doc).toMatchObject({ kind: 'jpeg', pageCount: 1 });
    expect(['ready', 'needs_review']).toContain(doc.status);
    const text = await (await t().request('GET', `${base}/${id}/text`, { token })).json();
    expect(text.pages[0].source).toBe('ocr');
    expect(text.pages[0].confidence).toBeGreaterThan(50);
    expect(text.pages[0].text.toUpperCase()).toContain('TAMAN DAYA');
    const row = await t().ctx.db.selectFrom('document_page').select('words').where('document_id', '=', id).executeTakeFirstOrThrow();
    const words = JSON.parse(row.words!) as { t: string; c: number; b: number[] }[];
    expect(words.length).toBeGreaterThan(20);
    for (const w of words) {
      expect(w.b.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(w.c).toBeGreaterThanOrEqual(0);
    }
    // The receipt's fields come from the OCR words: classified as a receipt, with its date.
    const x = await (await t().request('GET', `${base}/${id}/extraction`, { token })).json();
    expect(x.type).toBe('receipt');
    expect(x.fields.date).toMatchObject({ page: 1, source: 'model' });
    expect(x.fields.date.normalized).toBe('2018-12-25');
    const preview = await t().request('GET', `${base}/${id}/pages/1/preview`, { token });
    expect(preview.headers.get('Content-Type')).toBe('image/png');
    expect(Buffer.from(await preview.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
  }, 240_000);

  it('OCRs a scanned PDF page that has no text layer', async () => {
    const { id, token, base } = await uploadShared(SCANNED_PDF, 'application/pdf');
    await t().drainJobs({ timeoutMs: 180_000 });
    const doc = await (await t().request('GET', `${base}/${id}`, { token })).json();
    expect(['ready', 'needs_review']).toContain(doc.status);
    const text = await (await t().request('GET', `${base}/${id}/text`, { token })).json();
    expect(text.pages[0].source).toBe('ocr');
    expect(text.pages[0].text.split(/\s+/).filter((w: string) => /^[a-z]{3,}$/i.test(w)).length).toBeGreaterThan(20);
  }, 240_000);
});
