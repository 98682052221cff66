import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateInvoices } from '../../../scripts/train/synthetic-invoices';
import { classifyDocument, DEFAULT_CLASSIFIER_PATH, loadClassifierModel, matchCustomType } from './classify';

const RECEIPT = `FRESHMART SUPERSTORE
12 Station Road, Leeds LS1 4DY
Tel 0113 496 0000
Receipt 0042   Till 3   Cashier: Amy
14/03/2024 18:42
2 x Milk 1L            2.30
Bread wholemeal        1.45
Bananas 1.2kg          1.10
Coffee beans           6.99
SUBTOTAL              11.84
VAT 20% incl           1.97
TOTAL                 11.84
CASH                  20.00
CHANGE                 8.16
Thank you for shopping with us!`;

const INVOICE = `Brightwater Design Ltd
45 High Street, Bristol BS1 5TR
VAT No: GB123456789
INVOICE
Bill To: Harbor Logistics plc
7 Victoria Road, Oxford OX1 2JD
Invoice No: INV-2024-0193      Invoice Date: 02/05/2024
Due Date: 01/06/2024            PO Number: PO-778812
Description            Qty    Unit Price    Amount
Website design          1     2,400.00      2,400.00
Hosting (12 months)     12       25.00        300.00
Subtotal                                  2,700.00
VAT 20%                                     540.00
Total Due                              £3,240.00
Bank: Barclays   IBAN: GB33 BARC 2000 0055 7799 11
Payment within 30 days of the invoice date.`;

const LETTER = `Dear Ms Janssen,

Thank you for your letter of 12 March regarding the new office in Utrecht. We are pleased
to confirm that the planning workshop will take place on 4 April in our main building, and
that parking spaces are available behind it. Please let me know whether the proposed
schedule works for your team, and do not hesitate to contact me with any questions.

Kind regards,
Peter Meier`;

const PURCHASE_ORDER = `PURCHASE ORDER
Ship via: ground freight
Order date: 03/04/2024
Vendor: Falcon Supplies Inc.
Item            Qty   Price
Cable ties      100   0.10
Total                10.00`;

const text = (s: string) => [{ text: s }];

describe('classifyDocument', () => {
  it('tells a receipt, an invoice and a letter apart from their text alone', async () => {
    const receipt = await classifyDocument(text(RECEIPT));
    expect(receipt.type).toBe('receipt');
    expect(receipt.confidence).toBeGreaterThan(0.7);
    const invoice = await classifyDocument(text(INVOICE));
    expect(invoice.type).toBe('invoice');
    expect(invoice.confidence).toBeGreaterThan(0.7);
    const letter = await classifyDocument(text(LETTER));
    expect(letter.type).toBe('other');
    expect(Object.keys(letter.scores).sort()).toEqual(['invoice', 'other', 'receipt']);
  });

  it('reads pages that have words with boxes and no text', async () => {
    for (const inv of generateInvoices(31, 3)) expect((await classifyDocument(inv.pages)).type).toBe('invoice');
  });

  it('gives a custom type the document when its keywords clearly match', async () => {
    const customs = [{ key: 'purchase_order', keywords: ['purchase order', 'ship via', 'order date'] }];
    const c = await classifyDocument(text(PURCHASE_ORDER), customs);
    expect(c.type).toBe('purchase_order');
    expect(c.confidence).toBeGreaterThanOrEqual(0.8);
    expect(c.scores.purchase_order).toBe(c.confidence);
  });

  it('keeps the built-in type when a custom keyword only appears once in the body', async () => {
    const customs = [{ key: 'purchase_order', keywords: ['purchase order', 'ship via', 'order date'] }];
    const c = await classifyDocument(text(INVOICE.replace('PO Number', 'Purchase Order')), customs);
    expect(c.type).toBe('invoice');
    expect(c.scores.purchase_order).toBeLessThan(0.8);
  });

  it('answers other with a low confidence for empty or very short text', async () => {
    const empty = await classifyDocument([{ text: '' }, { words: [] }]);
    expect(empty).toMatchObject({ type: 'other' });
    expect(empty.confidence).toBeLessThan(0.5);
    const short = await classifyDocument(text('Total 12.00'));
    expect(short.type).toBe('other');
    expect(short.confidence).toBeLessThan(0.5);
  });
});

describe('matchCustomType', () => {
  it('matches folded whole words and rewards the heading', () => {
    expect(matchCustomType('DELIVERY NOTE\nGoods received in good order', ['Delivery note'])).toMatchObject({ clear: true, coverage: 1 });
    expect(matchCustomType('This is about a delivery notebook', ['delivery note']).coverage).toBe(0);
    expect(matchCustomType('a\nb\nc\nd\ne\nf\nthe lieferschein is attached', ['Lieferschein', 'Lieferdatum']).clear).toBe(false);
    expect(matchCustomType('a\nb\nc\nd\ne\nf\nLieferschein and Lieferdatum', ['Lieferschein', 'Lieferdatum']).clear).toBe(true);
  });
});

describe('loadClassifierModel', () => {
  it('refuses a model whose bytes do not match the manifest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-classifier-'));
    fs.copyFileSync(DEFAULT_CLASSIFIER_PATH, path.join(dir, 'classifier.onnx'));
    const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(DEFAULT_CLASSIFIER_PATH), 'manifest.json'), 'utf8')) as { models: Array<{ name: string; sha256: string }> };
    manifest.models.find((m) => m.name === 'classifier')!.sha256 = '0'.repeat(64);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(loadClassifierModel(path.join(dir, 'classifier.onnx'))).rejects.toThrow(/sha256/);
    expect(await loadClassifierModel()).toBe(await loadClassifierModel(DEFAULT_CLASSIFIER_PATH));
  });
});
