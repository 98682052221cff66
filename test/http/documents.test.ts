import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db';
import { useTestApp } from '../support/app';
import { apiToken, buildMember, buildOrg } from '../support/factories';
import { makeHugePngHeader, makePdf } from '../support/pdf';
import { buildDocx, buildEml, buildXlsx } from '../../src/platform/formats/formats.fixtures';

function upload(name: string, bytes: Uint8Array | string, type = 'application/octet-stream', fields: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new File([typeof bytes === 'string' ? bytes : Buffer.from(bytes)], name, { type }));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

for (const dialect of DIALECTS) {
  describe(`document library (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { uploads: { maxBytes: 200_000 } } });

    async function owner() {
      const { org, ownerId } = await buildOrg(t().ctx);
      return { org, ownerId, token: await apiToken(t().ctx, ownerId), base: `/api/v1/orgs/${org.slug}/documents` };
    }

    it('uploads a text PDF, processes it to ready with its text per page, and serves the file back', async () => {
      const { token, base } = await owner();
      const pdf = makePdf([['Invoice 2041 from Northwind Traders', 'Total due: 1,250.00 EUR'], ['Page two talks about delivery terms']]);
      const res = await t().request('POST', base, { token, body: upload('invoice 2041.pdf', pdf, 'application/pdf', { tags: 'Finance, invoices' }) });
      expect(res.status).toBe(201);
      const { id, status } = await res.json();
      expect(status).toBe('queued');
      await t().drainJobs();
      const doc = await (await t().request('GET', `${base}/${id}`, { token })).json();
      expect(['ready', 'needs_review']).toContain(doc.status);
      expect(doc).toMatchObject({ id, name: 'invoice 2041.pdf', pageCount: 2, kind: 'pdf', mime: 'application/pdf', tags: ['finance', 'invoices'] });
      expect(doc.versions).toEqual([expect.objectContaining({ number: 1, current: true })]);
      const text = await (await t().request('GET', `${base}/${id}/text`, { token })).json();
      expect(text.pages.map((p: { number: number }) => p.number)).toEqual([1, 2]);
      expect(text.pages[0].text).toContain('Northwind Traders');
      expect(text.pages[0].source).toBe('text');
      expect(text.pages[1].text).toContain('delivery terms');
      const file = await t().request('GET', `${base}/${id}/file`, { token });
      expect(file.headers.get('Content-Type')).toBe('application/pdf');
      expect(file.headers.get('Content-Disposition')).toBe(`attachment; filename="invoice 2041.pdf"; filename*=UTF-8''invoice%202041.pdf`);
      expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(pdf))).toBe(true);
    });

    it('reads office files and e-mails; an e-mail attachment becomes a linked document of its own', async () => {
      const { token, base } = await owner();
      const docx = await (await t().request('POST', base, { token, body: upload('minutes.docx', buildDocx(['Board minutes of the spring meeting', 'The budget was approved.'])) })).json();
      const xlsx = await (await t().request('POST', base, { token, body: upload('budget.xlsx', buildXlsx([{ name: 'Q1', rows: [['Item', 'Cost'], ['Servers', 4200]] }])) })).json();
      const attachment = makePdf([['Attached purchase order PO-7781']]);
      const eml = await (await t().request('POST', base, { token, body: upload('order.eml', buildEml({ subject: 'Purchase order', body: 'Please find the order attached.', attachment: { filename: 'po-7781.pdf', type: 'application/pdf', bytes: attachment } })) })).json();
      await t().drainJobs();
      const text = async (id: string) => (await (await t().request('GET', `${base}/${id}/text`, { token })).json()).pages.map((p: { text: string }) => p.text).join('\n');
      expect(await text(docx.id)).toContain('The budget was approved.');
      expect(await text(xlsx.id)).toContain('Servers');
      expect(await text(eml.id)).toContain('Please find the order attached.');
      const all = (await (await t().request('GET', base, { token })).json()).documents;
      const child = all.find((d: { parentId: string | null }) => d.parentId === eml.id);
      expect(child).toMatchObject({ name: 'po-7781.pdf', status: 'ready', source: 'attachment', kind: 'pdf' });
      expect(await text(child.id)).toContain('PO-7781');
    });

    it('keeps every version downloadable and processes the new one', async () => {
      const { token, base } = await owner();
      const { id } = await (await t().request('POST', base, { token, body: upload('notes.txt', 'first draft of the notes') })).json();
      const v2 = await t().request('POST', `${base}/${id}/versions`, { token, body: upload('notes.txt', 'second draft, much better') });
      expect(v2.status).toBe(201);
      await t().drainJobs();
      const doc = await (await t().request('GET', `${base}/${id}`, { token })).json();
      expect(doc.versions.map((v: { number: number; current: boolean }) => [v.number, v.current])).toEqual([[2, true], [1, false]]);
      expect((await (await t().request('GET', `${base}/${id}/text`, { token })).json()).pages[0].text).toContain('second draft');
      expect(await (await t().request('GET', `${base}/${id}/file?version=1`, { token })).text()).toBe('first draft of the notes');
      expect((await t().request('GET', `${base}/${id}/file?version=9`, { token })).status).toBe(404);
    });

    it('marks what it cannot read as unsupported with the real type, and corrupt PDFs as failed with a reason', async () => {
      const { token, base } = await owner();
      const gif = await (await t().request('POST', base, { token, body: upload('photo.pdf', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'application/pdf') })).json();
      const bad = await (await t().request('POST', base, { token, body: upload('broken.pdf', '%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> garbage garbage', 'application/pdf') })).json();
      await t().drainJobs();
      const g = await (await t().request('GET', `${base}/${gif.id}`, { token })).json();
      expect(g.status).toBe('unsupported');
      expect(g.error.message).toMatch(/Unsupported type: detected .*GIF/i);
      const b = await (await t().request('GET', `${base}/${bad.id}`, { token })).json();
      expect(b.status).toBe('failed');
      expect(b.error.message.length).toBeGreaterThan(10);
      // The uploaded bytes are kept even though they could not be processed.
      expect((await t().request('GET', `${base}/${gif.id}/file`, { token })).status).toBe(200);
    });

    it('fails a 35000 × 35000 image bomb cleanly while the next document still processes', async () => {
      const { token, base } = await owner();
      const bomb = await (await t().request('POST', base, { token, body: upload('bomb.png', makeHugePngHeader(35_000, 35_000), 'image/png') })).json();
      const after = await (await t().request('POST', base, { token, body: upload('after.txt', 'still working fine') })).json();
      await t().drainJobs();
      const b = await (await t().request('GET', `${base}/${bomb.id}`, { token })).json();
      expect(b.status).toBe('failed');
      expect(b.error.message).toMatch(/35000|too large|pixels/i);
      expect((await (await t().request('GET', `${base}/${after.id}`, { token })).json()).status).toBe('ready');
    });

    it('refuses uploads over the size limit, without a file, and empty files, with clear messages', async () => {
      const { token, base } = await owner();
      const big = await t().request('POST', base, { token, body: upload('big.txt', 'x'.repeat(300_000)) });
      expect(big.status).toBe(413);
      expect((await big.json()).error.message).toContain('limit');
      const none = await t().request('POST', base, { token, json: { name: 'x' } });
      expect(none.status).toBe(415);
      const empty = await t().request('POST', base, { token, body: upload('empty.txt', '') });
      expect(empty.status).toBe(400);
      expect((await empty.json()).error.message).toBe('The file is empty.');
    });

    it('lists with filters, folders including sub-folders, sorting and pagination', async () => {
      const { token, base, org } = await owner();
      const fbase = `/api/v1/orgs/${org.slug}/folders`;
      const finance = await (await t().request('POST', fbase, { token, json: { name: 'Finance' } })).json();
      const y2026 = await (await t().request('POST', fbase, { token, json: { name: '2026', parentId: finance.id } })).json();
      expect(y2026.path).toEqual(['Finance', '2026']);
      for (const [name, folder] of [['a.txt', finance.id], ['b.txt', y2026.id], ['c.txt', '']]) {
        await t().request('POST', base, { token, body: upload(name, `content of ${name}`, 'text/plain', folder ? { folder, tags: name === 'b.txt' ? 'q1' : '' } : {}) });
      }
      const inFinance = await (await t().request('GET', `${base}?folder=${finance.id}&sort=name`, { token })).json();
      expect(inFinance.documents.map((d: { name: string }) => d.name)).toEqual(['a.txt', 'b.txt']);
      expect((await (await t().request('GET', `${base}?folder=root`, { token })).json()).documents.map((d: { name: string }) => d.name)).toEqual(['c.txt']);
      expect((await (await t().request('GET', `${base}?tag=q1`, { token })).json()).documents.map((d: { name: string }) => d.name)).toEqual(['b.txt']);
      const page2 = await (await t().request('GET', `${base}?sort=name&order=desc&limit=2&page=2`, { token })).json();
      expect(page2).toMatchObject({ total: 3, page: 2, limit: 2 });
      expect(page2.documents.map((d: { name: string }) => d.name)).toEqual(['a.txt']);
      expect((await t().request('GET', `${base}?limit=5000`, { token })).status).toBe(400);
    });

    it('renames, moves, trashes, restores and purges; purging removes the file from storage', async () => {
      const { token, base, org } = await owner();
      const folder = await (await t().request('POST', `/api/v1/orgs/${org.slug}/folders`, { token, json: { name: 'Archive' } })).json();
      const { id } = await (await t().request('POST', base, { token, body: upload('old.txt', 'an old and unique memo 8c1f') })).json();
      const patched = await (await t().request('PATCH', `${base}/${id}`, { token, json: { name: 'memo.txt', folderId: folder.id, tags: ['Old'] } })).json();
      expect(patched).toMatchObject({ name: 'memo.txt', folderId: folder.id, folderPath: ['Archive'], tags: ['old'] });
      expect((await t().request('DELETE', `${base}/${id}?purge=true`, { token })).status).toBe(409);
      expect((await t().request('DELETE', `${base}/${id}`, { token })).status).toBe(204);
      expect((await (await t().request('GET', base, { token })).json()).documents.some((d: { id: string }) => d.id === id)).toBe(false);
      expect((await (await t().request('GET', `${base}?trash=1`, { token })).json()).documents.map((d: { id: string }) => d.id)).toEqual([id]);
      expect((await t().request('POST', `${base}/${id}/restore`, { token })).status).toBe(200);
      const key = (await t().ctx.db.selectFrom('document_version').select('blob_key').where('document_id', '=', id).executeTakeFirstOrThrow()).blob_key;
      expect(await t().blobs.exists(key)).toBe(true);
      await t().request('DELETE', `${base}/${id}`, { token });
      expect((await t().request('DELETE', `${base}/${id}?purge=true`, { token })).status).toBe(204);
      expect((await t().request('GET', `${base}/${id}`, { token })).status).toBe(404);
      expect(await t().blobs.exists(key)).toBe(false);
    });

    it('bulk moves, tags and trashes; members change only their own documents, viewers none', async () => {
      const { token, base, org } = await owner();
      const member = await buildMember(t().ctx, org.id, 'member');
      const viewer = await buildMember(t().ctx, org.id, 'viewer');
      const memberToken = await apiToken(t().ctx, member.id);
      const viewerToken = await apiToken(t().ctx, viewer.id);
      const mine = await (await t().request('POST', base, { token: memberToken, body: upload('mine.txt', 'member notes') })).json();
      const theirs = await (await t().request('POST', base, { token, body: upload('owner.txt', 'owner notes') })).json();
      expect((await t().request('PATCH', `${base}/${theirs.id}`, { token: memberToken, json: { name: 'x' } })).status).toBe(403);
      expect((await t().request('PATCH', `${base}/${mine.id}`, { token: memberToken, json: { name: 'mine-renamed.txt' } })).status).toBe(200);
      expect((await t().request('POST', base, { token: viewerToken, body: upload('v.txt', 'viewer') })).status).toBe(403);
      expect((await t().request('GET', `${base}/${theirs.id}`, { token: viewerToken })).status).toBe(200);
      const folder = await (await t().request('POST', `/api/v1/orgs/${org.slug}/folders`, { token, json: { name: 'Bulk' } })).json();
      expect((await t().request('POST', `${base}/bulk`, { token: memberToken, json: { ids: [mine.id, theirs.id], action: 'move', folderId: folder.id } })).status).toBe(403);
      const moved = await t().request('POST', `${base}/bulk`, { token, json: { ids: [mine.id, theirs.id], action: 'move', folderId: folder.id } });
      expect(await moved.json()).toEqual({ updated: 2 });
      await t().request('POST', `${base}/bulk`, { token, json: { ids: [mine.id, theirs.id], action: 'tag', tags: ['Batch'] } });
      const listed = await (await t().request('GET', `${base}?folder=${folder.id}&tag=batch`, { token })).json();
      expect(listed.total).toBe(2);
      await t().request('POST', `${base}/bulk`, { token, json: { ids: [mine.id, theirs.id], action: 'trash' } });
      expect((await (await t().request('GET', `${base}?folder=${folder.id}`, { token })).json()).total).toBe(0);
    });
  });
}
