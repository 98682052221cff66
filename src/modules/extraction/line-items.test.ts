import { describe, expect, it } from 'vitest';
import { generateInvoices, invoicePdf } from '../../../scripts/train/synthetic-invoices';
import { parsePdf } from '../../platform/workers/tasks/pdf.task';
import type { ExtractionPage, PageWord } from './layout';
import { extractLineItems } from './line-items';

/** A page from rows of [text, x] cells (x in 0..1), one row every 0.02 from `top`; 0.007 per character. */
function page(rows: Array<Array<[string, number]>>, top = 0.1, pitch = 0.02): ExtractionPage {
  const words: PageWord[] = [];
  rows.forEach((cells, r) => {
    for (const [text, x] of cells) {
      let cx = x;
      for (const t of text.split(' ')) {
        words.push({ t, b: [cx, top + r * pitch, t.length * 0.007, 0.012] });
        cx += (t.length + 1) * 0.007;
      }
    }
  });
  return { words };
}

describe('extractLineItems', () => {
  it('reads the item table of synthetic invoices in five languages', () => {
    for (const inv of generateInvoices(77, 12)) {
      const items = extractLineItems(inv.pages);
      expect(items.map(({ description, quantity, unitPrice, amount }) => ({ description, quantity, unitPrice, amount }))).toEqual(inv.lineItems);
      for (const it of items) {
        expect(it.page).toBe(1);
        expect(it.box[2]).toBeGreaterThan(0.3);
      }
    }
  });

  it('reads a text-layer PDF', async () => {
    const [inv] = generateInvoices(5, 1);
    const res = await parsePdf({ bytes: invoicePdf(inv) });
    if (res.kind !== 'parsed') throw new Error(res.kind);
    const pages = res.pages.map((p) => ({ words: p.words.map((w): PageWord => ({ t: w.text, b: [w.box.x, w.box.y, w.box.w, w.box.h] })) }));
    expect(extractLineItems(pages).map((i) => i.amount)).toEqual(inv.lineItems.map((i) => i.amount));
  });

  it('joins multi-line descriptions, keeps items named like totals, and stops at the subtotal', () => {
    const items = extractLineItems([
      page([
        [['Rechnung', 0.05]],
        [['Beschreibung', 0.05], ['Menge', 0.5], ['Einzelpreis', 0.62], ['Betrag', 0.85]],
        [['Beratung Steuerrecht', 0.05], ['2', 0.5], ['150,00', 0.62], ['300,00', 0.85]],
        [['inkl. Reisezeit', 0.05]],
        [['Tax consulting', 0.05], ['1', 0.5], ['1.200,00 €', 0.62], ['1.200,00 €', 0.85]],
        [['Zwischensumme', 0.5], ['1.500,00', 0.85]],
        [['MwSt. 19%', 0.5], ['285,00', 0.85]],
      ]),
    ]);
    expect(items.map(({ description, quantity, unitPrice, amount }) => ({ description, quantity, unitPrice, amount }))).toEqual([
      { description: 'Beratung Steuerrecht inkl. Reisezeit', quantity: '2', unitPrice: '150.00', amount: '300.00' },
      { description: 'Tax consulting', quantity: '1', unitPrice: '1200.00', amount: '1200.00' },
    ]);
    expect(items[0].box[3]).toBeGreaterThan(0.03);
  });

  it('finds nothing without an item table', () => {
    expect(extractLineItems([page([[['Dear Ms Janssen,', 0.05]], [['Total', 0.05], ['12.00', 0.8]]])])).toEqual([]);
    expect(extractLineItems([{ words: [] }])).toEqual([]);
  });
});
