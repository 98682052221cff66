import { describe, expect, it } from 'vitest';
import { applyPenalties, validateFields } from './validate';

const f = (value: string, normalized: string | null = value) => ({ value, normalized, confidence: 0.9 });

describe('validateFields', () => {
  it('accepts consistent invoice fields', () => {
    expect(validateFields('invoice', { subtotal: f('100.00'), tax: f('19.00'), total: f('119.00'), invoiceDate: f('01.03.2024', '2024-03-01'), dueDate: f('15.03.2024', '2024-03-15'), iban: f('DE89 3704 0044 0532 0130 00', 'DE89370400440532013000') })).toEqual([]);
  });

  it('lists every broken rule and lowers the confidence of the fields involved', () => {
    const fields = { subtotal: f('100.00'), tax: f('19.00'), total: f('120.00'), invoiceDate: f('2024-03-15'), dueDate: f('2024-03-01'), iban: f('DE89 3704 0044 0532 0130 01', 'x'), invoiceNumber: f('A1') };
    const broken = validateFields('invoice', fields);
    expect(broken.map((b) => b.rule).sort()).toEqual(['due_before_issue', 'iban_checksum', 'sum']);
    const penalized = applyPenalties(fields, broken);
    expect(penalized.total.confidence).toBeCloseTo(0.45);
    expect(penalized.invoiceNumber.confidence).toBeCloseTo(0.9);
  });

  it('flags amounts and dates that do not parse', () => {
    const broken = validateFields('receipt', { total: f('abc', null), date: f('soon', null) });
    expect(broken.map((b) => b.rule).sort()).toEqual(['amount_parse', 'date_parse']);
  });
});
