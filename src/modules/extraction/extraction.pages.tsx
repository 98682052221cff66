/**
 * The review UI under `/o/:org`: the review queue (with the export form), a document's
 * review screen, and the extraction settings (threshold, custom types). Every action is a
 * plain form post that redirects; `views/assets/review.js` adds the boxes, word picking and
 * shortcuts.
 */
import { type Context, Hono } from 'hono';
import { can } from '../../authz';
import { PageHeader } from '../../../views/components';
import { requireUser } from '../../platform/http/auth';
import { readForm, validate } from '../../platform/http/input';
import type { AppEnv } from '../../platform/http/types';
import { AppError } from '../../shared/errors';
import { PREVIEW_KINDS } from '../documents/document.views';
import * as docs from '../documents/document.service';
import * as folders from '../documents/folder.service';
import { contentDisposition } from '../documents/upload';
import { tenant } from '../orgs/tenant';
import { flash, page } from '../web/shell';
import * as doctypes from './doctype.service';
import type { CustomTypeInput } from './doctypes';
import { exportExtractions, ZExportQuery } from './export.service';
import { getExtraction, getReviewThreshold, nextToReview, type PresentedExtraction, reviewQueue, setReviewThreshold, sourcePages, updateExtraction, ZExtractionUpdate, ZQueueQuery, ZThreshold } from './extraction.service';
import {
  draftOf, ExportForm, type FormErrors, QueueFilter, QueuePager, QueueTable, reviewHref, ReviewForm, ReviewHeader, type ReviewPage, ReviewPages, ShortcutLegend, ThresholdForm,
  type TypeDraft, TypeEditor, TypeForm, TypeList,
} from './extraction.views';

type C = Context<AppEnv>;

/** Pages shown on the review screen: the ones extraction reads. */
const REVIEW_PAGES = 10;

const slugOf = (c: C) => c.get('org')!.slug;

/** A user-facing error's message; anything else is rethrown to the one error handler. */
function userError(err: unknown, codes: string[] = ['validation_failed', 'conflict']): AppError {
  if (err instanceof AppError && codes.includes(err.code)) return err;
  throw err;
}

// ---- queue and export ----

async function queueView(c: C, exportError?: string) {
  const ctx = c.get('ctx');
  const actor = c.get('actor')!;
  const slug = slugOf(c);
  const raw = c.req.query();
  const q = validate(ZQueueQuery, { type: raw.type || undefined, page: raw.page || undefined });
  const [list, types, tree] = await Promise.all([reviewQueue(ctx, actor, q), doctypes.listTypes(ctx, actor), folders.listFolderTree(ctx, actor)]);
  const mayConfigure = can(actor, 'doctype.manage') || can(actor, 'org.update');
  return page(c, { title: 'Review', active: 'review', status: exportError ? 400 : 200 }, (
    <div class="reviewqueue">
      <PageHeader title="Review">
        {mayConfigure && <a class="button secondary" href={`/o/${slug}/settings/extraction`}>Extraction settings</a>}
      </PageHeader>
      <p class="muted">Documents whose fields Folio is not sure of wait here, oldest first. Check their fields against the page and confirm them.</p>
      <QueueFilter slug={slug} types={types} type={q.type} />
      {list.items.length > 0 ? (
        <QueueTable slug={slug} items={list.items} types={types} type={q.type} />
      ) : (
        <div class="empty card"><p>{q.type ? 'No document of this type waits for review.' : 'Nothing waits for review.'}</p></div>
      )}
      <QueuePager slug={slug} type={q.type} page={q.page} perPage={q.perPage} total={list.total} />
      <ExportForm slug={slug} types={types} folders={tree} error={exportError} />
    </div>
  ));
}

// ---- the review screen ----

function reviewPath(slug: string, id: string, queue?: string): string {
  return `/o/${slug}/documents/${id}/review${queue ? `?queue=${encodeURIComponent(queue)}` : ''}`;
}

async function reviewView(c: C, opts: { error?: string; drafts?: Record<string, string>; status?: number; queue?: string } = {}) {
  const ctx = c.get('ctx');
  const actor = c.get('actor')!;
  const slug = slugOf(c);
  const id = c.req.param('id')!;
  const queue = opts.queue ?? (c.req.query('queue') || undefined);
  const d = await docs.getDocument(ctx, actor, id);
  let x: PresentedExtraction;
  try {
    x = await getExtraction(ctx, actor, id);
  } catch (err) {
    const e = userError(err, ['conflict']);
    flash(c, e.message);
    return c.redirect(`/o/${slug}/documents/${id}`, 303);
  }
  const current = d.versions.find((v) => v.current);
  const [types, threshold, src] = await Promise.all([doctypes.listTypes(ctx, actor), getReviewThreshold(ctx, actor), current ? sourcePages(ctx.db, actor.orgId, current.id) : []]);
  const image = PREVIEW_KINDS.has(d.kind ?? '');
  const pages: ReviewPage[] = src.slice(0, REVIEW_PAGES).map((p, i) => ({ number: i + 1, text: p.text, words: image ? (p.words ?? []).map((w) => ({ t: w.t, b: w.b })) : [], image }));
  const action = `/o/${slug}/documents/${id}/review`;
  const canReview = can(actor, 'extraction.review') && !d.trashed;
  return page(c, { title: `Review ${d.name}`, active: 'review', status: opts.status }, (
    <div class="review" data-review>
      <ReviewHeader x={x} slug={slug} queueHref={reviewHref(slug, { type: queue })} />
      {d.trashed && <p class="warn">This document is in the trash. Restore it before reviewing it.</p>}
      <div class="review-layout">
        <ReviewPages pages={pages} x={x} previewBase={`/api/v1/orgs/${slug}/documents/${id}/pages`} docName={d.name} more={Math.max(0, src.length - REVIEW_PAGES)} threshold={threshold} />
        <div class="review-side">
          <TypeForm action={action} x={x} types={types} canReview={canReview} queue={queue} />
          <ReviewForm action={action} x={x} threshold={threshold} canReview={canReview} queue={queue} drafts={opts.drafts} error={opts.error} />
          <ShortcutLegend />
        </div>
      </div>
      <script src="/assets/review.js" defer></script>
    </div>
  ));
}

/** "x,y,w,h" with every number in 0..1, or undefined. */
function parseBox(raw: string | undefined): [number, number, number, number] | undefined {
  const parts = (raw ?? '').split(',').map((s) => Number(s));
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n) || n < 0 || n > 1)) return undefined;
  return parts as [number, number, number, number];
}

function parsePage(raw: string | undefined): number | undefined {
  const n = Number(raw);
  return raw && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** The correction a review form posts: every field of the type, the line items, confirm or not. */
function correctionOf(f: Record<string, string>, x: PresentedExtraction, confirm: boolean) {
  const fields: Record<string, { value: string; page?: number; box?: [number, number, number, number] }> = {};
  for (const def of x.definition.fields) {
    const value = f[`f.${def.name}`];
    if (value === undefined) continue;
    const page = parsePage(f[`p.${def.name}`]);
    const box = parseBox(f[`b.${def.name}`]);
    fields[def.name] = page && box ? { value, page, box } : { value };
  }
  let lineItems;
  if (x.definition.lineItems) {
    const rows = [...new Set(Object.keys(f).flatMap((k) => /^li\.(\d+)\./.exec(k)?.[1] ?? []))].map(Number).sort((a, b) => a - b);
    lineItems = rows.flatMap((i) => {
      const cell = (k: string) => (f[`li.${i}.${k}`] ?? '').replace(/\s+/g, ' ').trim();
      const [description, quantity, unitPrice, amount] = [cell('description'), cell('quantity'), cell('unitPrice'), cell('amount')];
      if (!description && !quantity && !unitPrice && !amount) return [];
      return [{ description, quantity: quantity || null, unitPrice: unitPrice || null, amount: amount || null, page: parsePage(f[`li.${i}.page`]) ?? null, box: parseBox(f[`li.${i}.box`]) ?? null }];
    });
  }
  return validate(ZExtractionUpdate, { fields, lineItems, confirm });
}

// ---- settings ----

function requireSettings(c: C) {
  const actor = c.get('actor')!;
  if (!can(actor, 'doctype.manage') && !can(actor, 'org.update')) throw new AppError('forbidden', 'Only administrators can change extraction settings.');
  return actor;
}

function requireTypes(c: C) {
  if (!can(c.get('actor')!, 'doctype.manage')) throw new AppError('forbidden', 'Only administrators can manage document types.');
}

async function settingsView(c: C, opts: { thresholdError?: string; status?: number } = {}) {
  const ctx = c.get('ctx');
  const actor = requireSettings(c);
  const base = `/o/${slugOf(c)}/settings/extraction`;
  const [threshold, types] = await Promise.all([getReviewThreshold(ctx, actor), doctypes.listTypes(ctx, actor)]);
  return page(c, { title: 'Extraction settings', active: 'settings', status: opts.status }, (
    <div class="xsettings">
      <p class="crumbs"><a href={`/o/${slugOf(c)}/settings`}>Settings</a> › Extraction</p>
      <PageHeader title="Extraction settings">
        <a class="button secondary" href={reviewHref(slugOf(c), {})}>Review queue</a>
      </PageHeader>
      {can(actor, 'org.update') && (
        <section class="card" aria-labelledby="thr-h">
          <h2 id="thr-h">Review threshold</h2>
          <ThresholdForm action={`${base}/threshold`} threshold={threshold} error={opts.thresholdError} />
        </section>
      )}
      <section aria-labelledby="types-h">
        <div class="pagehead">
          <h2 id="types-h">Document types</h2>
          {can(actor, 'doctype.manage') && <a class="button" href={`${base}/types/new`}>New type</a>}
        </div>
        <p class="muted">Invoices, receipts and other documents are built in. Your own types are recognized by their keywords, and their fields are read after the labels you give.</p>
        <TypeList types={can(actor, 'doctype.manage') ? types : types.filter((t) => t.builtin)} base={base} />
      </section>
    </div>
  ));
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Reads the type form: the draft to show again, the input for the service, and which form row each field came from. */
function readTypeForm(f: Record<string, string>, key: string): { draft: TypeDraft; input: unknown; rowOf: number[] } {
  const indices = [...new Set(Object.keys(f).flatMap((k) => /^field\.(\d+)\./.exec(k)?.[1] ?? []))].map(Number).sort((a, b) => a - b);
  const draft: TypeDraft = { key, name: f.name ?? '', keywords: f.keywords ?? '', fields: [] };
  const fields: CustomTypeInput['fields'] = [];
  const rowOf: number[] = [];
  for (const i of indices) {
    const row = { name: (f[`field.${i}.name`] ?? '').trim(), label: (f[`field.${i}.label`] ?? '').trim(), kind: f[`field.${i}.kind`] ?? 'text', options: f[`field.${i}.options`] ?? '', labels: f[`field.${i}.labels`] ?? '' };
    if (!row.name && !row.label && !row.options.trim() && !row.labels.trim()) continue;
    rowOf[fields.length] = draft.fields.length;
    draft.fields.push(row);
    const labels = splitList(row.labels);
    fields.push({ name: row.name, label: row.label, kind: row.kind as CustomTypeInput['fields'][number]['kind'], ...(row.kind === 'enum' ? { options: splitList(row.options) } : {}), ...(labels.length ? { labels } : {}) });
  }
  return { draft, input: { key, name: draft.name, keywords: splitList(draft.keywords), fields }, rowOf };
}

/** Service errors placed beside the form fields they concern. */
function typeErrors(err: AppError, rowOf: number[]): FormErrors {
  const out: FormErrors = {};
  const details = (err.details as { field: string | null; message: string }[] | undefined) ?? [];
  if (err.code === 'conflict' || (/key/i.test(err.message) && !details.length)) out.key = err.message;
  for (const d of details) {
    const path = (d.field ?? '').split('.');
    let at = path[0] || 'general';
    if (path[0] === 'fields' && path.length > 1) at = `field.${rowOf[Number(path[1])] ?? 0}.${path[2] ?? 'name'}`;
    if (path[0] === 'keywords') at = 'keywords';
    out[at] = out[at] ? `${out[at]}; ${d.message}` : d.message;
  }
  if (!Object.keys(out).length) out.general = err.message;
  return out;
}

function typeEditorView(c: C, opts: { draft: TypeDraft; editing: boolean; errors?: FormErrors; status?: number }) {
  const base = `/o/${slugOf(c)}/settings/extraction`;
  const title = opts.editing ? `Edit ${opts.draft.name || opts.draft.key}` : 'New document type';
  return page(c, { title, active: 'settings', status: opts.status ?? 200 }, (
    <div class="xsettings">
      <p class="crumbs"><a href={`/o/${slugOf(c)}/settings`}>Settings</a> › <a href={base}>Extraction</a></p>
      <PageHeader title={title} />
      <TypeEditor action={opts.editing ? `${base}/types/${opts.draft.key}` : `${base}/types`} draft={opts.draft} errors={opts.errors ?? {}} editing={opts.editing} cancel={base} />
      <script src="/assets/review.js" defer></script>
    </div>
  ));
}

/** The review UI, mounted at `/o/:org`. Each route authenticates and resolves the organization itself. */
export function extractionPages() {
  const app = new Hono<AppEnv>();
  const settings = (c: C) => `/o/${slugOf(c)}/settings/extraction`;

  app.get('/review', requireUser, tenant, (c) => queueView(c));

  app.get('/review/export', requireUser, tenant, async (c) => {
    const raw = c.req.query();
    let file;
    try {
      const q = validate(ZExportQuery, { format: raw.format || undefined, folder: raw.folder || undefined, type: raw.type || undefined, from: raw.from || undefined, to: raw.to || undefined });
      file = await exportExtractions(c.get('ctx'), c.get('actor')!, q);
    } catch (err) {
      return queueView(c, userError(err, ['validation_failed']).message);
    }
    c.header('Content-Type', file.contentType);
    c.header('Content-Disposition', contentDisposition(file.filename));
    c.header('Cache-Control', 'private, no-store');
    return c.body(file.body);
  });

  app.get('/documents/:id/review', requireUser, tenant, (c) => reviewView(c));

  app.post('/documents/:id/review', requireUser, tenant, async (c) => {
    const ctx = c.get('ctx');
    const actor = c.get('actor')!;
    const slug = slugOf(c);
    const id = c.req.param('id');
    const f = await readForm(c);
    const queue = f.queue || undefined;
    const here = reviewPath(slug, id, queue);
    try {
      if (f.action === 'retype') {
        const x = await updateExtraction(ctx, actor, id, { type: f.type ?? '', confirm: false });
        flash(c, `The type is now ${x.typeName}; its fields were read again.`);
        return c.redirect(here, 303);
      }
      const confirm = f.action !== 'save';
      const x = await updateExtraction(ctx, actor, id, correctionOf(f, await getExtraction(ctx, actor, id), confirm));
      if (!confirm) {
        flash(c, x.status === 'needs_review' ? 'Saved. The document still waits for review.' : 'Saved.');
        return c.redirect(here, 303);
      }
      const next = await nextToReview(ctx, actor, id, queue);
      flash(c, next ? `${x.documentName} confirmed. Here is the next document.` : `${x.documentName} confirmed.`);
      return c.redirect(next ? reviewPath(slug, next, queue) : reviewHref(slug, { type: queue }), 303);
    } catch (err) {
      const e = userError(err);
      return reviewView(c, { error: e.message, drafts: f, status: e.code === 'conflict' ? 409 : 400, queue });
    }
  });

  app.get('/settings/extraction', requireUser, tenant, (c) => settingsView(c));

  app.post('/settings/extraction/threshold', requireUser, tenant, async (c) => {
    const f = await readForm(c);
    const pct = f.threshold?.trim() ? Number(f.threshold) : NaN;
    if (!Number.isFinite(pct) || pct < 0 || pct > 100) {
      requireSettings(c);
      return settingsView(c, { thresholdError: 'Enter a percentage from 0 to 100.', status: 400 });
    }
    await setReviewThreshold(c.get('ctx'), c.get('actor')!, validate(ZThreshold, { threshold: pct / 100 }));
    flash(c, `Review threshold set to ${Math.round(pct)}%. It applies to documents processed from now on.`);
    return c.redirect(settings(c), 303);
  });

  app.get('/settings/extraction/types/new', requireUser, tenant, (c) => {
    requireTypes(c);
    return typeEditorView(c, { draft: draftOf(), editing: false });
  });

  app.post('/settings/extraction/types', requireUser, tenant, async (c) => {
    requireTypes(c);
    const f = await readForm(c);
    const { draft, input, rowOf } = readTypeForm(f, (f.key ?? '').trim());
    try {
      const t = await doctypes.createType(c.get('ctx'), c.get('actor')!, validate(doctypes.ZCustomType, input));
      flash(c, `Document type ${t.name} created.`);
      return c.redirect(settings(c), 303);
    } catch (err) {
      const e = userError(err);
      return typeEditorView(c, { draft, editing: false, errors: typeErrors(e, rowOf), status: e.code === 'conflict' ? 409 : 400 });
    }
  });

  app.get('/settings/extraction/types/:key', requireUser, tenant, async (c) => {
    requireTypes(c);
    const t = (await doctypes.listTypes(c.get('ctx'), c.get('actor')!)).find((x) => x.key === c.req.param('key') && !x.builtin);
    if (!t) throw new AppError('not_found', 'No such document type.');
    return typeEditorView(c, { draft: draftOf(t), editing: true });
  });

  app.post('/settings/extraction/types/:key', requireUser, tenant, async (c) => {
    requireTypes(c);
    const key = c.req.param('key');
    const { draft, input, rowOf } = readTypeForm(await readForm(c), key);
    try {
      const t = await doctypes.updateType(c.get('ctx'), c.get('actor')!, key, validate(doctypes.ZCustomType, input));
      flash(c, `Document type ${t.name} saved.`);
      return c.redirect(settings(c), 303);
    } catch (err) {
      const e = userError(err);
      return typeEditorView(c, { draft, editing: true, errors: typeErrors(e, rowOf), status: e.code === 'conflict' ? 409 : 400 });
    }
  });

  app.post('/settings/extraction/types/:key/delete', requireUser, tenant, async (c) => {
    try {
      await doctypes.deleteType(c.get('ctx'), c.get('actor')!, c.req.param('key'));
      flash(c, 'Document type deleted.');
    } catch (err) {
      flash(c, userError(err, ['conflict']).message);
    }
    return c.redirect(settings(c), 303);
  });

  return app;
}
