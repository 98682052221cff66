import { describe, expect, it } from 'vitest';
import { generateInvoices, invoicePdf } from '../../scripts/train/synthetic-invoices';
import { createType } from '../../src/modules/extraction/doctype.service';
import { getExtraction, getReviewThreshold, setReviewThreshold } from '../../src/modules/extraction/extraction.service';
import { resolveMembership } from '../../src/modules/orgs/org.service';
import { useTestApp } from '../support/app';
import { DIALECTS } from '../support/db';
import { apiToken, buildMember, buildOrg, sessionCookie } from '../support/factories';

/** HTML-escaped text as it appears in a page. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The flash message a redirect leaves, decoded. */
function flashOf(res: Response): string | undefined {
  const c = res.headers.getSetCookie().find((x) => x.startsWith('folio_flash='));
  return c ? decodeURIComponent(c.split(';')[0].slice('folio_flash='.length)) : undefined;
}

for (const dialect of DIALECTS) {
  describe(`review pages (${dialect})`, () => {
    const t = useTestApp(dialect);

    /** An organization whose every extracted document waits for review (threshold 1.0), with `n` processed invoices. */
    async function setup(n = 1, seed = 7) {
      const { org, ownerId } = await buildOrg(t().ctx);
      const { actor } = await resolveMembership(t().ctx, org.slug, ownerId);
      await setReviewThreshold(t().ctx, actor, { threshold: 1 });
      const cookie = await sessionCookie(t().ctx, ownerId);
      const token = await apiToken(t().ctx, ownerId);
      const api = `/api/v1/orgs/${org.slug}`;
      const ids: string[] = [];
      for (const [i, inv] of generateInvoices(seed, n).entries()) {
        const form = new FormData();
        form.append('file', new File([Buffer.from(invoicePdf(inv))], `invoice-${i + 1}.pdf`, { type: 'application/pdf' }));
        const res = await t().request('POST', `${api}/documents`, { token, body: form });
        ids.push((await res.json()).id);
        // Distinct upload times make the queue order the upload order.
        t().clock.advance(1000);
      }
      await t().drainJobs();
      const get = async (path: string, c = cookie) => {
        const res = await t().request('GET', path, { cookie: c });
        return { status: res.status, html: await res.text(), res };
      };
      const post = (path: string, form: Record<string, string>, c = cookie) => t().request('POST', path, { cookie: c, form });
      return { org, ownerId, actor, cookie, token, api, ids, get, post, o: `/o/${org.slug}` };
    }

    it('lists documents that wait for review, oldest first, filtered by type, and counts them in the navigation', async () => {
      const s = await setup(2);
      for (const id of s.ids) expect((await getExtraction(t().ctx, s.actor, id)).status).toBe('needs_review');
      const { status, html } = await s.get(`${s.o}/review`);
      expect(status).toBe(200);
      expect(html).toContain('<h1>Review</h1>');
      expect(html).toContain(`href="${s.o}/review" aria-current="page">Review (2)</a>`);
      const order = [...html.matchAll(/href="[^"]+\/documents\/([^/"]+)\/review" class="docname">([^<]+)</g)].map((m) => [m[1], m[2]]);
      expect(order).toEqual([[s.ids[0], 'invoice-1.pdf'], [s.ids[1], 'invoice-2.pdf']]);
      expect(html).toContain('2 documents wait for review');
      // The type filter offers every type and keeps its choice.
      expect(html).toContain('<option value="receipt">Receipt</option>');
      const invoices = await s.get(`${s.o}/review?type=invoice`);
      expect(invoices.html).toContain('<option value="invoice" selected>Invoice</option>');
      expect(invoices.html).toContain(`${s.o}/documents/${s.ids[0]}/review?queue=invoice`);
      const receipts = await s.get(`${s.o}/review?type=receipt`);
      expect(receipts.html).toContain('No document of this type waits for review.');
      expect(receipts.html).not.toContain('class="docname"');
      // Pages beyond the last are empty, not errors; a bad page number is.
      expect((await s.get(`${s.o}/review?page=3`)).html).toContain('Page 1 of 1');
      expect((await s.get(`${s.o}/review?page=0`)).status).toBe(400);
      // The document page shows the type, the fields and the way to the review screen.
      const doc = await s.get(`${s.o}/documents/${s.ids[0]}`);
      expect(doc.html).toContain('status--needs_review');
      expect(doc.html).toContain('Some fields need a check.');
      expect(doc.html).toContain('<span class="badge badge--doctype">Invoice</span>');
      expect(doc.html).toContain(`href="${s.o}/documents/${s.ids[0]}/review">Review the fields</a>`);
    });

    it('shows the review screen: page images with field boxes and clickable words, one input per field in order, confidence, normalized value, source and issues', async () => {
      const s = await setup(1);
      const id = s.ids[0];
      const x = await getExtraction(t().ctx, s.actor, id);
      const { status, html } = await s.get(`${s.o}/documents/${id}/review`);
      expect(status).toBe(200);
      expect(html).toContain(`<h1>Review: invoice-1.pdf</h1>`);
      expect(html).toContain(`src="${s.api}/documents/${id}/pages/1/preview"`);
      expect(html).toContain('<script src="/assets/review.js" defer></script>');
      expect(html).not.toMatch(/ style="|<script>| on(click|load|error)=/);
      // Inputs follow the type's definition order.
      const inputs = [...html.matchAll(/data-field-input="(\w+)"/g)].map((m) => m[1]);
      expect(inputs).toEqual(x.definition.fields.map((f) => f.name));
      // Every located field has a box on its page; the page's words are there to click.
      const located = Object.entries(x.fields).filter(([, f]) => f.page && f.box);
      expect(located.length).toBeGreaterThan(3);
      for (const [name, f] of located) {
        expect(html).toMatch(new RegExp(`class="fieldbox[^"]*" data-field="${name}" data-box="${f.box!.map((v) => Number(v.toFixed(5))).join(',')}"`));
        expect(html).toContain(`id="fld-${name}" name="f.${name}" value="${esc(f.value)}"`);
      }
      expect((html.match(/class="word"/g) ?? []).length).toBeGreaterThan(20);
      const total = x.fields.total!;
      expect(total.normalized).toBeTruthy();
      const row = html.slice(html.indexOf('data-field-row="total"'), html.indexOf('data-field-row="iban"'));
      expect(row).toContain(`${Math.floor(total.confidence * 100 + 1e-9)}%`);
      expect(row).toContain('read by the model');
      if (total.normalized !== total.value) expect(row).toContain(`<code class="norm">${total.normalized}</code>`);
      // Fields not found say so.
      for (const f of x.definition.fields.filter((d) => !x.fields[d.name])) {
        expect(html.slice(html.indexOf(`data-field-row="${f.name}"`))).toMatch(/^[^]*?not found/);
      }
      // Type selector, line items, both buttons (Confirm first: Enter confirms) and the shortcut legend.
      expect(html).toContain('<option value="invoice" selected>Invoice</option>');
      expect(html).toContain('name="li.0.description"');
      expect(html.indexOf('value="confirm"')).toBeLessThan(html.indexOf('value="save"'));
      expect(html).toContain('Save without confirming');
      expect(html).toContain('Keyboard shortcuts');
      expect(html).toContain('<kbd>Ctrl</kbd>+<kbd>Enter</kbd>');
    });

    it('shows broken rules beside the fields they name', async () => {
      const s = await setup(1);
      const id = s.ids[0];
      const x = await getExtraction(t().ctx, s.actor, id);
      // Break subtotal + tax = total by saving a wrong total.
      const wrong = String(Number(x.fields.total!.normalized) + 100);
      const saved = await s.post(`${s.o}/documents/${id}/review`, { action: 'save', 'f.total': wrong });
      expect(saved.status).toBe(303);
      expect(saved.headers.get('Location')).toBe(`${s.o}/documents/${id}/review`);
      expect(flashOf(saved)).toBe('Saved. The document still waits for review.');
      const after = await getExtraction(t().ctx, s.actor, id);
      expect(after.status).toBe('needs_review');
      expect(after.fields.total!.value).toBe(wrong);
      expect(after.fields.total!.source).toBe('user');
      const issue = after.issues.find((i) => i.fields.includes('total'));
      expect(issue).toBeTruthy();
      const { html } = await s.get(`${s.o}/documents/${id}/review`);
      expect(html).toContain('role="alert"');
      const row = html.slice(html.lastIndexOf('<div class="rfield', html.indexOf('data-field-row="total"')), html.indexOf('data-field-row="iban"'));
      expect(row).toMatch(/^<div class="rfield[^"]* rfield--issue" data-field-row="total">/);
      expect(row).toContain(`<ul id="fld-total-issues" class="rfield-issues"><li>${esc(issue!.message)}</li></ul>`);
      expect(row).toContain('aria-invalid="true"');
    });

    it('confirms a corrected document, goes to the next in the queue, then back to the queue', async () => {
      const s = await setup(2);
      const [first, second] = s.ids;
      const res = await s.post(`${s.o}/documents/${first}/review`, {
        action: 'confirm', 'f.invoiceNumber': 'INV-CORRECTED-1', 'p.invoiceNumber': '1', 'b.invoiceNumber': '0.1,0.1,0.2,0.02', 'f.poNumber': '',
        'li.0.description': 'Consulting', 'li.0.quantity': '2', 'li.0.unitPrice': '50.00', 'li.0.amount': '100.00', 'li.1.description': '', 'li.1.amount': '',
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe(`${s.o}/documents/${second}/review`);
      expect(flashOf(res)).toBe('invoice-1.pdf confirmed. Here is the next document.');
      const x = await getExtraction(t().ctx, s.actor, first);
      expect(x.status).toBe('ready');
      expect(x.reviewedBy).toBe(s.ownerId);
      expect(x.fields.invoiceNumber).toMatchObject({ value: 'INV-CORRECTED-1', normalized: 'INV-CORRECTED-1', source: 'user', page: 1, box: [0.1, 0.1, 0.2, 0.02], confidence: 1 });
      expect(x.fields.poNumber).toBeUndefined();
      expect(x.lineItems).toEqual([expect.objectContaining({ description: 'Consulting', quantity: '2', unitPrice: '50.00', amount: '100.00' })]);
      expect(Object.values(x.fields).every((f) => f.confidence === 1)).toBe(true);

      const queue = await s.get(`${s.o}/review`);
      expect(queue.html).not.toContain(`/documents/${first}/review`);
      expect(queue.html).toContain('Review (1)');

      // The last one leads back to the queue, keeping its type filter.
      const last = await s.post(`${s.o}/documents/${second}/review`, { action: 'confirm', queue: 'invoice' });
      expect(last.status).toBe(303);
      expect(last.headers.get('Location')).toBe(`${s.o}/review?type=invoice`);
      expect((await getExtraction(t().ctx, s.actor, second)).status).toBe('ready');
      const empty = await s.get(`${s.o}/review`);
      expect(empty.html).toContain('Nothing waits for review.');
      expect(empty.html).toContain(`href="${s.o}/review" aria-current="page">Review</a>`);
    });

    it('changes the type, which extracts the fields again without confirming', async () => {
      const s = await setup(1);
      const id = s.ids[0];
      const res = await s.post(`${s.o}/documents/${id}/review`, { action: 'retype', type: 'receipt' });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe(`${s.o}/documents/${id}/review`);
      expect(flashOf(res)).toBe('The type is now Receipt; its fields were read again.');
      const x = await getExtraction(t().ctx, s.actor, id);
      expect(x).toMatchObject({ type: 'receipt', typeSource: 'user', status: 'needs_review', reviewedAt: null });
      const { html } = await s.get(`${s.o}/documents/${id}/review`);
      expect([...html.matchAll(/data-field-input="(\w+)"/g)].map((m) => m[1])).toEqual(['merchant', 'address', 'date', 'total', 'tax']);
      expect(html).toContain('<option value="receipt" selected>Receipt</option>');
      expect(html).toContain('chosen by a person');
      expect(html).not.toContain('name="li.0.description"');
      // A custom type's fields, an enum as a select of its options.
      await createType(t().ctx, s.actor, { key: 'delivery_note', name: 'Delivery note', keywords: ['delivery note'], fields: [{ name: 'noteNumber', label: 'Note number', kind: 'text', labels: ['Note no'] }, { name: 'state', label: 'State', kind: 'enum', options: ['open', 'closed'] }] });
      expect((await s.post(`${s.o}/documents/${id}/review`, { action: 'retype', type: 'delivery_note' })).status).toBe(303);
      const custom = (await s.get(`${s.o}/documents/${id}/review`)).html;
      expect([...custom.matchAll(/data-field-input="(\w+)"/g)].map((m) => m[1])).toEqual(['noteNumber', 'state']);
      expect(custom).toMatch(/<select id="fld-state" name="f.state"[^>]*><option value>—<\/option><option value="open">open<\/option><option value="closed">closed<\/option><\/select>/);
      const confirmed = await s.post(`${s.o}/documents/${id}/review`, { action: 'confirm', 'f.noteNumber': 'DN-77', 'f.state': 'closed' });
      expect(confirmed.headers.get('Location')).toBe(`${s.o}/review`);
      expect((await getExtraction(t().ctx, s.actor, id)).fields).toMatchObject({ noteNumber: { value: 'DN-77', source: 'user' }, state: { value: 'closed', normalized: 'closed' } });
      // An unknown type is shown in the form, not as a crash.
      const bad = await s.post(`${s.o}/documents/${id}/review`, { action: 'retype', type: 'nonsense' });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('Unknown document type');
    });

    it('lets viewers read the review screen but not change it, and hides it from other organizations', async () => {
      const s = await setup(1);
      const id = s.ids[0];
      const viewer = await buildMember(t().ctx, s.org.id, 'viewer');
      const vc = await sessionCookie(t().ctx, viewer.id);
      const page = await s.get(`${s.o}/documents/${id}/review`, vc);
      expect(page.status).toBe(200);
      expect(page.html).not.toContain('value="confirm"');
      expect(page.html).toContain('You may read these fields but not change them.');
      expect((await s.post(`${s.o}/documents/${id}/review`, { action: 'confirm' }, vc)).status).toBe(403);
      expect((await getExtraction(t().ctx, s.actor, id)).status).toBe('needs_review');

      const other = await buildOrg(t().ctx);
      const oc = await sessionCookie(t().ctx, other.ownerId);
      expect((await s.get(`${s.o}/documents/${id}/review`, oc)).status).toBe(404);
      expect((await s.get(`/o/${other.org.slug}/documents/${id}/review`, oc)).status).toBe(404);
      expect((await s.post(`/o/${other.org.slug}/documents/${id}/review`, { action: 'confirm' }, oc)).status).toBe(404);
      expect((await s.get(`${s.o}/review`, oc)).status).toBe(404);
    });

    it('keeps the extraction settings to administrators: threshold and custom types with errors in the form', async () => {
      const s = await setup(0);
      const member = await buildMember(t().ctx, s.org.id, 'member');
      const mc = await sessionCookie(t().ctx, member.id);
      const base = `${s.o}/settings/extraction`;
      expect((await s.get(base, mc)).status).toBe(403);
      expect((await s.get(`${base}/types/new`, mc)).status).toBe(403);
      expect((await s.post(`${base}/threshold`, { threshold: '10' }, mc)).status).toBe(403);
      expect((await s.post(`${base}/types`, { key: 'po', name: 'PO', keywords: 'purchase order', 'field.0.name': 'poNumber', 'field.0.label': 'PO', 'field.0.kind': 'text' }, mc)).status).toBe(403);
      expect((await s.get(`${s.o}/review`, mc)).html).not.toContain('Extraction settings');

      expect((await s.get(`${s.o}/settings`)).html).toContain(`href="${base}"`);
      const page = await s.get(base);
      expect(page.status).toBe(200);
      expect(page.html).toContain('value="100"');
      expect(page.html).toContain('<code>invoice</code>');
      const thr = await s.post(`${base}/threshold`, { threshold: '65' });
      expect(thr.status).toBe(303);
      expect(await getReviewThreshold(t().ctx, s.actor)).toBe(0.65);
      const badThr = await s.post(`${base}/threshold`, { threshold: '140' });
      expect(badThr.status).toBe(400);
      expect(await badThr.text()).toContain('Enter a percentage from 0 to 100.');

      // Validation errors come back in the form, beside their fields, with what was typed.
      const bad = await s.post(`${base}/types`, { key: 'Purchase Order', name: 'Purchase order', keywords: '', 'field.0.name': 'status', 'field.0.label': 'Status', 'field.0.kind': 'enum', 'field.0.options': '', 'field.1.name': '', 'field.1.label': '' });
      expect(bad.status).toBe(400);
      const badHtml = await bad.text();
      expect(badHtml).toContain('The type was not saved.');
      expect(badHtml).toContain('value="Purchase Order"');
      expect(badHtml).toMatch(/<small class="error" id="err-key">The key holds lower-case letters/);
      expect(badHtml).toMatch(/<small class="error" id="err-keywords">Give at least one keyword/);
      expect(badHtml).toMatch(/<small class="error" id="err-field-0-options">An enum field needs at least one option/);

      const created = await s.post(`${base}/types`, {
        key: 'purchase_order', name: 'Purchase order', keywords: 'purchase order, PO number',
        'field.0.name': 'poNumber', 'field.0.label': 'PO number', 'field.0.kind': 'text', 'field.0.labels': 'PO, Order no',
        'field.1.name': 'status', 'field.1.label': 'Status', 'field.1.kind': 'enum', 'field.1.options': 'open, closed',
        'field.2.name': '', 'field.2.label': '', 'field.2.kind': 'text',
      });
      expect(created.status).toBe(303);
      expect(flashOf(created)).toBe('Document type Purchase order created.');
      const dup = await s.post(`${base}/types`, { key: 'purchase_order', name: 'Again', keywords: 'again', 'field.0.name': 'x', 'field.0.label': 'X', 'field.0.kind': 'text' });
      expect(dup.status).toBe(409);
      expect(await dup.text()).toMatch(/id="err-key">A document type with the key/);

      const list = await s.get(base);
      expect(list.html).toContain('Purchase order');
      expect(list.html).toContain('Keywords: purchase order, PO number');
      expect(list.html).toContain(`href="${base}/types/purchase_order"`);
      const edit = await s.get(`${base}/types/purchase_order`);
      expect(edit.html).toContain('value="open, closed"');
      expect(edit.html).toContain('value="PO, Order no"');
      expect(edit.html).toMatch(/id="t-key" name="key" value="purchase_order" required[^>]*readonly/i);
      const saved = await s.post(`${base}/types/purchase_order`, {
        key: 'purchase_order', name: 'Purchase orders', keywords: 'purchase order',
        'field.0.name': 'poNumber', 'field.0.label': 'PO number', 'field.0.kind': 'text', 'field.0.labels': 'PO',
        'field.1.name': 'orderDate', 'field.1.label': 'Order date', 'field.1.kind': 'date',
      });
      expect(saved.status).toBe(303);
      // The queue's type filter and the review screen's type selector offer it.
      expect((await s.get(`${s.o}/review`)).html).toContain('<option value="purchase_order">Purchase orders</option>');
      const del = await s.post(`${base}/types/purchase_order/delete`, {});
      expect(del.status).toBe(303);
      expect(flashOf(del)).toBe('Document type deleted.');
      expect((await s.get(base)).html).not.toContain('Purchase orders');
      expect((await s.get(`${base}/types/purchase_order`)).status).toBe(404);
    });

    it('downloads the extracted fields as CSV or JSON, filtered, and explains a bad filter', async () => {
      const s = await setup(2);
      const queue = await s.get(`${s.o}/review`);
      expect(queue.html).toContain(`action="${s.o}/review/export"`);
      const csv = await t().request('GET', `${s.o}/review/export?format=csv&folder=&type=invoice&from=&to=`, { cookie: s.cookie });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
      expect(csv.headers.get('Content-Disposition')).toMatch(/^attachment; filename="extractions-invoice-\d{4}-\d{2}-\d{2}\.csv"/);
      const lines = (await csv.text()).trim().split('\r\n');
      expect(lines[0].startsWith('document_id,name,type,status,reviewed,uploaded_at,invoiceNumber')).toBe(true);
      expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual([...s.ids].sort());

      const json = await t().request('GET', `${s.o}/review/export?format=json`, { cookie: s.cookie });
      expect(json.headers.get('Content-Disposition')).toMatch(/^attachment; filename="extractions-all-.*\.json"/);
      const body = await json.json();
      expect(body.count).toBe(2);
      expect(body.documents[0].fields.total.normalized).toBeTruthy();

      const none = await t().request('GET', `${s.o}/review/export?format=csv&type=receipt`, { cookie: s.cookie });
      expect((await none.text()).trim().split('\r\n')).toHaveLength(1);

      const bad = await t().request('GET', `${s.o}/review/export?format=csv&from=2026-05-01&to=2026-01-01`, { cookie: s.cookie });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('The start date is after the end date.');
    });
  });
}
