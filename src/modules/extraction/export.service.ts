/**
 * Export of extracted fields as CSV (one row per document, one column per field, normalized
 * values) or JSON (everything, line items included), filtered by folder (with its
 * subfolders), type and upload date range.
 */
import { z } from 'zod';
import { type Actor, authorize } from '../../authz';
import type { Ctx } from '../../shared/context';
import { AppError } from '../../shared/errors';
import * as docRepo from '../documents/document.repository';
import { folderWithDescendants } from '../documents/folder.service';
import type { TypeDef } from './doctypes';
import { typeDefs, type Issue, type StoredField } from './extraction.engine';
import * as repo from './extraction.repository';
import type { LineItem } from './line-items';

/** The most documents one export holds. */
export const EXPORT_LIMIT = 50_000;

const ZDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Use a date like 2026-01-31');

export const ZExportQuery = z.object({
  format: z.enum(['csv', 'json']).default('csv'),
  folder: z.string().max(60).optional(),
  type: z.string().max(40).optional(),
  /** Uploaded on or after this day (UTC). */
  from: ZDay.optional(),
  /** Uploaded on or before this day (UTC). */
  to: ZDay.optional(),
});
export type ExportQuery = z.infer<typeof ZExportQuery>;

export interface ExportedDocument {
  documentId: string;
  name: string;
  status: string;
  folderId: string | null;
  uploadedAt: string;
  type: string;
  typeConfidence: number;
  reviewed: boolean;
  reviewedAt: string | null;
  fields: Record<string, StoredField>;
  lineItems: LineItem[] | null;
  issues: Issue[];
}

/** A spreadsheet cell: quoted when needed; formulas neutralized so a spreadsheet never runs them. */
export function csvCell(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^[-+]?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}

/** The documents an export holds. */
export async function exportRows(ctx: Ctx, actor: Actor, q: ExportQuery): Promise<{ docs: ExportedDocument[]; defs: TypeDef[] }> {
  authorize(actor, 'document.read');
  if (q.from && q.to && q.from > q.to) throw new AppError('validation_failed', 'The start date is after the end date.');
  let folderIds: string[] | null = null;
  if (q.folder) {
    if (!(await docRepo.findFolder(ctx.db, actor.orgId, q.folder))) throw new AppError('validation_failed', 'The folder does not exist');
    folderIds = await folderWithDescendants(ctx, actor.orgId, q.folder);
  }
  const defs = await typeDefs(ctx.db, actor.orgId);
  if (q.type && !defs.some((d) => d.key === q.type)) throw new AppError('validation_failed', `Unknown document type "${q.type}".`);
  const rows = await repo.listForExport(ctx.db, actor.orgId, { folderIds, type: q.type || undefined, from: q.from ? `${q.from}T00:00:00.000Z` : undefined, to: q.to ? nextDay(q.to) : undefined, limit: EXPORT_LIMIT });
  const docs = rows.map((r) => ({
    documentId: r.document_id, name: r.name, status: r.status, folderId: r.folder_id, uploadedAt: r.doc_created_at, type: r.type, typeConfidence: r.type_confidence,
    reviewed: !!r.reviewed_at, reviewedAt: r.reviewed_at, fields: JSON.parse(r.fields) as Record<string, StoredField>, lineItems: r.line_items ? (JSON.parse(r.line_items) as LineItem[]) : null, issues: JSON.parse(r.issues) as Issue[],
  }));
  return { docs, defs };
}

/**
 * CSV: fixed columns, then every field of the types present (in each type's order; a field
 * two types share is one column), normalized value where there is one, else as printed.
 */
export function toCsv(docs: ExportedDocument[], defs: TypeDef[]): string {
  const columns: string[] = [];
  for (const def of defs) {
    if (!docs.some((d) => d.type === def.key)) continue;
    for (const f of def.fields) if (!columns.includes(f.name)) columns.push(f.name);
  }
  const head = ['document_id', 'name', 'type', 'status', 'reviewed', 'uploaded_at', ...columns];
  const lines = [head.map(csvCell).join(',')];
  for (const d of docs) {
    const cells = [d.documentId, d.name, d.type, d.status, d.reviewed ? 'yes' : 'no', d.uploadedAt, ...columns.map((c) => d.fields[c]?.normalized ?? d.fields[c]?.value ?? '')];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The export as a file: name, media type and body. */
export async function exportExtractions(ctx: Ctx, actor: Actor, q: ExportQuery): Promise<{ filename: string; contentType: string; body: string }> {
  const { docs, defs } = await exportRows(ctx, actor, q);
  const stamp = ctx.clock.now().toISOString().slice(0, 10);
  const base = `extractions-${q.type || 'all'}-${stamp}`;
  if (q.format === 'json') return { filename: `${base}.json`, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ exportedAt: ctx.clock.now().toISOString(), count: docs.length, documents: docs }, null, 2) };
  return { filename: `${base}.csv`, contentType: 'text/csv; charset=utf-8', body: toCsv(docs, defs) };
}
