import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db';
import { useTestApp } from '../support/app';
import { apiToken, buildMember, buildOrg, sessionCookie } from '../support/factories';
import { makePdf } from '../support/pdf';

function files(list: [name: string, content: Uint8Array | string, type?: string][], fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, content, type] of list) form.append('file', new File([typeof content === 'string' ? content : Buffer.from(content)], name, { type: type ?? 'text/plain' }));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

/** Document names in table order. */
function names(html: string): string[] {
  return [...html.matchAll(/class="docname">([^<]+)</g)].map((m) => m[1]);
}

/** A urlencoded body where a key may repeat (checkboxes). */
function formBody(pairs: [string, string][]) {
  return { body: new URLSearchParams(pairs).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } };
}

for (const dialect of DIALECTS) {
  describe(`document library pages (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { uploads: { maxBytes: 200_000 } } });

    async function setup() {
      const { org, ownerId } = await buildOrg(t().ctx);
      const cookie = await sessionCookie(t().ctx, ownerId);
      const token = await apiToken(t().ctx, ownerId);
      const lib = `/o/${org.slug}/documents`;
      const api = `/api/v1/orgs/${org.slug}`;
      const get = async (path: string, c = cookie) => {
        const res = await t().request('GET', path, { cookie: c });
        return { status: res.status, html: await res.text(), res };
      };
      const upload = async (name: string, content: Uint8Array | string, fields: Record<string, string> = {}, type?: string) =>
        (await (await t().request('POST', `${api}/documents`, { token, body: files([[name, content, type]], fields) })).json()).id as string;
      const folder = async (name: string, parentId?: string) => (await (await t().request('POST', `${api}/folders`, { token, json: { name, parentId } })).json()).id as string;
      const doc = async (id: string) => (await t().request('GET', `${api}/documents/${id}`, { token })).json();
      return { org, ownerId, cookie, token, lib, api, get, upload, folder, doc };
    }

    it('lists documents with live status rows, and honours folders, tags, status, search, sorting and pages', async () => {
      const s = await setup();
      const finance = await s.folder('Finance');
      const y2026 = await s.folder('2026', finance);
      const a = await s.upload('alpha.txt', 'alpha notes', { folder: finance, tags: 'q1' });
      await s.upload('bravo.txt', 'bravo notes', { folder: y2026 });
      await s.upload('charlie.txt', 'charlie notes');

      const before = await s.get(s.lib);
      expect(before.status).toBe(200);
      expect(names(before.html).sort()).toEqual(['alpha.txt', 'bravo.txt', 'charlie.txt']);
      expect(before.html).toContain('status--queued');
      // Queued rows poll their own fragment.
      expect(before.html).toContain(`hx-get="${s.lib}/${a}/row"`);
      expect(before.html).toContain('aria-current="page" class="folderlink folderlink--all"');

      await t().drainJobs();
      const after = await s.get(s.lib);
      expect(after.html).not.toContain('status--queued');
      expect(after.html.match(/status--ready/g)).toHaveLength(3);
      expect(after.html).not.toContain('hx-trigger="every 2s"');
      const row = await s.get(`${s.lib}/${a}/row`);
      expect(row.html.startsWith('<tr')).toBe(true);
      expect(row.html).toContain('Ready');
      expect(row.html).not.toContain('hx-get');

      expect(names((await s.get(`${s.lib}?folder=${finance}&sort=name`)).html)).toEqual(['alpha.txt', 'bravo.txt']);
      expect(names((await s.get(`${s.lib}?folder=root`)).html)).toEqual(['charlie.txt']);
      expect(names((await s.get(`${s.lib}?tag=q1`)).html)).toEqual(['alpha.txt']);
      expect(names((await s.get(`${s.lib}?q=RAV`)).html)).toEqual(['bravo.txt']);
      expect(names((await s.get(`${s.lib}?status=failed`)).html)).toEqual([]);
      expect((await s.get(`${s.lib}?status=failed`)).html).toContain('No documents match these filters.');
      expect(names((await s.get(`${s.lib}?sort=name&order=desc`)).html)).toEqual(['charlie.txt', 'bravo.txt', 'alpha.txt']);

      const p2 = (await s.get(`${s.lib}?sort=name&limit=2&page=2`)).html;
      expect(names(p2)).toEqual(['charlie.txt']);
      expect(p2).toContain('3 documents');
      expect(p2).toContain('Page 2 of 2');
      expect(p2).toContain(`href="${s.lib}?sort=name&amp;limit=2" rel="prev"`);
      expect(p2).not.toContain('rel="next"');
      expect((await s.get(`${s.lib}?limit=5000`)).status).toBe(400);
    });

    it('uploads many files through the plain form and redirects back to the folder', async () => {
      const s = await setup();
      const inbox = await s.folder('Inbox');
      const res = await t().request('POST', `${s.lib}/upload`, { cookie: s.cookie, body: files([['one.txt', 'first file'], ['two.txt', 'second file']], { folder: inbox, tags: 'Scans, 2026' }) });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe(`${s.lib}?folder=${inbox}`);
      expect(res.headers.getSetCookie().some((c) => c.startsWith('folio_flash=') && c.includes('2%20documents'))).toBe(true);
      const list = await (await t().request('GET', `${s.api}/documents?folder=${inbox}&sort=name`, { token: s.token })).json();
      expect(list.documents.map((d: { name: string; tags: string[]; source: string }) => [d.name, d.tags, d.source])).toEqual([
        ['one.txt', ['2026', 'scans'], 'upload'],
        ['two.txt', ['2026', 'scans'], 'upload'],
      ]);
    });

    it('answers an upload made by script with JSON, errors included', async () => {
      const s = await setup();
      const res = await t().request('POST', `${s.lib}/upload`, { cookie: s.cookie, headers: { Accept: 'application/json' }, body: files([['scripted.txt', 'sent by XHR']]) });
      expect(res.status).toBe(201);
      const body = await res.json();
      expect(body.documents).toEqual([expect.objectContaining({ name: 'scripted.txt', status: 'queued', url: `${s.lib}/${body.documents[0].id}` })]);
      const empty = await t().request('POST', `${s.lib}/upload`, { cookie: s.cookie, headers: { Accept: 'application/json' }, body: files([['empty.txt', '']]) });
      expect(empty.status).toBe(400);
      expect((await empty.json()).error.message).toBe('The file is empty.');
      // Without the Origin of a Folio page the upload is refused.
      const forged = await t().request('POST', `${s.lib}/upload`, { cookie: s.cookie, headers: { Origin: 'https://evil.example', Accept: 'application/json' }, body: files([['x.txt', 'x']]) });
      expect(forged.status).toBe(403);
    });

    it('shows a processed document with page previews, text per page, versions and a new version', async () => {
      const s = await setup();
      const id = await s.upload('invoice.pdf', makePdf([['Invoice 2041 from Northwind Traders'], ['Delivery terms on page two']]), { tags: 'finance' }, 'application/pdf');
      const live = await s.get(`${s.lib}/${id}`);
      expect(live.html).toContain(`hx-get="${s.lib}/${id}/status"`);
      await t().drainJobs();
      const status = await t().request('GET', `${s.lib}/${id}/status`, { cookie: s.cookie, headers: { 'HX-Request': 'true' } });
      expect(status.headers.get('HX-Refresh')).toBe('true');

      const { html } = await s.get(`${s.lib}/${id}`);
      expect(html).toContain('<h1>invoice.pdf</h1>');
      expect(html).toContain('status--ready');
      expect(html).not.toContain('hx-trigger="every 2s"');
      expect(html).toContain('Invoice 2041 from Northwind Traders');
      expect(html).toContain('Delivery terms on page two');
      expect(html).toContain('Text layer');
      expect(html).toContain(`src="${s.api}/documents/${id}/pages/2/preview" loading="lazy"`);
      expect(html).toContain(`href="${s.api}/documents/${id}/file?version=1"`);
      expect(html).toMatch(/<dt>Pages<\/dt><dd>2<\/dd>/);
      expect(html).toContain('application/pdf');

      const v2 = await t().request('POST', `${s.lib}/${id}/versions`, { cookie: s.cookie, body: files([['invoice-v2.txt', 'Corrected invoice text']]) });
      expect(v2.status).toBe(303);
      expect(v2.headers.get('Location')).toBe(`${s.lib}/${id}`);
      await t().drainJobs();
      const again = (await s.get(`${s.lib}/${id}`)).html;
      expect(again).toContain('Corrected invoice text');
      expect(again).toContain(`href="${s.api}/documents/${id}/file?version=2"`);
      expect(again).toMatch(/<td class="vnum">2<span class="badge badge--current">current<\/span><\/td><td>invoice-v2.txt<\/td>/);
      // Text documents have no page images.
      expect(again).not.toContain('/preview"');
    });

    it('renames, moves and retags from the document page, then trashes, restores and deletes for good', async () => {
      const s = await setup();
      const archive = await s.folder('Archive');
      const id = await s.upload('memo.txt', 'a memo');
      const saved = await t().request('POST', `${s.lib}/${id}/update`, { cookie: s.cookie, form: { name: 'Memo 2026.txt', folderId: archive, tags: 'Old, memo' } });
      expect(saved.status).toBe(303);
      expect(await s.doc(id)).toMatchObject({ name: 'Memo 2026.txt', folderId: archive, tags: ['memo', 'old'] });
      expect((await s.get(`${s.lib}/${id}`)).html).toContain('<dd>Archive</dd>');

      expect((await t().request('POST', `${s.lib}/${id}/trash`, { cookie: s.cookie })).status).toBe(303);
      const trashed = (await s.get(`${s.lib}/${id}`)).html;
      expect(trashed).toContain('This document is in the trash.');
      expect(trashed).toContain(`action="${s.lib}/${id}/purge"`);
      expect(trashed).toContain('data-confirm="Delete Memo 2026.txt');
      expect(names((await s.get(`${s.lib}?trash=1`)).html)).toEqual(['Memo 2026.txt']);
      expect((await t().request('POST', `${s.lib}/${id}/restore`, { cookie: s.cookie })).status).toBe(303);
      expect((await s.get(`${s.lib}/${id}`)).html).not.toContain('/purge"');
      // Deleting for good needs the trash first.
      expect((await t().request('POST', `${s.lib}/${id}/purge`, { cookie: s.cookie })).status).toBe(409);
      await t().request('POST', `${s.lib}/${id}/trash`, { cookie: s.cookie });
      const purged = await t().request('POST', `${s.lib}/${id}/purge`, { cookie: s.cookie });
      expect(purged.headers.get('Location')).toBe(`${s.lib}?trash=1`);
      expect((await s.get(`${s.lib}/${id}`)).status).toBe(404);
    });

    it('asks for the password of a protected PDF, shows why the last one failed, and re-queues on submit', async () => {
      const s = await setup();
      const id = await s.upload('locked.pdf', 'stand-in bytes');
      await t().drainJobs();
      await t().ctx.db.updateTable('document').set({ status: 'needs_password', error_code: 'wrong_password', error_message: 'That password did not open the PDF. Try again.' }).where('id', '=', id).execute();
      const { html } = await s.get(`${s.lib}/${id}`);
      expect(html).toContain('status--needs_password');
      expect(html).toContain('That password did not open the PDF. Try again.');
      expect(html).toContain(`action="${s.lib}/${id}/password"`);
      expect(html).toMatch(/<input id="f-password" name="password" type="password"/);
      const res = await t().request('POST', `${s.lib}/${id}/password`, { cookie: s.cookie, form: { password: 'open sesame' } });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe(`${s.lib}/${id}`);
      expect(await s.doc(id)).toMatchObject({ status: 'queued', progress: { step: 'queued', percent: 0 } });
      const row = await t().ctx.db.selectFrom('document').select('pending_password').where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.pending_password).toBe('open sesame');
      const page = (await s.get(`${s.lib}/${id}`)).html;
      expect(page).not.toContain('/password"');
      expect(page).toContain(`hx-get="${s.lib}/${id}/status"`);
      // Only a document that waits for a password takes one.
      expect((await t().request('POST', `${s.lib}/${id}/password`, { cookie: s.cookie, form: { password: 'again' } })).status).toBe(409);
      await t().drainJobs();
    });

    it('offers Retry for a failed document and re-queues it', async () => {
      const s = await setup();
      const id = await s.upload('broken.pdf', '%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> garbage garbage', {}, 'application/pdf');
      await t().drainJobs();
      const { html } = await s.get(`${s.lib}/${id}`);
      expect(html).toContain('status--failed');
      expect(html).toContain('Processing failed.');
      expect(html).toContain(`action="${s.lib}/${id}/retry"`);
      expect((await s.get(`${s.lib}/${(await s.upload('fine.txt', 'fine'))}`)).html).not.toContain('/retry"');
      const res = await t().request('POST', `${s.lib}/${id}/retry`, { cookie: s.cookie });
      expect(res.status).toBe(303);
      expect((await s.doc(id)).status).toBe('queued');
      await t().drainJobs();
      expect((await s.doc(id)).status).toBe('failed');
    });

    it('shows viewers the library and documents without any upload, edit or delete control', async () => {
      const s = await setup();
      const id = await s.upload('shared.txt', 'for everyone to read');
      await t().drainJobs();
      const viewer = await buildMember(t().ctx, s.org.id, 'viewer');
      const vc = await sessionCookie(t().ctx, viewer.id);
      const lib = await s.get(s.lib, vc);
      expect(lib.status).toBe(200);
      expect(names(lib.html)).toEqual(['shared.txt']);
      for (const control of ['data-upload', 'id="bulk"', 'type="checkbox"', '/documents/folders"', 'Create folder']) expect(lib.html).not.toContain(control);
      const doc = await s.get(`${s.lib}/${id}`, vc);
      expect(doc.html).toContain('for everyone to read');
      expect(doc.html).toContain('Download');
      for (const control of ['/update"', '/trash"', '/versions"', '/purge"', 'Save changes']) expect(doc.html).not.toContain(control);
      // The controls are missing because the actions are refused.
      expect((await t().request('POST', `${s.lib}/upload`, { cookie: vc, body: files([['v.txt', 'viewer']]) })).status).toBe(403);
      expect((await t().request('POST', `${s.lib}/${id}/trash`, { cookie: vc })).status).toBe(403);
      expect((await t().request('POST', `${s.lib}/folders`, { cookie: vc, form: { name: 'Mine' } })).status).toBe(403);
      // The owner does see them.
      expect((await s.get(s.lib)).html).toContain('data-upload');
    });

    it('moves, tags, trashes and restores the checked documents with the bulk form', async () => {
      const s = await setup();
      const target = await s.folder('Target');
      const a = await s.upload('a.txt', 'a');
      const b = await s.upload('b.txt', 'b');
      const c = await s.upload('c.txt', 'c');
      const back = `${s.lib}?sort=name`;
      const moved = await t().request('POST', `${s.lib}/bulk`, { cookie: s.cookie, ...formBody([['ids', a], ['ids', b], ['action', 'move'], ['folderId', target], ['tags', ''], ['back', back]]) });
      expect(moved.status).toBe(303);
      expect(moved.headers.get('Location')).toBe(back);
      expect(names((await s.get(`${s.lib}?folder=${target}&sort=name`)).html)).toEqual(['a.txt', 'b.txt']);
      await t().request('POST', `${s.lib}/bulk`, { cookie: s.cookie, ...formBody([['ids', b], ['ids', c], ['action', 'tag'], ['tags', 'Batch, x']]) });
      expect(names((await s.get(`${s.lib}?tag=batch&sort=name`)).html)).toEqual(['b.txt', 'c.txt']);
      const trash = await t().request('POST', `${s.lib}/bulk`, { cookie: s.cookie, ...formBody([['ids', a], ['ids', c], ['action', 'trash'], ['back', '/account/tokens']]) });
      expect(trash.headers.get('Location')).toBe(s.lib);
      expect(names((await s.get(s.lib)).html)).toEqual(['b.txt']);
      const trashView = (await s.get(`${s.lib}?trash=1`)).html;
      expect(trashView).toContain('value="restore"');
      expect(trashView).not.toContain('value="move"');
      await t().request('POST', `${s.lib}/bulk`, { cookie: s.cookie, ...formBody([['ids', a], ['action', 'restore']]) });
      expect(names((await s.get(`${s.lib}?sort=name`)).html)).toEqual(['a.txt', 'b.txt']);
      // Moving to "No folder", and nothing checked.
      await t().request('POST', `${s.lib}/bulk`, { cookie: s.cookie, ...formBody([['ids', a], ['action', 'move'], ['folderId', '']]) });
      expect((await s.doc(a)).folderId).toBeNull();
      const none = await t().request('POST', `${s.lib}/bulk`, { cookie: s.cookie, ...formBody([['action', 'trash']]) });
      expect(none.status).toBe(303);
      expect(names((await s.get(s.lib)).html)).toHaveLength(2);
    });

    it('creates nested folders from the sidebar and shows the form again with the problem', async () => {
      const s = await setup();
      const res = await t().request('POST', `${s.lib}/folders`, { cookie: s.cookie, form: { name: 'Contracts', parentId: '' } });
      expect(res.status).toBe(303);
      const contracts = new URL(res.headers.get('Location')!, 'http://x').searchParams.get('folder')!;
      await t().request('POST', `${s.lib}/folders`, { cookie: s.cookie, form: { name: 'Suppliers', parentId: contracts } });
      const { html } = await s.get(`${s.lib}?folder=${contracts}`);
      expect(html).toMatch(/<h1>Contracts<\/h1>/);
      expect(html).toMatch(/Contracts<\/a><ul class="foldertree"><li><a href="[^"]+" class="folderlink">Suppliers<\/a>/);
      const bad = await t().request('POST', `${s.lib}/folders`, { cookie: s.cookie, form: { name: 'a/b', parentId: '' } });
      expect(bad.status).toBe(400);
      const page = await bad.text();
      expect(page).toContain('A folder name cannot contain slashes');
      expect(page).toContain('value="a/b"');
    });

    it('keeps other organizations out: their documents are 404, their library too', async () => {
      const s = await setup();
      const id = await s.upload('secret.txt', 'org A only');
      const other = await buildOrg(t().ctx);
      const oc = await sessionCookie(t().ctx, other.ownerId);
      const own = `/o/${other.org.slug}/documents`;
      expect((await s.get(`${own}/${id}`, oc)).status).toBe(404);
      expect((await s.get(`${own}/${id}/row`, oc)).status).toBe(404);
      expect((await t().request('POST', `${own}/${id}/trash`, { cookie: oc })).status).toBe(404);
      expect((await t().request('POST', `${own}/bulk`, { cookie: oc, ...formBody([['ids', id], ['action', 'trash']]) })).status).toBe(404);
      expect((await s.get(`${s.lib}/${id}`, oc)).status).toBe(404);
      expect((await s.get(s.lib, oc)).status).toBe(404);
      expect(names((await s.get(own, oc)).html)).toEqual([]);
      const anonymous = await t().request('GET', s.lib);
      expect(anonymous.status).toBe(302);
      expect(anonymous.headers.get('Location')).toBe(`/login?next=${encodeURIComponent(s.lib)}`);
    });
  });
}
