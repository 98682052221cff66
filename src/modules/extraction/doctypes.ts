/**
 * Document types and their fields: the built-in invoice and receipt (extracted by the
 * ranking model) and an organization's custom types (extracted by their labels). Pure.
 */
import { z } from 'zod';
import type { DocumentType as ModelType } from './candidates';
import { compactIban, normalizeAmount, normalizeCurrency, normalizeDate, type DateOrder } from './normalize';

/** What a field holds; custom types use the first five. */
export type FieldKind = 'text' | 'date' | 'amount' | 'number' | 'enum' | 'currency' | 'iban' | 'id';
export const CUSTOM_FIELD_KINDS = ['text', 'date', 'amount', 'number', 'enum'] as const;

export interface FieldDef {
  /** Key in the API and exports (camelCase for built-ins). */
  name: string;
  /** What the reviewer reads. */
  label: string;
  kind: FieldKind;
  /** For enums: the allowed values. */
  options?: string[];
  /** For custom types: phrases printed next to the value ("PO", "Order no"). The label is always one. */
  labels?: string[];
  /** The name of the model output that fills it, where it differs from `name`. */
  modelField?: string;
}

export interface TypeDef {
  key: string;
  name: string;
  builtin: boolean;
  fields: FieldDef[];
  /** Phrases that mark the type (custom types). */
  keywords: string[];
  /** Whether the type has line items (invoices). */
  lineItems: boolean;
}

/** Types that are not an organization's own. */
export const BUILTIN_KEYS = ['invoice', 'receipt', 'other'] as const;

export const INVOICE: TypeDef = {
  key: 'invoice',
  name: 'Invoice',
  builtin: true,
  keywords: [],
  lineItems: true,
  fields: [
    { name: 'invoiceNumber', label: 'Invoice number', kind: 'id' },
    { name: 'invoiceDate', label: 'Invoice date', kind: 'date' },
    { name: 'dueDate', label: 'Due date', kind: 'date' },
    { name: 'vendorName', label: 'Vendor name', kind: 'text' },
    { name: 'vendorAddress', label: 'Vendor address', kind: 'text' },
    { name: 'vendorTaxId', label: 'Vendor tax id', kind: 'id' },
    { name: 'customerName', label: 'Customer name', kind: 'text' },
    { name: 'poNumber', label: 'PO number', kind: 'id' },
    { name: 'currency', label: 'Currency', kind: 'currency' },
    { name: 'subtotal', label: 'Subtotal', kind: 'amount' },
    { name: 'tax', label: 'Tax', kind: 'amount' },
    { name: 'total', label: 'Total', kind: 'amount' },
    { name: 'iban', label: 'IBAN', kind: 'iban' },
  ],
};

export const RECEIPT: TypeDef = {
  key: 'receipt',
  name: 'Receipt',
  builtin: true,
  keywords: [],
  lineItems: false,
  fields: [
    { name: 'merchant', label: 'Merchant', kind: 'text', modelField: 'company' },
    { name: 'address', label: 'Address', kind: 'text' },
    { name: 'date', label: 'Date', kind: 'date' },
    { name: 'total', label: 'Total', kind: 'amount' },
    { name: 'tax', label: 'Tax', kind: 'amount' },
  ],
};

export const OTHER: TypeDef = { key: 'other', name: 'Other', builtin: true, keywords: [], lineItems: false, fields: [] };

export const BUILTIN_TYPES: readonly TypeDef[] = [INVOICE, RECEIPT, OTHER];

/** The model type behind a built-in type, if any. */
export function modelTypeOf(key: string): ModelType | null {
  return key === 'invoice' || key === 'receipt' ? key : null;
}

/** Fields whose value is the same on every document of one vendor: learnt as values, not positions. */
export const VENDOR_FIELDS: Readonly<Record<string, readonly string[]>> = {
  invoice: ['vendorName', 'vendorAddress', 'vendorTaxId', 'iban', 'currency'],
  receipt: ['merchant', 'address'],
};

/** The field that names the vendor, per built-in type. */
export const VENDOR_NAME_FIELD: Readonly<Record<string, string>> = { invoice: 'vendorName', receipt: 'merchant' };

const ZFieldName = z.string().trim().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,39}$/, 'Field names start with a letter and hold letters, digits or _ (at most 40)');

export const ZCustomField = z
  .object({
    name: ZFieldName,
    label: z.string().trim().min(1).max(80),
    kind: z.enum(CUSTOM_FIELD_KINDS),
    options: z.array(z.string().trim().min(1).max(80)).max(50).optional(),
    labels: z.array(z.string().trim().min(1).max(80)).max(20).optional(),
  })
  .refine((f) => f.kind !== 'enum' || (f.options && f.options.length > 0), { message: 'An enum field needs at least one option', path: ['options'] });

/** A custom type as an admin defines it. */
export const ZCustomType = z
  .object({
    key: z.string().trim().regex(/^[a-z][a-z0-9_]{1,39}$/, 'The key holds lower-case letters, digits or _ (2 to 40), starting with a letter'),
    name: z.string().trim().min(1).max(80),
    keywords: z.array(z.string().trim().min(2).max(80)).min(1, 'Give at least one keyword that marks documents of this type').max(30),
    fields: z.array(ZCustomField).min(1, 'Give at least one field').max(40),
  })
  .refine((t) => !(BUILTIN_KEYS as readonly string[]).includes(t.key), { message: 'invoice, receipt and other are built in', path: ['key'] })
  .refine((t) => new Set(t.fields.map((f) => f.name)).size === t.fields.length, { message: 'Field names must differ', path: ['fields'] });
export type CustomTypeInput = z.infer<typeof ZCustomType>;

/**
 * The normalized value of `value` for a field of `kind`: ISO date, decimal amount, number,
 * ISO currency, compact IBAN, upper-case id, the matching enum option, single-spaced text.
 * Null when the value does not parse as its kind.
 */
export function normalizeField(def: Pick<FieldDef, 'kind' | 'options'>, value: string, order: DateOrder = 'dmy'): string | null {
  const v = value.replace(/\s+/g, ' ').trim();
  if (!v) return null;
  switch (def.kind) {
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : normalizeDate(v, order);
    case 'amount':
      return normalizeAmount(v);
    case 'number': {
      const n = normalizeAmount(v.replace(/^[+]/, ''));
      return n === null ? null : String(Number(n));
    }
    case 'currency':
      return normalizeCurrency(v);
    case 'iban':
      return compactIban(v);
    case 'id':
      return v.replace(/^[#:№\s]+/, '').toUpperCase();
    case 'enum': {
      const f = v.toLowerCase();
      return def.options?.find((o) => o.toLowerCase() === f) ?? null;
    }
    default:
      return v;
  }
}
