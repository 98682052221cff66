import { describe, expect, it } from 'vitest';
import { normalizeField, ZCustomType } from './doctypes';
import { csvCell, toCsv } from './export.service';
import { RECEIPT } from './doctypes';

describe('normalizeField', () => {
  it('normalizes each kind the way reviewers and exports expect', () => {
    expect(normalizeField({ kind: 'date' }, '31.01.2024')).toBe('2024-01-31');
    expect(normalizeField({ kind: 'date' }, '2024-01-31')).toBe('2024-01-31');
    expect(normalizeField({ kind: 'amount' }, '1.234,50 €')).toBe('1234.50');
    expect(normalizeField({ kind: 'number' }, '42')).toBe('42');
    expect(normalizeField({ kind: 'currency' }, '€')).toBe('EUR');
    expect(normalizeField({ kind: 'iban' }, 'de89 3704 0044 0532 0130 00')).toBe('DE89370400440532013000');
    expect(normalizeField({ kind: 'enum', options: ['Paid', 'Open'] }, 'paid')).toBe('Paid');
    expect(normalizeField({ kind: 'enum', options: ['Paid', 'Open'] }, 'later')).toBeNull();
    expect(normalizeField({ kind: 'amount' }, 'twelve')).toBeNull();
    expect(normalizeField({ kind: 'text' }, '  a \n b ')).toBe('a b');
  });
});

describe('custom type definitions', () => {
  const base = { key: 'delivery_note', name: 'Delivery note', keywords: ['delivery note'], fields: [{ name: 'number', label: 'Number', kind: 'text' }] };
  it('accepts a well-formed type and refuses built-in keys, duplicate fields and enums without options', () => {
    expect(ZCustomType.safeParse(base).success).toBe(true);
    expect(ZCustomType.safeParse({ ...base, key: 'invoice' }).success).toBe(false);
    expect(ZCustomType.safeParse({ ...base, fields: [base.fields[0], base.fields[0]] }).success).toBe(false);
    expect(ZCustomType.safeParse({ ...base, fields: [{ name: 'state', label: 'State', kind: 'enum' }] }).success).toBe(false);
    expect(ZCustomType.safeParse({ ...base, key: 'Bad Key' }).success).toBe(false);
  });
});

describe('CSV export', () => {
  it('quotes what needs quoting and neutralizes formulas but not negative amounts', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-12.50')).toBe('-12.50');
    expect(csvCell(null)).toBe('');
  });

  it('writes one row per document with a column per field of the types present', () => {
    const csv = toCsv(
      [{ documentId: 'd1', name: 'r.jpg', status: 'ready', folderId: null, uploadedAt: '2024-01-01T00:00:00.000Z', type: 'receipt', typeConfidence: 0.9, reviewed: true, reviewedAt: null, fields: { total: { value: 'RM 9,90', normalized: '9.90', confidence: 1, page: 1, box: null, source: 'user' }, merchant: { value: 'Kedai, Sdn Bhd', normalized: 'Kedai, Sdn Bhd', confidence: 1, page: 1, box: null, source: 'model' } }, lineItems: null, issues: [] }],
      [RECEIPT],
    );
    const [head, row] = csv.trim().split('\r\n');
    expect(head).toBe('document_id,name,type,status,reviewed,uploaded_at,merchant,address,date,total,tax');
    expect(row).toBe('d1,r.jpg,receipt,ready,yes,2024-01-01T00:00:00.000Z,"Kedai, Sdn Bhd",,,9.90,');
  });
});
