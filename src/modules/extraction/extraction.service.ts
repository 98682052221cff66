/**
 * Extractions as users meet them: read a document's fields, correct and confirm them (which
 * teaches the vendor profile), change its type, work through the review queue, export.
 */
import { z } from 'zod';
import { type Actor, authorize } from '../../authz';
import type { Db } from '../../platform/db/db';
import type { Document, Extraction } from '../../platform/db/schema';
import type { Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import * as docRepo from '../documents/document.repository';
import { buildCandidates, type ExtractionPage } from './candidates';
import { modelTypeOf, normalizeField, VENDOR_FIELDS, VENDOR_NAME_FIELD, type TypeDef } from './doctypes';
import { checkFields, computeExtraction, extractionPages, needsReview, overallConfidence, typeDefs, type ComputedExtraction, type Issue, type SourcePage, type StoredField } from './extraction.engine';
import * as repo from './extraction.repository';
import type { LineItem } from './line-items';
import { hintsFromReview, locateValue, vendorKey, type Box, type VendorHints } from './vendor';

/** What the API returns for a document's extraction. */
export interface PresentedExtraction {
  documentId: string;
  documentName: string;
  status: Document['status'];
  type: string;
  typeName: string;
  /** Confidence of the classification. */
  confidence: number;
  typeSource: 'model' | 'user';
  /** The lowest field confidence. */
  fieldConfidence: number | null;
  needsReview: boolean;
  fields: Record<string, StoredField>;
  lineItems: LineItem[] | null;
  issues: Issue[];
  /** The type's fields in form order, with labels and kinds. */
  definition: { key: string; name: string; fields: TypeDef['fields']; lineItems: boolean };
  vendorKey: string | null;
  reviewedAt: string | null;
  reviewedBy: string | null;
  updatedAt: string;
}

function present(doc: Document, x: Extraction, def: TypeDef): PresentedExtraction {
  return {
    documentId: doc.id,
    documentName: doc.name,
    status: doc.status,
    type: x.type,
    typeName: def.name,
    confidence: x.type_confidence,
    typeSource: x.type_source,
    fieldConfidence: x.confidence,
    needsReview: doc.status === 'needs_review',
    fields: JSON.parse(x.fields) as Record<string, StoredField>,
    lineItems: x.line_items ? (JSON.parse(x.line_items) as LineItem[]) : null,
    issues: JSON.parse(x.issues) as Issue[],
    definition: { key: def.key, name: def.name, fields: def.fields, lineItems: def.lineItems },
    vendorKey: x.vendor_key,
    reviewedAt: x.reviewed_at,
    reviewedBy: x.reviewed_by,
    updatedAt: x.updated_at,
  };
}

/** The pages of a document's current version, as the extractor reads them. */
export async function sourcePages(db: Db, orgId: string, versionId: string): Promise<SourcePage[]> {
  const rows = await repo.listPageWords(db, orgId, versionId);
  return rows.map((p) => ({ text: p.text, words: p.words ? JSON.parse(p.words) : null }));
}

function rowOf(doc: Document, versionId: string, x: ComputedExtraction, now: string, prev?: Extraction): Extraction {
  return {
    document_id: doc.id,
    org_id: doc.org_id,
    version_id: versionId,
    type: x.type,
    type_confidence: x.typeConfidence,
    type_source: x.typeSource,
    confidence: overallConfidence(x.fields),
    fields: JSON.stringify(x.fields),
    line_items: x.lineItems ? JSON.stringify(x.lineItems) : null,
    issues: JSON.stringify(x.issues),
    vendor_key: x.vendorKey,
    reviewed_by: null,
    reviewed_at: null,
    created_at: prev?.created_at ?? now,
    updated_at: now,
  };
}

/**
 * The pipeline's `extract` step: classifies and extracts the pages just produced and says
 * whether the document is `ready` or `needs_review`. A type a user chose for an earlier
 * version is kept. Writes nothing: the caller saves the row with the document's status.
 */
export async function extractForPipeline(db: Db, doc: Document, versionId: string, pages: SourcePage[], now: string): Promise<{ row: Extraction; status: 'ready' | 'needs_review' }> {
  const prev = await repo.findExtraction(db, doc.org_id, doc.id);
  const defs = await typeDefs(db, doc.org_id);
  const forced = prev?.type_source === 'user' && defs.some((d) => d.key === prev.type) ? prev.type : undefined;
  const x = await computeExtraction(db, doc.org_id, pages, forced);
  const def = defs.find((d) => d.key === x.type)!;
  const threshold = await repo.reviewThreshold(db, doc.org_id);
  return { row: rowOf(doc, versionId, x, now, prev), status: needsReview(x, def, threshold) ? 'needs_review' : 'ready' };
}

async function loadProcessed(ctx: Ctx, actor: Actor, documentId: string): Promise<Document> {
  authorize(actor, 'document.read');
  const doc = await docRepo.findDocument(ctx.db, actor.orgId, documentId);
  if (!doc) throw notFound('Document');
  return doc;
}

/**
 * A document's extraction. Documents processed before extraction existed get one on first
 * read; a document still processing (or that failed) has none.
 */
async function ensureExtraction(ctx: Ctx, doc: Document): Promise<Extraction> {
  const found = await repo.findExtraction(ctx.db, doc.org_id, doc.id);
  if (found && found.version_id === doc.current_version_id) return found;
  if ((doc.status !== 'ready' && doc.status !== 'needs_review') || !doc.current_version_id) {
    throw new AppError('conflict', 'This document has no extracted fields yet: it is not processed.');
  }
  const { row } = await extractForPipeline(ctx.db, doc, doc.current_version_id, await sourcePages(ctx.db, doc.org_id, doc.current_version_id), ctx.clock.now().toISOString());
  await repo.saveExtraction(ctx.db, row);
  return row;
}

async function defOf(ctx: Ctx, orgId: string, key: string): Promise<TypeDef> {
  const def = (await typeDefs(ctx.db, orgId)).find((d) => d.key === key);
  if (!def) throw new AppError('validation_failed', `Unknown document type "${key}".`);
  return def;
}

export async function getExtraction(ctx: Ctx, actor: Actor, documentId: string): Promise<PresentedExtraction> {
  const doc = await loadProcessed(ctx, actor, documentId);
  const x = await ensureExtraction(ctx, doc);
  return present(doc, x, await defOf(ctx, doc.org_id, x.type).catch(() => defOf(ctx, doc.org_id, 'other')));
}

const ZBox = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1)]);

const ZFieldInput = z.object({
  value: z.string().max(2000).nullable(),
  normalized: z.string().max(2000).nullable().optional(),
  confidence: z.number().optional(),
  page: z.number().int().min(1).nullable().optional(),
  box: ZBox.nullable().optional(),
});

const ZLineItem = z.object({
  description: z.string().max(2000),
  quantity: z.string().max(100).nullable(),
  unitPrice: z.string().max(100).nullable(),
  amount: z.string().max(100).nullable(),
  page: z.number().int().min(1).nullable().optional(),
  box: ZBox.nullable().optional(),
});

/**
 * A correction, in the shape the API returns: `type` changes the document type (fields are
 * extracted again for it unless given), each of `fields` replaces that field (null or an
 * empty value removes it; fields not named stay as they are), `lineItems` replaces them.
 * `confirm` (default true) marks the document reviewed: `ready`.
 */
export const ZExtractionUpdate = z.object({
  type: z.string().max(40).optional(),
  confidence: z.number().optional(),
  fields: z.record(z.string().max(40), ZFieldInput.nullable()).optional(),
  lineItems: z.array(ZLineItem).max(1000).nullable().optional(),
  confirm: z.boolean().optional(),
});
export type ExtractionUpdate = z.infer<typeof ZExtractionUpdate>;

/** Applies a reviewer's correction and, when confirmed, learns from it and marks the document ready. */
export async function updateExtraction(ctx: Ctx, actor: Actor, documentId: string, input: ExtractionUpdate): Promise<PresentedExtraction> {
  authorize(actor, 'extraction.review');
  const doc = await loadProcessed(ctx, actor, documentId);
  if (doc.deleted_at) throw new AppError('conflict', 'Restore the document from the trash before reviewing it.');
  const current = await ensureExtraction(ctx, doc);
  const pages = await sourcePages(ctx.db, doc.org_id, current.version_id);
  const now = ctx.clock.now().toISOString();
  const confirm = input.confirm ?? true;

  let x: ComputedExtraction = {
    type: current.type, typeConfidence: current.type_confidence, typeSource: current.type_source, fields: JSON.parse(current.fields), lineItems: current.line_items ? JSON.parse(current.line_items) : null,
    issues: JSON.parse(current.issues), vendorKey: current.vendor_key,
  };
  const typeChanged = input.type !== undefined && input.type !== current.type;
  if (typeChanged) {
    await defOf(ctx, doc.org_id, input.type!);
    x = await computeExtraction(ctx.db, doc.org_id, pages, input.type);
  }
  const def = await defOf(ctx, doc.org_id, x.type);
  const before = typeChanged ? {} : { ...x.fields };
  const laidOut = extractionPages(pages).pages;
  const { dateOrder } = buildCandidates(laidOut);
  const unknown = Object.keys(input.fields ?? {}).filter((name) => !def.fields.some((f) => f.name === name));
  if (unknown.length) throw new AppError('validation_failed', `${def.name} has no field ${unknown.map((n) => `"${n}"`).join(', ')}. Its fields: ${def.fields.map((f) => f.name).join(', ') || 'none'}.`);
  const changed: string[] = [];
  for (const [name, f] of Object.entries(input.fields ?? {})) {
    const fieldDef = def.fields.find((d) => d.name === name)!;
    const old = x.fields[name];
    const value = f?.value?.replace(/\s+/g, ' ').trim();
    if (!value) {
      if (old) changed.push(name);
      delete x.fields[name];
      continue;
    }
    const at = f?.page && f.box ? { page: f.page, box: f.box as Box } : old?.value === value ? { page: old.page, box: old.box } : locateValue(laidOut, value);
    const next: StoredField = { value, normalized: normalizeField(fieldDef, value, dateOrder), confidence: 1, page: at?.page ?? null, box: at?.box ?? null, source: old && sameFieldValue(old, value) ? old.source : 'user' };
    if (!old || !sameFieldValue(old, value)) changed.push(name);
    x.fields[name] = next;
  }
  if (input.lineItems !== undefined && def.lineItems) {
    x.lineItems = input.lineItems?.map((li) => ({ description: li.description, quantity: li.quantity, unitPrice: li.unitPrice, amount: li.amount, page: li.page ?? null, box: li.box ?? null }) as unknown as LineItem) ?? null;
  }
  if (confirm) for (const f of Object.values(x.fields)) f.confidence = 1;
  x.issues = checkFields(def, x.fields);
  const threshold = await repo.reviewThreshold(ctx.db, doc.org_id);
  const status: Document['status'] = confirm ? 'ready' : needsReview(x, def, threshold) ? 'needs_review' : 'ready';
  const row: Extraction = { ...rowOf(doc, current.version_id, x, now, current), reviewed_by: confirm ? actor.userId : current.reviewed_by, reviewed_at: confirm ? now : current.reviewed_at };

  await ctx.db.transaction().execute(async (trx) => {
    await repo.saveExtraction(trx, row);
    await docRepo.updateDocument(trx, doc.org_id, doc.id, { status, updated_at: now });
    if (typeChanged) await repo.insertCorrection(trx, { id: newId(), org_id: doc.org_id, document_id: doc.id, type: x.type, field: '$type', before: JSON.stringify(current.type), after: JSON.stringify(x.type), user_id: actor.userId, created_at: now });
    for (const name of changed) {
      await repo.insertCorrection(trx, { id: newId(), org_id: doc.org_id, document_id: doc.id, type: x.type, field: name, before: before[name] ? JSON.stringify(before[name]) : null, after: x.fields[name] ? JSON.stringify(x.fields[name]) : null, user_id: actor.userId, created_at: now });
    }
    if (confirm) await learnVendor(trx, doc.org_id, def, laidOut, x.fields, now);
    await recordAudit(trx, ctx.clock, ctx.meta, {
      action: confirm ? 'extraction.confirmed' : 'extraction.corrected', orgId: doc.org_id, actorId: actor.userId, targetType: 'document', targetId: doc.id,
      data: { type: x.type, ...(typeChanged ? { previousType: current.type } : {}), corrected: changed },
    });
  });
  return present({ ...doc, status }, row, def);
}

function sameFieldValue(f: StoredField, value: string): boolean {
  return f.value.replace(/\s+/g, ' ').trim() === value;
}

/** Stores what a confirmed review shows about the vendor: where fields sit, their labels, its constant values. */
async function learnVendor(db: Db, orgId: string, def: TypeDef, pages: ExtractionPage[], fields: Record<string, StoredField>, now: string): Promise<void> {
  const nameField = VENDOR_NAME_FIELD[def.key];
  const name = nameField ? fields[nameField]?.value : undefined;
  const key = name ? vendorKey(name) : null;
  if (!modelTypeOf(def.key) || !name || !key) return;
  const located = Object.fromEntries(Object.entries(fields).map(([n, f]) => [n, { value: f.value, page: f.page, box: f.box }]));
  const learnt = hintsFromReview(pages, located, VENDOR_FIELDS[def.key] ?? []);
  const existing = await repo.findVendorProfile(db, orgId, def.key, key);
  if (!existing) {
    await repo.insertVendorProfile(db, { id: newId(), org_id: orgId, type: def.key, key, name, hints: JSON.stringify(learnt), reviews: 1, created_at: now, updated_at: now });
    return;
  }
  const hints = { ...(JSON.parse(existing.hints) as VendorHints), ...learnt };
  await repo.updateVendorProfile(db, existing.id, { name, hints: JSON.stringify(hints), reviews: existing.reviews + 1, updated_at: now });
}

// ---- review queue ----

export const ZQueueQuery = z.object({
  type: z.string().max(40).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  perPage: z.coerce.number().int().min(1).max(200).default(50),
});

export interface QueueEntry {
  documentId: string;
  name: string;
  type: string | null;
  fieldConfidence: number | null;
  createdAt: string;
}

/** Documents waiting for review, oldest first. */
export async function reviewQueue(ctx: Ctx, actor: Actor, q: z.infer<typeof ZQueueQuery>): Promise<{ items: QueueEntry[]; total: number; page: number; perPage: number }> {
  authorize(actor, 'document.read');
  const { rows, total } = await repo.reviewQueue(ctx.db, actor.orgId, { type: q.type || undefined, limit: q.perPage, offset: (q.page - 1) * q.perPage });
  return { items: rows.map((r) => ({ documentId: r.id, name: r.name, type: r.x_type, fieldConfidence: r.x_confidence, createdAt: r.created_at })), total, page: q.page, perPage: q.perPage };
}

/** The document to review after `documentId` (oldest first), if any. */
export async function nextToReview(ctx: Ctx, actor: Actor, documentId: string, type?: string): Promise<string | null> {
  const doc = await loadProcessed(ctx, actor, documentId);
  return (await repo.nextInQueue(ctx.db, actor.orgId, doc, type)) ?? null;
}

/** The corrections made to a document, oldest first. */
export async function listCorrections(ctx: Ctx, actor: Actor, documentId: string) {
  const doc = await loadProcessed(ctx, actor, documentId);
  return (await repo.listCorrections(ctx.db, doc.org_id, doc.id)).map((c) => ({
    field: c.field, type: c.type, before: c.before ? JSON.parse(c.before) : null, after: c.after ? JSON.parse(c.after) : null, userId: c.user_id, createdAt: c.created_at,
  }));
}

// ---- settings ----

export async function getReviewThreshold(ctx: Ctx, actor: Actor): Promise<number> {
  authorize(actor, 'org.read');
  return repo.reviewThreshold(ctx.db, actor.orgId);
}

export const ZThreshold = z.object({ threshold: z.coerce.number().min(0).max(1) });

/** Sets the confidence below which documents wait for review (applies to documents processed from now on). */
export async function setReviewThreshold(ctx: Ctx, actor: Actor, input: z.infer<typeof ZThreshold>): Promise<number> {
  authorize(actor, 'org.update');
  await ctx.db.transaction().execute(async (trx) => {
    await repo.setReviewThreshold(trx, actor.orgId, input.threshold, ctx.clock.now().toISOString());
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'org.updated', orgId: actor.orgId, actorId: actor.userId, targetType: 'org', targetId: actor.orgId, data: { reviewThreshold: input.threshold } });
  });
  return input.threshold;
}
