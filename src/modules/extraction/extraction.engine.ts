/**
 * From a document's pages to its classification and fields: classify (unless a user chose
 * the type), extract with the ranking model for invoices and receipts — helped by what
 * reviews taught about the vendor — or by labels for custom types, read invoice line
 * items, check the consistency rules, and decide whether a person must review it.
 */
import type { Db } from '../../platform/db/db';
import type { DocumentType as CustomTypeRow, VendorProfile } from '../../platform/db/schema';
import { buildCandidates, featureMatrix, FIELDS, type ExtractionPage, type PageWord } from './candidates';
import { classifyDocument } from './classify';
import { extractCustomFields } from './custom-extract';
import { BUILTIN_TYPES, modelTypeOf, normalizeField, VENDOR_FIELDS, type FieldDef, type TypeDef } from './doctypes';
import { pickFields } from './extract';
import * as repo from './extraction.repository';
import { extractLineItems, type LineItem } from './line-items';
import { loadExtractorModel } from './model';
import { validateFields } from './validate';
import { applyHints, locateValue, matchVendor, type Box, type VendorHints } from './vendor';

/** A page as stored: its text and, for text layers and OCR, its words with boxes. */
export interface SourcePage {
  text: string;
  words: PageWord[] | null;
}

/** Where a field's value came from. */
export type FieldSource = 'model' | 'vendor' | 'labels' | 'user';

export interface StoredField {
  value: string;
  normalized: string | null;
  confidence: number;
  page: number | null;
  box: Box | null;
  source: FieldSource;
}

/** A rule the fields break, shown to the reviewer. */
export interface Issue {
  rule: string;
  fields: string[];
  message: string;
}

export interface ComputedExtraction {
  type: string;
  typeConfidence: number;
  typeSource: 'model' | 'user';
  fields: Record<string, StoredField>;
  lineItems: LineItem[] | null;
  issues: Issue[];
  vendorKey: string | null;
}

/** A custom type row as a type definition (rows are validated when written). */
export function customTypeDef(row: CustomTypeRow): TypeDef {
  return { key: row.key, name: row.name, builtin: false, keywords: JSON.parse(row.keywords) as string[], fields: JSON.parse(row.fields) as FieldDef[], lineItems: false };
}

/** Every type an organization can use: the built-in ones, then its own. */
export async function typeDefs(db: Db, orgId: string): Promise<TypeDef[]> {
  return [...BUILTIN_TYPES, ...(await repo.listTypes(db, orgId)).map(customTypeDef)];
}

/**
 * Pages as the extractor reads them. Pages without word boxes (DOCX, e-mail, plain text)
 * get one row per line, words placed by character column, so the layout features still
 * mean something; boxes found on such pages are not reported.
 */
export function extractionPages(pages: SourcePage[]): { pages: ExtractionPage[]; boxed: boolean[] } {
  const boxed = pages.map((p) => !!p.words?.length);
  return {
    boxed,
    pages: pages.map((p) => {
      if (p.words?.length) return { words: p.words };
      const lines = p.text.split(/\r?\n/);
      const width = Math.max(40, ...lines.map((l) => l.length));
      const rowH = 1 / Math.max(lines.length, 40);
      const words: PageWord[] = [];
      lines.forEach((line, row) => {
        for (const m of line.matchAll(/\S+/g)) words.push({ t: m[0], b: [m.index / width, row * rowH, m[0].length / width, rowH * 0.8] });
      });
      return { words };
    }),
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Values that do not parse as their field's kind. */
function parseIssues(defs: FieldDef[], fields: Record<string, StoredField>): Issue[] {
  const out: Issue[] = [];
  for (const def of defs) {
    const f = fields[def.name];
    if (f && f.normalized === null && def.kind !== 'text') out.push({ rule: `${def.kind}_parse`, fields: [def.name], message: `${def.label}: "${f.value}" is not ${def.kind === 'enum' ? `one of ${def.options?.join(', ')}` : `a valid ${def.kind}`}.` });
  }
  return out;
}

/** The consistency rules over a type's fields, as issues. */
export function checkFields(def: TypeDef, fields: Record<string, StoredField>): Issue[] {
  const modelType = modelTypeOf(def.key);
  const issues = parseIssues(def.fields, fields);
  if (!modelType) return issues;
  const seen = new Set(issues.map((i) => i.fields.join()));
  for (const b of validateFields(modelType, fields)) {
    if ((b.rule === 'amount_parse' || b.rule === 'date_parse') && seen.has(b.fields.join())) continue;
    issues.push({ rule: b.rule, fields: b.fields, message: b.message });
  }
  return issues;
}

/** Extracts the fields of a built-in type with the model and the vendor's profile. */
async function extractBuiltin(def: TypeDef, pages: ExtractionPage[], boxed: boolean[], profiles: VendorProfile[]): Promise<{ fields: Record<string, StoredField>; vendor: VendorProfile | null }> {
  const modelType = modelTypeOf(def.key)!;
  const { candidates } = buildCandidates(pages);
  const model = await loadExtractorModel();
  const logits = candidates.length ? await model.score(modelType, featureMatrix(candidates), candidates.length) : new Float32Array(0);
  const vendor = matchVendor(pages, profiles);
  const hints: VendorHints = vendor ? (JSON.parse(vendor.hints) as VendorHints) : {};
  const byModelName = Object.fromEntries(def.fields.map((f) => [f.modelField ?? f.name, f.name]));
  // What the model alone picks: a field the vendor's hints change comes from the vendor.
  const modelOnly = vendor ? pickFields(candidates, logits.slice(), modelType).fields : null;
  if (vendor) {
    // Hints are stored under field names; the model's outputs may be named otherwise.
    const modelHints = Object.fromEntries(Object.entries(hints).map(([name, h]) => [def.fields.find((f) => f.name === name)?.modelField ?? name, h]));
    applyHints(candidates, logits, FIELDS[modelType], modelHints, pages);
  }
  const picked = pickFields(candidates, logits, modelType);
  const fields: Record<string, StoredField> = {};
  for (const [name, f] of Object.entries(picked.fields)) {
    const key = byModelName[name] ?? name;
    const source = modelOnly && (modelOnly[name]?.normalized !== f.normalized || modelOnly[name]?.page !== f.page) ? 'vendor' : 'model';
    fields[key] = { value: f.value, normalized: f.normalized, confidence: round3(f.confidence), page: f.page, box: boxed[f.page - 1] ? f.box : null, source };
  }
  // The vendor's constant values, where the document prints them.
  for (const name of VENDOR_FIELDS[def.key] ?? []) {
    const hint = hints[name];
    const fieldDef = def.fields.find((f) => f.name === name);
    if (!hint?.value || !fieldDef) continue;
    const at = locateValue(pages, hint.value);
    if (!at) continue;
    fields[name] = { value: hint.value, normalized: normalizeField(fieldDef, hint.value), confidence: 0.98, page: at.page, box: boxed[at.page - 1] ? at.box : null, source: 'vendor' };
  }
  return { fields, vendor };
}

/** Classification and fields come from the first pages only: invoices and receipts are short, books are not. */
export const EXTRACTION_PAGES = 10;
/** And from at most this many words of them (candidate building grows with the words). */
export const EXTRACTION_WORDS = 6000;

/** The first pages, cut at EXTRACTION_WORDS words. */
function firstPages(pages: SourcePage[]): SourcePage[] {
  const out: SourcePage[] = [];
  let budget = EXTRACTION_WORDS;
  for (const p of pages.slice(0, EXTRACTION_PAGES)) {
    if (budget <= 0) break;
    if (p.words?.length) {
      out.push(p.words.length > budget ? { text: p.words.slice(0, budget).map((w) => w.t).join(' '), words: p.words.slice(0, budget) } : p);
      budget -= p.words.length;
    } else {
      const tokens = p.text.match(/\S+\s*/g) ?? [];
      out.push(tokens.length > budget ? { text: tokens.slice(0, budget).join(''), words: null } : p);
      budget -= tokens.length;
    }
  }
  return out;
}

/**
 * Classifies (unless `forcedType` is given) and extracts a document. Reads the
 * organization's custom types and vendor profiles; writes nothing.
 */
export async function computeExtraction(db: Db, orgId: string, allPages: SourcePage[], forcedType?: string): Promise<ComputedExtraction> {
  const source = firstPages(allPages);
  const defs = await typeDefs(db, orgId);
  const customs = defs.filter((d) => !d.builtin);
  let type: string, typeConfidence: number, typeSource: 'model' | 'user';
  if (forcedType) {
    type = forcedType;
    typeConfidence = 1;
    typeSource = 'user';
  } else {
    const c = await classifyDocument(source, customs.map((d) => ({ key: d.key, keywords: d.keywords })));
    type = defs.some((d) => d.key === c.type) ? c.type : 'other';
    typeConfidence = round3(c.confidence);
    typeSource = 'model';
  }
  const def = defs.find((d) => d.key === type) ?? BUILTIN_TYPES[2];
  const { pages, boxed } = extractionPages(source);
  let fields: Record<string, StoredField> = {};
  let lineItems: LineItem[] | null = null;
  let vendorKey: string | null = null;
  if (modelTypeOf(def.key)) {
    const out = await extractBuiltin(def, pages, boxed, await repo.listVendorProfiles(db, orgId, def.key));
    fields = out.fields;
    vendorKey = out.vendor?.key ?? null;
    if (def.lineItems) lineItems = extractLineItems(pages).map((li) => ({ ...li, box: boxed[li.page - 1] ? li.box : null }) as LineItem);
  } else if (def.fields.length) {
    for (const [name, f] of Object.entries(extractCustomFields(source, def.fields))) fields[name] = { ...f, confidence: round3(f.confidence), source: 'labels' };
  }
  return { type: def.key, typeConfidence, typeSource, fields, lineItems, issues: checkFields(def, fields), vendorKey };
}

/** The fields every document of a built-in type has; missing ones need a reviewer. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = { invoice: ['invoiceNumber', 'total'], receipt: ['merchant', 'date', 'total'] };

/**
 * Whether a person must look at the extraction of a document of a type with fields: the
 * type itself is uncertain, a field is below the organization's threshold, an expected
 * field is missing, or a rule is broken. Documents of no such type (`other`) have nothing
 * to review; a threshold of 0 turns review off.
 */
export function needsReview(x: Pick<ComputedExtraction, 'type' | 'typeConfidence' | 'fields' | 'issues'>, def: TypeDef, threshold: number): boolean {
  if (x.type === 'other' || threshold <= 0) return false;
  if (x.typeConfidence < threshold) return true;
  if (x.issues.length) return true;
  if (Object.values(x.fields).some((f) => f.confidence < threshold)) return true;
  const required = def.builtin ? (REQUIRED[def.key] ?? []) : def.fields.map((f) => f.name);
  return required.some((name) => !x.fields[name]);
}

/** The lowest field confidence, or null without fields. */
export function overallConfidence(fields: Record<string, StoredField>): number | null {
  const values = Object.values(fields).map((f) => f.confidence);
  return values.length ? round3(Math.min(...values)) : null;
}
