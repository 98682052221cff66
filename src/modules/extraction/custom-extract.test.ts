import { describe, expect, it } from 'vitest';
import { extractCustomFields } from './custom-extract';
import type { FieldDef } from './doctypes';

const FIELDS: FieldDef[] = [
  { name: 'noteNumber', label: 'Delivery note', kind: 'text', labels: ['Lieferschein'] },
  { name: 'shipped', label: 'Shipped on', kind: 'date' },
  { name: 'weight', label: 'Gross weight', kind: 'number' },
  { name: 'freight', label: 'Freight', kind: 'amount' },
  { name: 'carrier', label: 'Carrier', kind: 'enum', options: ['DHL', 'UPS', 'DPD'] },
];

describe('custom type extraction by labels', () => {
  it('reads values after their labels in plain text, parsing each kind', () => {
    const text = 'ACME Logistics\nDelivery note: DN-2024-118\nShipped on 3 March 2024\nGross weight: 1.250,5\nFreight: EUR 48,90\nSent with ups express';
    const fields = extractCustomFields([{ text }], FIELDS);
    expect(fields.noteNumber).toMatchObject({ value: 'DN-2024-118', normalized: 'DN-2024-118', page: 1, box: null });
    expect(fields.shipped.normalized).toBe('2024-03-03');
    expect(fields.weight.normalized).toBe('1250.5');
    expect(fields.freight.normalized).toBe('48.90');
    expect(fields.carrier).toMatchObject({ normalized: 'UPS' });
    expect(fields.carrier.confidence).toBeLessThan(fields.noteNumber.confidence);
  });

  it('takes the value from the line below a label that ends its line, with its box', () => {
    const words = [
      { t: 'Lieferschein', b: [0.1, 0.1, 0.15, 0.02] as [number, number, number, number] },
      { t: 'LS-9', b: [0.1, 0.13, 0.05, 0.02] as [number, number, number, number] },
    ];
    const fields = extractCustomFields([{ text: 'Lieferschein\nLS-9', words }], FIELDS);
    expect(fields.noteNumber).toMatchObject({ value: 'LS-9', page: 1, box: [0.1, 0.13, 0.05, 0.02] });
  });

  it('leaves out fields it cannot find and marks values that do not parse', () => {
    const fields = extractCustomFields([{ text: 'Shipped on: soon\nnothing else' }], FIELDS);
    expect(fields.weight).toBeUndefined();
    expect(fields.shipped).toBeUndefined();
    const bad = extractCustomFields([{ text: 'Carrier: FedEx' }], [{ name: 'carrier', label: 'Carrier', kind: 'text' }]);
    expect(bad.carrier.value).toBe('FedEx');
  });
});
