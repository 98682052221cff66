/**
 * Consistency rules over extracted fields: amounts parse and add up (subtotal + tax =
 * total), dates parse and the due date is not before the invoice date, the IBAN checksum
 * holds. A broken rule lowers the confidence of the fields it names.
 */
import type { DocumentType } from './candidates';
import { isValidIban, normalizeAmount } from './normalize';

/** The part of an extracted field that the rules read. */
export interface FieldValue {
  value: string;
  normalized: string | null;
  confidence: number;
}

/** A rule the extracted fields break. */
export interface BrokenRule {
  rule: 'amount_parse' | 'date_parse' | 'sum' | 'due_before_issue' | 'iban_checksum';
  fields: string[];
  message: string;
}

const AMOUNT_FIELDS = ['subtotal', 'tax', 'total'];
const DATE_FIELDS = ['date', 'invoiceDate', 'dueDate'];

/** Lists the rules that `fields` break (an absent field breaks none). */
export function validateFields(type: DocumentType, fields: Record<string, FieldValue | undefined>): BrokenRule[] {
  const broken: BrokenRule[] = [];
  for (const name of AMOUNT_FIELDS) {
    const f = fields[name];
    if (f && (f.normalized === null || normalizeAmount(f.normalized) === null)) broken.push({ rule: 'amount_parse', fields: [name], message: `The ${name} "${f.value}" is not an amount.` });
  }
  for (const name of DATE_FIELDS) {
    const f = fields[name];
    if (f && (f.normalized === null || !/^\d{4}-\d{2}-\d{2}$/.test(f.normalized))) broken.push({ rule: 'date_parse', fields: [name], message: `The ${name} "${f.value}" is not a date.` });
  }
  const amount = (name: string) => {
    const n = fields[name]?.normalized;
    return n && normalizeAmount(n) !== null ? Number(n) : null;
  };
  const sub = amount('subtotal'), tax = amount('tax'), total = amount('total');
  if (type === 'invoice' && sub !== null && total !== null) {
    const expected = sub + (tax ?? 0);
    if (Math.abs(expected - total) > 0.011) {
      broken.push({ rule: 'sum', fields: tax === null ? ['subtotal', 'total'] : ['subtotal', 'tax', 'total'], message: `Subtotal ${sub.toFixed(2)}${tax === null ? '' : ` + tax ${tax.toFixed(2)}`} is not the total ${total.toFixed(2)}.` });
    }
  }
  if (type === 'receipt' && tax !== null && total !== null && tax > total) {
    broken.push({ rule: 'sum', fields: ['tax', 'total'], message: `Tax ${tax.toFixed(2)} exceeds the total ${total.toFixed(2)}.` });
  }
  const issued = fields.invoiceDate?.normalized, due = fields.dueDate?.normalized;
  if (issued && due && /^\d{4}-\d{2}-\d{2}$/.test(issued) && /^\d{4}-\d{2}-\d{2}$/.test(due) && due < issued) {
    broken.push({ rule: 'due_before_issue', fields: ['invoiceDate', 'dueDate'], message: `The due date ${due} is before the invoice date ${issued}.` });
  }
  const iban = fields.iban;
  if (iban && !isValidIban(iban.value)) broken.push({ rule: 'iban_checksum', fields: ['iban'], message: `The IBAN "${iban.value}" fails its checksum.` });
  return broken;
}

/** Multiplies the confidence of every field named by a broken rule by `factor` (once per rule). */
export function applyPenalties<T extends FieldValue>(fields: Record<string, T>, broken: BrokenRule[], factor = 0.5): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, f] of Object.entries(fields)) {
    const hits = broken.filter((b) => b.fields.includes(name)).length;
    out[name] = { ...f, confidence: f.confidence * factor ** hits };
  }
  return out;
}
