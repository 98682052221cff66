import { describe, expect, it } from 'vitest';
import { textWidth, writePdf, type TextRun } from '../../scripts/train/pdf-writer';
import { generateInvoices, invoicePdf, type SyntheticInvoice } from '../../scripts/train/synthetic-invoices';
import { useTestApp } from '../support/app';
import { DIALECTS } from '../support/db';
import { apiToken, buildMember, buildOrg } from '../support/factories';
import { makePdf } from '../support/pdf';

function upload(name: string, bytes: Uint8Array, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new File([Buffer.from(bytes)], name, { type: 'application/pdf' }));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

/** Seeded synthetic invoices (same seed, same invoices): a German one and a Swiss one. */
const [SWISS, GERMAN] = generateInvoices(11, 2);

const RECEIPT = makePdf([
  ['SUNRISE MART', '12 Jalan Besar, Kuala Lumpur', 'Cashier: Aminah', '01/03/2024 14:22', 'Milk 1L            4.50', 'Bread              3.20', 'Eggs x10           6.90', 'TOTAL             14.60', 'CASH              20.00', 'CHANGE             5.40', 'Thank you, please come again'],
]);

const LETTER = makePdf([
  ['Dear Ms Fischer,', 'Thank you for your letter of last week about the garden party.', 'We would be delighted to attend and will bring a cake.', 'The children are looking forward to seeing you again.', 'With kind regards,', 'Paul and Maria'],
]);

const right = (text: string, xRight: number, y: number, size = 9, bold = false): TextRun => ({ text, x: xRight - textWidth(text, size, bold), y, size, bold });

/**
 * An invoice of one vendor whose layout fools the model: the amount to pay sits after
 * "Please remit", and a larger "Total contract value" in bold below it looks like the total.
 */
function quarryInvoice(o: { no: string; date: string; items: [string, string][]; remit: string; contract: string }): Uint8Array {
  const runs: TextRun[] = [
    { text: 'Quarry Roofing Supply Co', x: 50, y: 60, size: 18, bold: true },
    { text: '77 Quarry Lane, Springfield IL 62701', x: 50, y: 80, size: 9 },
    { text: 'INVOICE', x: 50, y: 120, size: 20, bold: true },
    { text: 'Bill To: Globex Corporation', x: 50, y: 150, size: 9 },
    { text: `Invoice No: ${o.no}`, x: 350, y: 150, size: 9 },
    { text: `Date: ${o.date}`, x: 350, y: 163, size: 9 },
    { text: 'Description', x: 50, y: 220, size: 9, bold: true },
    right('Amount', 545, 220, 9, true),
    ...o.items.flatMap(([d, a], i): TextRun[] => [{ text: d, x: 50, y: 236 + 13 * i, size: 9 }, right(a, 545, 236 + 13 * i)]),
    { text: 'Please remit:', x: 350, y: 280, size: 9 },
    right(o.remit, 545, 280),
    { text: 'Total contract value:', x: 350, y: 296, size: 10, bold: true },
    right(o.contract, 545, 296, 10, true),
  ];
  return writePdf([runs], 595, 842);
}

interface Field {
  value: string;
  normalized: string | null;
  confidence: number;
  page: number | null;
  box: [number, number, number, number] | null;
  source: string;
}

for (const dialect of DIALECTS) {
  describe(`extraction API (${dialect})`, () => {
    const t = useTestApp(dialect);

    async function org() {
      const { org: o, ownerId } = await buildOrg(t().ctx);
      const token = await apiToken(t().ctx, ownerId);
      const base = `/api/v1/orgs/${o.slug}`;
      const put = async (id: string, body: unknown, as = token) => t().request('PUT', `${base}/documents/${id}/extraction`, { token: as, json: body });
      const get = async (id: string, as = token) => {
        const res = await t().request('GET', `${base}/documents/${id}/extraction`, { token: as });
        expect(res.status).toBe(200);
        return res.json();
      };
      const add = async (name: string, bytes: Uint8Array, fields: Record<string, string> = {}) => {
        const res = await t().request('POST', `${base}/documents`, { token, body: upload(name, bytes, fields) });
        expect(res.status).toBe(201);
        return (await res.json()).id as string;
      };
      const queue = async (q = '') => (await t().request('GET', `${base}/review-queue${q}`, { token })).json();
      return { org: o, ownerId, token, base, put, get, add, queue };
    }

    const truth = (inv: SyntheticInvoice, name: string) => inv.truth[name]!;

    it('classifies an invoice, a receipt and a letter, and returns each field with its value, normalized value, confidence, page and box', async () => {
      const { get, add } = await org();
      const invoice = await add('invoice.pdf', invoicePdf(GERMAN));
      const receipt = await add('receipt.pdf', RECEIPT);
      const letter = await add('letter.pdf', LETTER);
      await t().drainJobs();

      const x = await get(invoice);
      expect(x).toMatchObject({ documentId: invoice, type: 'invoice', typeSource: 'model', definition: { key: 'invoice', lineItems: true } });
      expect(x.confidence).toBeGreaterThan(0.9);
      for (const name of ['invoiceNumber', 'invoiceDate', 'vendorName', 'subtotal', 'tax', 'total', 'iban']) {
        expect(x.fields[name], name).toMatchObject({ value: truth(GERMAN, name).value, normalized: truth(GERMAN, name).normalized, page: 1, source: 'model' });
      }
      expect(x.fields.invoiceDate.normalized).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(x.fields.total.normalized).toMatch(/^\d+\.\d{2}$/);
      for (const f of Object.values(x.fields) as Field[]) {
        expect(f.confidence).toBeGreaterThan(0);
        expect(f.confidence).toBeLessThanOrEqual(1);
        expect(f.box).toHaveLength(4);
        for (const v of f.box!) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      }
      expect(x.lineItems.length).toBe(GERMAN.lineItems.length);
      expect(x.issues).toEqual([]);

      const r = await get(receipt);
      expect(r.type).toBe('receipt');
      expect(r.fields.merchant.value).toBe('SUNRISE MART');
      expect(r.fields.date.normalized).toBe('2024-03-01');
      expect(r.fields.total.normalized).toBe('14.60');

      const l = await get(letter);
      expect(l).toMatchObject({ type: 'other', status: 'ready', needsReview: false, fields: {} });
    });

    it('sends every document to the review queue at a threshold of 1, oldest first; corrections confirm it, keep normalized values and are listed and audited', async () => {
      const { base, token, ownerId, put, get, add, queue } = await org();
      expect(await (await t().request('GET', `${base}/settings/review`, { token })).json()).toEqual({ threshold: 0.8 });
      for (const threshold of [null, '', true, 1.5]) {
        const refused = await t().request('PUT', `${base}/settings/review`, { token, json: { threshold } });
        expect(refused.status, JSON.stringify(threshold)).toBe(400);
        expect((await refused.json()).error.message).toMatch(/^threshold: /);
      }
      const set = await t().request('PUT', `${base}/settings/review`, { token, json: { threshold: 1 } });
      expect(await set.json()).toEqual({ threshold: 1 });
      expect(await (await t().request('GET', `${base}/settings/review`, { token })).json()).toEqual({ threshold: 1 });

      // Uploaded a second apart (in the past, so their jobs are due at once).
      const at = (secondsAgo: number) => t().clock.set(new Date(Date.now() - secondsAgo * 1000));
      at(3);
      const first = await add('first.pdf', invoicePdf(GERMAN));
      at(2);
      const second = await add('second.pdf', RECEIPT);
      at(1);
      const third = await add('third.pdf', invoicePdf(SWISS));
      t().clock.set(new Date());
      await t().drainJobs();

      const all = await queue();
      expect(all.items.map((i: { documentId: string }) => i.documentId)).toEqual([first, second, third]);
      expect(all.items[0]).toMatchObject({ name: 'first.pdf', type: 'invoice' });
      expect(all.total).toBe(3);
      const invoices = await queue('?type=invoice');
      expect(invoices.items.map((i: { documentId: string }) => i.documentId)).toEqual([first, third]);
      expect(invoices.total).toBe(2);
      expect((await queue('?perPage=1&page=2')).items.map((i: { documentId: string }) => i.documentId)).toEqual([second]);
      expect((await get(first)).status).toBe('needs_review');

      const res = await put(first, { fields: { invoiceDate: { value: '02.01.2026' }, dueDate: { value: '01.02.2026' }, subtotal: { value: '1.000,00' }, tax: { value: '190,00' }, total: { value: '1.190,00' } } });
      expect(res.status).toBe(200);
      const done = await res.json();
      expect(done).toMatchObject({ status: 'ready', needsReview: false, reviewedBy: ownerId, issues: [] });
      expect(done.fields.invoiceDate).toMatchObject({ value: '02.01.2026', normalized: '2026-01-02', confidence: 1, source: 'user' });
      expect(done.fields.total).toMatchObject({ value: '1.190,00', normalized: '1190.00', confidence: 1, source: 'user' });
      // Fields the reviewer left alone are confirmed as they were.
      expect(done.fields.invoiceNumber).toMatchObject({ value: truth(GERMAN, 'invoiceNumber').value, confidence: 1, source: 'model' });
      // Stored: read back, and the document itself is ready.
      expect((await get(first)).fields.dueDate.normalized).toBe('2026-02-01');
      expect((await (await t().request('GET', `${base}/documents/${first}`, { token })).json()).status).toBe('ready');

      const { corrections } = await (await t().request('GET', `${base}/documents/${first}/extraction/corrections`, { token })).json();
      expect(corrections.map((c: { field: string }) => c.field).sort()).toEqual(['dueDate', 'invoiceDate', 'subtotal', 'tax', 'total']);
      const total = corrections.find((c: { field: string }) => c.field === 'total');
      expect(total).toMatchObject({ type: 'invoice', userId: ownerId, before: { normalized: truth(GERMAN, 'total').normalized }, after: { normalized: '1190.00' } });

      const audit = await (await t().request('GET', `${base}/audit-events?action=extraction.confirmed`, { token })).json();
      expect(audit.events).toEqual([expect.objectContaining({ action: 'extraction.confirmed', targetId: first, data: expect.objectContaining({ type: 'invoice', corrected: expect.arrayContaining(['total', 'invoiceDate']) }) })]);

      // Not confirmed: the correction is kept and the document stays in the queue.
      const kept = await (await put(second, { fields: { merchant: { value: 'Sunrise Mart Sdn Bhd' } }, confirm: false })).json();
      expect(kept).toMatchObject({ status: 'needs_review', needsReview: true, reviewedAt: null });
      expect(kept.fields.merchant).toMatchObject({ value: 'Sunrise Mart Sdn Bhd', source: 'user' });
      expect((await queue()).items.map((i: { documentId: string }) => i.documentId)).toEqual([second, third]);

      // An empty body confirms the fields as they are.
      expect((await put(second, {})).status).toBe(200);
      expect((await put(third, {})).status).toBe(200);
      expect(await queue()).toMatchObject({ items: [], total: 0 });
    });

    it('extracts again for the type a reviewer chooses, and refuses unknown fields and malformed bodies clearly', async () => {
      const { base, token, put, get, add } = await org();
      const id = await add('invoice.pdf', invoicePdf(GERMAN));
      await t().drainJobs();

      const unknown = await put(id, { fields: { colour: { value: 'red' } } });
      expect(unknown.status).toBe(400);
      expect((await unknown.json()).error).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/Invoice has no field "colour".*Its fields: invoiceNumber/) });
      const badType = await put(id, { type: 'spaceship' });
      expect(badType.status).toBe(400);
      expect((await badType.json()).error.message).toBe('Unknown document type "spaceship".');
      const badShape = await put(id, { confirm: 'yes', fields: { total: 12 } });
      expect(badShape.status).toBe(400);
      const err = (await badShape.json()).error;
      expect(err.code).toBe('validation_failed');
      expect(err.message).toMatch(/confirm/);
      expect(err.message).toMatch(/fields\.total/);
      const notJson = await t().request('PUT', `${base}/documents/${id}/extraction`, { token, body: '{"fields":', headers: { 'Content-Type': 'application/json' } });
      expect(notJson.status).toBe(400);
      expect((await notJson.json()).error.code).toBe('invalid_json');
      // Nothing was changed by the refused requests.
      expect((await get(id)).fields.total.source).toBe('model');

      const changed = await (await put(id, { type: 'receipt', confirm: false })).json();
      expect(changed).toMatchObject({ type: 'receipt', typeSource: 'user', definition: { key: 'receipt' }, lineItems: null });
      expect(Object.keys(changed.fields).every((name) => ['merchant', 'address', 'date', 'total', 'tax'].includes(name))).toBe(true);
      expect(changed.fields.total.normalized).toBe(truth(GERMAN, 'total').normalized);
      expect(changed.fields.invoiceNumber).toBeUndefined();
      const { corrections } = await (await t().request('GET', `${base}/documents/${id}/extraction/corrections`, { token })).json();
      expect(corrections).toEqual([expect.objectContaining({ field: '$type', before: 'invoice', after: 'receipt' })]);
    });

    it('reports each broken rule as an issue', async () => {
      const { put, add } = await org();
      const id = await add('invoice.pdf', invoicePdf(GERMAN));
      await t().drainJobs();

      const broken = await (await put(id, { confirm: false, fields: { subtotal: { value: '100,00' }, tax: { value: '19,00' }, total: { value: '120,00' }, invoiceDate: { value: '15.03.2026' }, dueDate: { value: '01.03.2026' }, iban: { value: 'DE00 1234 5678 9012 3456 78' } } })).json();
      expect(broken.status).toBe('needs_review');
      const rules = Object.fromEntries(broken.issues.map((i: { rule: string; fields: string[]; message: string }) => [i.rule, i]));
      expect(Object.keys(rules).sort()).toEqual(['due_before_issue', 'iban_checksum', 'sum']);
      expect(rules.sum).toMatchObject({ fields: ['subtotal', 'tax', 'total'], message: 'Subtotal 100.00 + tax 19.00 is not the total 120.00.' });
      expect(rules.due_before_issue).toMatchObject({ fields: ['invoiceDate', 'dueDate'], message: expect.stringContaining('2026-03-01 is before the invoice date 2026-03-15') });
      expect(rules.iban_checksum.fields).toEqual(['iban']);

      const unparsed = await (await put(id, { confirm: false, fields: { subtotal: null, tax: null, total: { value: 'about a hundred' }, dueDate: null, iban: null } })).json();
      expect(unparsed.fields.total).toMatchObject({ value: 'about a hundred', normalized: null });
      expect(unparsed.issues).toEqual([expect.objectContaining({ rule: 'amount_parse', fields: ['total'], message: expect.stringContaining('about a hundred') })]);
      expect(unparsed.status).toBe('needs_review');
    });

    it("learns a vendor's layout from a confirmed review: the next invoice of that vendor comes out right", async () => {
      const { put, get, add } = await org();
      const first = await add('quarry-1.pdf', quarryInvoice({ no: 'QR-1001', date: '03/04/2025', items: [['Roof tiles, terracotta (pallet)', '3,150.00'], ['Delivery', '120.00']], remit: '3,270.00', contract: '48,900.00' }));
      await t().drainJobs();
      const wrong = await get(first);
      // The premise: the model takes the contract value for the total, and is sure of it.
      expect(wrong.fields.vendorName.value).toBe('Quarry Roofing Supply Co');
      expect(wrong.fields.total).toMatchObject({ normalized: '48900.00', source: 'model' });
      expect(wrong.status).toBe('ready');

      const fixed = await (await put(first, { fields: { total: { value: '3,270.00' } } })).json();
      expect(fixed.fields.total).toMatchObject({ normalized: '3270.00', source: 'user', page: 1 });
      expect(fixed.fields.total.box[1]).toBeLessThan(wrong.fields.total.box[1]);

      const second = await add('quarry-2.pdf', quarryInvoice({ no: 'QR-1002', date: '17/05/2025', items: [['Ridge caps (box of 20)', '860.00'], ['Flashing, lead 10m', '1,415.50'], ['Delivery', '95.00']], remit: '2,370.50', contract: '51,270.50' }));
      await t().drainJobs();
      const next = await get(second);
      expect(next.vendorKey).toBe('quarryroofingsupplyco');
      expect(next.fields.total).toMatchObject({ value: '2,370.50', normalized: '2370.50', source: 'vendor' });
      expect(next.fields.total.confidence).toBeGreaterThan(0.8);
      expect(next.fields.invoiceNumber.value).toBe('QR-1002');
      expect(next.fields.vendorName).toMatchObject({ value: 'Quarry Roofing Supply Co', source: 'vendor' });
      expect(next.status).toBe('ready');
    });

    it('custom types: admins define them, matching documents are classified as them and read by their labels; members cannot; a type in use cannot be deleted', async () => {
      const { org: o, base, add, get } = await org();
      const admin = await apiToken(t().ctx, (await buildMember(t().ctx, o.id, 'admin')).id);
      const member = await apiToken(t().ctx, (await buildMember(t().ctx, o.id, 'member')).id);
      const type = {
        key: 'delivery_note',
        name: 'Delivery note',
        keywords: ['delivery note', 'goods received'],
        fields: [
          { name: 'noteNumber', label: 'Note no', kind: 'text' },
          { name: 'deliveryDate', label: 'Delivery date', kind: 'date' },
          { name: 'weight', label: 'Gross weight', kind: 'number' },
          { name: 'declaredValue', label: 'Declared value', kind: 'amount' },
          { name: 'carrier', label: 'Carrier', kind: 'enum', options: ['DHL', 'UPS', 'FedEx'] },
        ],
      };
      const denied = await t().request('POST', `${base}/document-types`, { token: member, json: type });
      expect(denied.status).toBe(403);
      const invalid = await t().request('POST', `${base}/document-types`, { token: admin, json: { ...type, fields: [{ name: 'carrier', label: 'Carrier', kind: 'enum' }] } });
      expect(invalid.status).toBe(400);
      expect((await invalid.json()).error.message).toContain('An enum field needs at least one option');
      const created = await t().request('POST', `${base}/document-types`, { token: admin, json: type });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ key: 'delivery_note', builtin: false, fields: type.fields });
      expect((await t().request('POST', `${base}/document-types`, { token: admin, json: type })).status).toBe(409);
      const listed = await (await t().request('GET', `${base}/document-types`, { token: member })).json();
      expect(listed.types.map((d: { key: string }) => d.key)).toEqual(['invoice', 'receipt', 'other', 'delivery_note']);

      const id = await add('note.pdf', makePdf([['DELIVERY NOTE', 'Goods received in good condition', 'Note no: DN-5531', 'Delivery date: 14.02.2026', 'Carrier: UPS Standard', 'Gross weight: 182.5 kg', 'Declared value: 2,450.00 EUR', 'Signed for by the warehouse team']]));
      await t().drainJobs();
      const x = await get(id);
      expect(x).toMatchObject({ type: 'delivery_note', typeName: 'Delivery note', status: 'ready' });
      expect(x.fields.noteNumber).toMatchObject({ value: 'DN-5531', source: 'labels', page: 1 });
      expect(x.fields.deliveryDate).toMatchObject({ value: '14.02.2026', normalized: '2026-02-14' });
      expect(x.fields.weight).toMatchObject({ value: '182.5', normalized: '182.5' });
      expect(x.fields.declaredValue.normalized).toBe('2450.00');
      expect(x.fields.carrier.normalized).toBe('UPS');
      expect(x.fields.carrier.box).toHaveLength(4);

      const renamed = await t().request('PUT', `${base}/document-types/delivery_note`, { token: admin, json: { ...type, key: undefined, name: 'Delivery slip' } });
      expect(renamed.status).toBe(200);
      expect((await renamed.json()).name).toBe('Delivery slip');
      expect((await t().request('PUT', `${base}/document-types/delivery_note`, { token: member, json: type })).status).toBe(403);
      expect((await t().request('PUT', `${base}/document-types/nothing_here`, { token: admin, json: { ...type, key: undefined } })).status).toBe(404);
      const inUse = await t().request('DELETE', `${base}/document-types/delivery_note`, { token: admin });
      expect(inUse.status).toBe(409);
      expect((await inUse.json()).error.message).toBe('1 document is of this type. Change their type first.');

      const unused = { ...type, key: 'customs_form', name: 'Customs form', keywords: ['customs declaration'] };
      expect((await t().request('POST', `${base}/document-types`, { token: admin, json: unused })).status).toBe(201);
      expect((await t().request('DELETE', `${base}/document-types/customs_form`, { token: member })).status).toBe(403);
      expect((await t().request('DELETE', `${base}/document-types/customs_form`, { token: admin })).status).toBe(204);
      expect((await t().request('DELETE', `${base}/document-types/customs_form`, { token: admin })).status).toBe(404);
    });

    it('viewers read extractions and the queue but cannot correct; members correct but cannot change the threshold', async () => {
      const { org: o, base, add, put, get } = await org();
      const viewer = await apiToken(t().ctx, (await buildMember(t().ctx, o.id, 'viewer')).id);
      const member = await apiToken(t().ctx, (await buildMember(t().ctx, o.id, 'member')).id);
      const id = await add('receipt.pdf', RECEIPT);
      await t().drainJobs();
      expect((await get(id, viewer)).type).toBe('receipt');
      expect((await t().request('GET', `${base}/review-queue`, { token: viewer })).status).toBe(200);
      expect((await t().request('GET', `${base}/documents/${id}/extraction/corrections`, { token: viewer })).status).toBe(200);
      const denied = await put(id, { fields: { merchant: { value: 'Viewer was here' } } }, viewer);
      expect(denied.status).toBe(403);
      expect((await denied.json()).error.code).toBe('forbidden');
      expect((await get(id)).fields.merchant.value).toBe('SUNRISE MART');
      expect((await t().request('PUT', `${base}/settings/review`, { token: viewer, json: { threshold: 0.1 } })).status).toBe(403);
      expect((await t().request('PUT', `${base}/settings/review`, { token: member, json: { threshold: 0.1 } })).status).toBe(403);
      expect((await t().request('PUT', `${base}/settings/review`, { token: member, json: { threshold: 2 } })).status).toBe(400);
      expect((await put(id, { fields: { merchant: { value: 'Sunrise Mart' } } }, member)).status).toBe(200);
    });

    it("exports CSV and JSON filtered by folder, type and upload date, neutralizes formulas, and never another organization's documents", async () => {
      const { org: o, base, token, add, put } = await org();
      const other = await org();
      const finance = await (await t().request('POST', `/api/v1/orgs/${o.slug}/folders`, { token, json: { name: 'Finance' } })).json();
      const year = await (await t().request('POST', `/api/v1/orgs/${o.slug}/folders`, { token, json: { name: '2025', parentId: finance.id } })).json();
      // Uploads dated in the past: jobs are due at once (the runner claims on the real clock).
      t().clock.set(new Date('2025-03-10T12:00:00.000Z'));
      const invoice = await add('invoice.pdf', invoicePdf(GERMAN), { folder: year.id });
      const foreign = await other.add('foreign.pdf', invoicePdf(SWISS));
      t().clock.set(new Date('2025-03-20T12:00:00.000Z'));
      const receipt = await add('receipt.pdf', RECEIPT);
      await t().drainJobs();
      t().clock.set(new Date());
      await put(invoice, { fields: { customerName: { value: '=HYPERLINK("http://evil.example","x")' } } });

      const csv = await t().request('GET', `${base}/extractions/export?format=csv`, { token });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
      expect(csv.headers.get('Content-Disposition')).toMatch(/^attachment; filename="extractions-all-\d{4}-\d{2}-\d{2}\.csv"/);
      const text = await csv.text();
      const lines = text.trimEnd().split('\r\n');
      expect(lines[0]).toMatch(/^document_id,name,type,status,reviewed,uploaded_at,invoiceNumber,/);
      expect(lines).toHaveLength(3);
      expect(lines[1]).toContain(invoice);
      expect(lines[1]).toContain(truth(GERMAN, 'total').normalized);
      expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
      expect(text).not.toMatch(/(^|,)"?=HYPERLINK/m);
      expect(lines[2]).toContain(receipt);
      expect(text).not.toContain(foreign);

      const json = async (q: string) => {
        const res = await t().request('GET', `${base}/extractions/export?format=json${q}`, { token });
        expect(res.status).toBe(200);
        expect(res.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
        expect(res.headers.get('Content-Disposition')).toMatch(/^attachment; /);
        return ((await res.json()).documents as { documentId: string }[]).map((d) => d.documentId);
      };
      const full = await (await t().request('GET', `${base}/extractions/export?format=json`, { token })).json();
      expect(full.documents[0]).toMatchObject({ documentId: invoice, type: 'invoice', reviewed: true, folderId: year.id, fields: { total: { normalized: truth(GERMAN, 'total').normalized } } });
      expect(full.documents[0].lineItems.length).toBe(GERMAN.lineItems.length);
      expect(await json(`&folder=${finance.id}`)).toEqual([invoice]);
      expect(await json('&type=receipt')).toEqual([receipt]);
      expect(await json('&from=2025-03-15')).toEqual([receipt]);
      expect(await json('&to=2025-03-10')).toEqual([invoice]);
      expect(await json('&from=2025-03-10&to=2025-03-20&type=invoice')).toEqual([invoice]);
      expect(await json('&from=&to=&type=&folder=')).toEqual([invoice, receipt]);

      const bad = await t().request('GET', `${base}/extractions/export?format=xml&from=10.03.2030`, { token });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toMatch(/format.*from: Use a date like 2026-01-31/);
      const otherFolder = await t().request('GET', `${other.base}/extractions/export?folder=${finance.id}`, { token: other.token });
      expect(otherFolder.status).toBe(400);
      const theirs = await (await t().request('GET', `${other.base}/extractions/export?format=json`, { token: other.token })).json();
      expect(theirs.documents.map((d: { documentId: string }) => d.documentId)).toEqual([foreign]);
    });
  });
}
