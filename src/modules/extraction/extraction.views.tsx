/**
 * Views of the review UI: the queue, the review screen (page images with boxes beside the
 * field form) and the extraction settings. Props in, HTML out. Boxes are placed by
 * `views/assets/review.js` from `data-box` (the CSP forbids style attributes); the forms
 * work without it.
 */
import { FormError, PageHeader } from '../../../views/components';
import { FolderOptions, ShortTime, StatusBadge } from '../documents/document.views';
import type { PresentedFolder } from '../documents/folder.service';
import { CUSTOM_FIELD_KINDS, type FieldDef, type TypeDef } from './doctypes';
import type { Issue, StoredField } from './extraction.engine';
import type { PresentedExtraction, QueueEntry } from './extraction.service';
import type { LineItem } from './line-items';

type Box = [number, number, number, number] | null | undefined;

/** A box as the `data-box` attribute review.js reads: "x,y,w,h", fractions of the page. */
export function boxAttr(box: Box): string | undefined {
  return box ? box.map((v) => Number(v.toFixed(5))).join(',') : undefined;
}

/** 0.734 → "73%"; rounded down, so only a certain value shows 100%. */
export function percent(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${Math.floor(v * 100 + 1e-9)}%`;
}

const SOURCE_LABEL: Record<StoredField['source'], string> = { model: 'read by the model', vendor: 'from the vendor profile', labels: 'after its label', user: 'entered by a person' };

const KIND_HINT: Partial<Record<FieldDef['kind'], string>> = { date: 'date', amount: 'amount', number: 'number', currency: 'currency', iban: 'IBAN', id: 'id' };

// ---- the queue ----

export function reviewHref(slug: string, q: { type?: string; page?: number }): string {
  const p = new URLSearchParams();
  if (q.type) p.set('type', q.type);
  if (q.page && q.page > 1) p.set('page', String(q.page));
  const s = p.toString();
  return `/o/${slug}/review${s ? `?${s}` : ''}`;
}

/** Documents waiting for review, oldest first, each linking to its review screen. */
export function QueueTable({ slug, items, types, type }: { slug: string; items: QueueEntry[]; types: TypeDef[]; type?: string }) {
  const nameOf = (key: string | null) => (key ? (types.find((t) => t.key === key)?.name ?? key) : '—');
  return (
    <div class="tablewrap">
      <table class="doctable queuetable">
        <thead>
          <tr><th class="col-name">Document</th><th>Type</th><th class="num">Lowest confidence</th><th class="col-date">Added</th><th><span class="sr-only">Review</span></th></tr>
        </thead>
        <tbody>
          {items.map((d) => {
            const href = `/o/${slug}/documents/${d.documentId}/review${type ? `?queue=${encodeURIComponent(type)}` : ''}`;
            return (
              <tr class="queuerow">
                <td class="col-name"><a href={href} class="docname">{d.name}</a></td>
                <td>{nameOf(d.type)}</td>
                <td class="num"><Confidence value={d.fieldConfidence} /></td>
                <td class="col-date"><ShortTime iso={d.createdAt} /></td>
                <td><a href={href} class="button secondary small">Review</a></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function QueueFilter({ slug, types, type }: { slug: string; types: TypeDef[]; type?: string }) {
  return (
    <form method="get" action={`/o/${slug}/review`} class="filters" role="search">
      <label for="q-type" class="sr-only">Document type</label>
      <select id="q-type" name="type">
        <option value="">All types</option>
        {types.map((t) => <option value={t.key} selected={t.key === type}>{t.name}</option>)}
      </select>
      <button type="submit" class="secondary">Filter</button>
      {type && <a href={reviewHref(slug, {})}>Clear</a>}
    </form>
  );
}

export function QueuePager({ slug, type, page, perPage, total }: { slug: string; type?: string; page: number; perPage: number; total: number }) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  return (
    <nav class="pager" aria-label="Pagination">
      <span class="pager-total">{total} {total === 1 ? 'document waits' : 'documents wait'} for review</span>
      <span class="spacer" />
      {page > 1 ? <a href={reviewHref(slug, { type, page: page - 1 })} rel="prev" class="button secondary small">← Previous</a> : <span class="button secondary small" aria-disabled="true">← Previous</span>}
      <span class="pager-pos">Page {Math.min(page, pages)} of {pages}</span>
      {page < pages ? <a href={reviewHref(slug, { type, page: page + 1 })} rel="next" class="button secondary small">Next →</a> : <span class="button secondary small" aria-disabled="true">Next →</span>}
    </nav>
  );
}

/** A form that downloads the extracted fields as CSV or JSON. */
export function ExportForm({ slug, types, folders, error }: { slug: string; types: TypeDef[]; folders: PresentedFolder[]; error?: string }) {
  return (
    <section class="card exportcard" aria-labelledby="export-h">
      <h2 id="export-h">Export fields</h2>
      <p class="muted">One row per document with its normalized values (CSV), or everything including line items (JSON).</p>
      <FormError message={error} />
      <form method="get" action={`/o/${slug}/review/export`} class="row exportform">
        <div class="field">
          <label for="x-format">Format</label>
          <select id="x-format" name="format">
            <option value="csv">CSV</option>
            <option value="json">JSON</option>
          </select>
        </div>
        <div class="field">
          <label for="x-folder">Folder</label>
          <select id="x-folder" name="folder">
            <FolderOptions folders={folders} none="All folders" />
          </select>
        </div>
        <div class="field">
          <label for="x-type">Type</label>
          <select id="x-type" name="type">
            <option value="">All types</option>
            {types.map((t) => <option value={t.key}>{t.name}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="x-from">Added from</label>
          <input id="x-from" name="from" type="date" />
        </div>
        <div class="field">
          <label for="x-to">Added until</label>
          <input id="x-to" name="to" type="date" />
        </div>
        <button type="submit" class="secondary">Download</button>
      </form>
    </section>
  );
}

export function Confidence({ value, threshold }: { value: number | null | undefined; threshold?: number }) {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  const low = threshold !== undefined ? value < threshold : value < 0.8;
  return <span class={low ? 'conf conf--low' : 'conf'} title={low ? 'Below the review threshold' : undefined}>{percent(value)}</span>;
}

// ---- the review screen ----

export interface ReviewPage {
  number: number;
  text: string;
  words: { t: string; b: [number, number, number, number] }[];
  /** Whether a page image can be drawn. */
  image: boolean;
}

/** One page: its image with the field boxes and clickable words over it, or its text. */
function PageWithBoxes({ p, x, previewBase, docName, threshold }: { p: ReviewPage; x: PresentedExtraction; previewBase: string; docName: string; threshold: number }) {
  const labels = Object.fromEntries(x.definition.fields.map((f) => [f.name, f.label]));
  const boxes = Object.entries(x.fields).filter(([, f]) => f.page === p.number && f.box);
  return (
    <figure class="rpage" id={`rpage-${p.number}`} data-page={p.number}>
      <figcaption class="muted">Page {p.number}</figcaption>
      {p.image ? (
        <div class="rpage-img">
          <img src={`${previewBase}/${p.number}/preview`} alt={`Page ${p.number} of ${docName}`} loading={p.number > 2 ? 'lazy' : undefined} />
          <div class="rpage-boxes">
            {boxes.map(([name, f]) => (
              <span class={`fieldbox${f.confidence < threshold && f.source !== 'user' ? ' fieldbox--low' : ''}`} data-field={name} data-box={boxAttr(f.box)} title={labels[name] ?? name} />
            ))}
          </div>
          {p.words.length > 0 && (
            <div class="rpage-words" aria-hidden="true">
              {p.words.map((w) => <span class="word" data-box={boxAttr(w.b)}>{w.t}</span>)}
            </div>
          )}
        </div>
      ) : (
        <pre class="pagetext">{p.text}</pre>
      )}
    </figure>
  );
}

export function ReviewPages({ pages, x, previewBase, docName, more, threshold }: { pages: ReviewPage[]; x: PresentedExtraction; previewBase: string; docName: string; more: number; threshold: number }) {
  return (
    <div class="review-pages" data-review-pages>
      {pages.length === 0 && <p class="muted card">This document has no pages to show.</p>}
      {pages.map((p) => <PageWithBoxes p={p} x={x} previewBase={previewBase} docName={docName} threshold={threshold} />)}
      {more > 0 && <p class="muted">{more} more {more === 1 ? 'page is' : 'pages are'} not shown: fields are read from the first pages only.</p>}
    </div>
  );
}

function IssueList({ issues, labelOf }: { issues: Issue[]; labelOf: (name: string) => string }) {
  if (!issues.length) return null;
  return (
    <div class="alert issues" role="alert">
      <strong>{issues.length === 1 ? 'One rule is broken:' : `${issues.length} rules are broken:`}</strong>
      <ul>
        {issues.map((i) => (
          <li data-rule={i.rule}>
            {i.message}
            {i.fields.length > 0 && <span class="muted"> ({i.fields.map(labelOf).join(', ')})</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function FieldRow({ f, v, issues, threshold, index, draft }: { f: FieldDef; v?: StoredField; issues: Issue[]; threshold: number; index: number; draft?: string }) {
  const id = `fld-${f.name}`;
  const low = !!v && v.confidence < threshold;
  const missing = !v;
  const describedBy = [`${id}-meta`, issues.length ? `${id}-issues` : ''].filter(Boolean).join(' ');
  const value = draft ?? v?.value ?? '';
  const cls = ['rfield', low && 'rfield--low', missing && 'rfield--missing', issues.length > 0 && 'rfield--issue'].filter(Boolean).join(' ');
  return (
    <div class={cls} data-field-row={f.name}>
      <div class="rfield-head">
        <label for={id}>{f.label}</label>
        {v ? <Confidence value={v.confidence} threshold={threshold} /> : <span class="conf conf--missing">not found</span>}
      </div>
      {f.kind === 'enum' && f.options?.length ? (
        <select id={id} name={`f.${f.name}`} data-field-input={f.name} data-index={index} aria-describedby={describedBy} aria-invalid={issues.length ? 'true' : undefined}>
          <option value="">—</option>
          {f.options.map((o) => <option value={o} selected={o.toLowerCase() === value.toLowerCase()}>{o}</option>)}
          {/* A value read from the page that is none of the options stays until the reviewer picks one. */}
          {value && !f.options.some((o) => o.toLowerCase() === value.toLowerCase()) && <option value={value} selected>{value} (not an option)</option>}
        </select>
      ) : (
        <input id={id} name={`f.${f.name}`} value={value} autocomplete="off" data-field-input={f.name} data-index={index} aria-describedby={describedBy} aria-invalid={issues.length ? 'true' : undefined} />
      )}
      <input type="hidden" name={`p.${f.name}`} value="" data-field-page={f.name} />
      <input type="hidden" name={`b.${f.name}`} value="" data-field-box={f.name} />
      <small id={`${id}-meta`} class="rfield-meta muted">
        {v ? (
          <>
            {v.normalized !== null && v.normalized !== v.value ? <>Normalized: <code class="norm">{v.normalized}</code> · </> : v.normalized === null && KIND_HINT[f.kind] ? <><span class="error">Not a valid {KIND_HINT[f.kind]}</span> · </> : null}
            {SOURCE_LABEL[v.source]}
            {v.page ? ` · page ${v.page}` : ''}
          </>
        ) : (
          f.kind === 'enum' ? 'Not found on the document. Choose it, or click its word on the page.' : 'Not found on the document. Type it, or click its words on the page.'
        )}
      </small>
      {issues.length > 0 && (
        <ul id={`${id}-issues`} class="rfield-issues">
          {issues.map((i) => <li>{i.message}</li>)}
        </ul>
      )}
    </div>
  );
}

const NUMERIC = new Set(['quantity', 'unitPrice', 'amount']);

/** Invoice line items as an editable table; rows left blank are dropped when saved. */
function LineItemsTable({ items }: { items: LineItem[] }) {
  const rows: (LineItem | null)[] = [...items, null];
  const cols = [['description', 'Description'], ['quantity', 'Qty'], ['unitPrice', 'Unit price'], ['amount', 'Amount']] as const;
  return (
    <fieldset class="lineitems">
      <legend>Line items</legend>
      <div class="tablewrap">
        <table>
          <thead><tr>{cols.map(([k, l]) => <th class={NUMERIC.has(k) ? 'num' : undefined}>{l}</th>)}</tr></thead>
          <tbody data-lineitems>
            {rows.map((li, i) => (
              <tr data-lineitem={i}>
                {cols.map(([k, l]) => (
                  <td class={NUMERIC.has(k) ? 'num' : undefined}>
                    <input name={`li.${i}.${k}`} value={li ? (li[k] ?? '') : ''} aria-label={`${l}, row ${i + 1}`} autocomplete="off" />
                    {k === 'description' && (
                      <>
                        <input type="hidden" name={`li.${i}.page`} value={li?.page ? String(li.page) : ''} />
                        <input type="hidden" name={`li.${i}.box`} value={li ? (boxAttr(li.box) ?? '') : ''} />
                      </>
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small">Clear a row's cells to remove it. <button type="button" class="secondary small" data-add-lineitem hidden>Add row</button></p>
    </fieldset>
  );
}

export function ShortcutLegend() {
  return (
    <details class="shortcuts card" open>
      <summary>Keyboard shortcuts</summary>
      <dl>
        <dt><kbd>Tab</kbd> / <kbd>Shift</kbd>+<kbd>Tab</kbd></dt><dd>next / previous field</dd>
        <dt><kbd>Alt</kbd>+<kbd>↓</kbd> / <kbd>Alt</kbd>+<kbd>↑</kbd></dt><dd>next / previous field, also while typing</dd>
        <dt><kbd>j</kbd> / <kbd>k</kbd></dt><dd>next / previous field, when not typing</dd>
        <dt>Click a word</dt><dd>put it in the focused field; <kbd>Shift</kbd>+click adds it</dd>
        <dt><kbd>Enter</kbd> in a field, <kbd>Ctrl</kbd>+<kbd>Enter</kbd></dt><dd>confirm and go to the next document</dd>
      </dl>
    </details>
  );
}

export interface ReviewFormProps {
  action: string;
  x: PresentedExtraction;
  threshold: number;
  canReview: boolean;
  queue?: string;
  /** Values typed before an error, to show again. */
  drafts?: Record<string, string>;
  error?: string;
}

/** The field form: one input per field of the type, in definition order, with what is known about each. */
export function ReviewForm(p: ReviewFormProps) {
  const { x } = p;
  const labelOf = (name: string) => x.definition.fields.find((f) => f.name === name)?.label ?? (name === 'lineItems' ? 'Line items' : name);
  return (
    <form method="post" action={p.action} class="review-form" data-review-form>
      <FormError message={p.error} />
      <IssueList issues={x.issues} labelOf={labelOf} />
      {p.queue && <input type="hidden" name="queue" value={p.queue} />}
      {x.definition.fields.length === 0 && <p class="muted">Documents of the type {x.typeName} have no fields. Choose another type if this one is wrong.</p>}
      <div class="rfields">
        {x.definition.fields.map((f, i) => (
          <FieldRow f={f} v={x.fields[f.name]} issues={x.issues.filter((is) => is.fields.includes(f.name))} threshold={p.threshold} index={i} draft={p.drafts?.[`f.${f.name}`]} />
        ))}
      </div>
      {x.definition.lineItems && <LineItemsTable items={x.lineItems ?? []} />}
      {p.canReview ? (
        <div class="actions review-actions">
          {/* The first submit button is the form's default: Enter in a field confirms. */}
          <button type="submit" name="action" value="confirm" data-confirm-button>Confirm</button>
          <button type="submit" name="action" value="save" class="secondary">Save without confirming</button>
        </div>
      ) : (
        <p class="muted">You may read these fields but not change them.</p>
      )}
    </form>
  );
}

/** Choosing another type extracts the fields again for it. */
export function TypeForm({ action, x, types, canReview, queue }: { action: string; x: PresentedExtraction; types: TypeDef[]; canReview: boolean; queue?: string }) {
  return (
    <form method="post" action={action} class="row typeform" data-confirm={`Extract the fields again for the new type? Changes not saved are lost.`}>
      {queue && <input type="hidden" name="queue" value={queue} />}
      <input type="hidden" name="action" value="retype" />
      <div class="field">
        <label for="r-type">Document type</label>
        <select id="r-type" name="type" disabled={!canReview}>
          {types.map((t) => <option value={t.key} selected={t.key === x.type}>{t.name}</option>)}
        </select>
      </div>
      <span class="muted typeconf">
        {x.typeSource === 'user' ? 'chosen by a person' : <>classified with <Confidence value={x.confidence} /> confidence</>}
      </span>
      {canReview && <button type="submit" class="secondary small">Change type</button>}
    </form>
  );
}

export function ReviewHeader({ x, slug, queueHref }: { x: PresentedExtraction; slug: string; queueHref: string }) {
  return (
    <>
      <p class="crumbs">
        <a href={queueHref}>Review</a> › <a href={`/o/${slug}/documents/${x.documentId}`}>{x.documentName}</a>
      </p>
      <PageHeader title={`Review: ${x.documentName}`}>
        <StatusBadge status={x.status} />
        {x.reviewedAt && <span class="muted small">Confirmed <ShortTime iso={x.reviewedAt} /></span>}
      </PageHeader>
    </>
  );
}

// ---- settings ----

export interface TypeDraft {
  key: string;
  name: string;
  keywords: string;
  fields: { name: string; label: string; kind: string; options: string; labels: string }[];
}

export function draftOf(t?: TypeDef): TypeDraft {
  if (!t) return { key: '', name: '', keywords: '', fields: [] };
  return {
    key: t.key, name: t.name, keywords: t.keywords.join(', '),
    fields: t.fields.map((f) => ({ name: f.name, label: f.label, kind: f.kind, options: (f.options ?? []).join(', '), labels: (f.labels ?? []).join(', ') })),
  };
}

/** Errors by form field: "name", "key", "keywords", "fields", "field.3.options". */
export type FormErrors = Record<string, string>;

function Err({ errors, at }: { errors: FormErrors; at: string }) {
  return errors[at] ? <small class="error" id={`err-${at.replace(/\./g, '-')}`}>{errors[at]}</small> : null;
}

/** Create or change a custom type: name, key, keywords and a repeated row per field. */
export function TypeEditor({ action, draft, errors, editing, cancel }: { action: string; draft: TypeDraft; errors: FormErrors; editing: boolean; cancel: string }) {
  const rows = [...draft.fields, ...Array.from({ length: Math.max(2, 5 - draft.fields.length) }, () => ({ name: '', label: '', kind: 'text', options: '', labels: '' }))];
  const general = Object.entries(errors).filter(([k]) => !['name', 'key', 'keywords', 'fields'].includes(k) && !k.startsWith('field.'));
  const inv = (k: string) => (errors[k] ? 'true' : undefined);
  return (
    <form method="post" action={action} class="typeeditor card">
      {Object.keys(errors).length > 0 && (
        <div class="alert" role="alert">
          <strong>The type was not saved.</strong> Correct the marked fields.
          {general.length > 0 && <ul>{general.map(([, m]) => <li>{m}</li>)}</ul>}
        </div>
      )}
      <div class="row">
        <div class="field">
          <label for="t-name">Name</label>
          <input id="t-name" name="name" value={draft.name} required maxLength={80} aria-invalid={inv('name')} />
          <Err errors={errors} at="name" />
        </div>
        <div class="field">
          <label for="t-key">Key</label>
          <input id="t-key" name="key" value={draft.key} required pattern="[a-z][a-z0-9_]{1,39}" readOnly={editing} aria-invalid={inv('key')} aria-describedby="t-key-hint" />
          <small id="t-key-hint" class="hint">{editing ? 'The key cannot change.' : 'Lower-case letters, digits and _; used in the API and exports.'}</small>
          <Err errors={errors} at="key" />
        </div>
      </div>
      <div class="field">
        <label for="t-keywords">Keywords</label>
        <input id="t-keywords" name="keywords" value={draft.keywords} aria-invalid={inv('keywords')} aria-describedby="t-keywords-hint" />
        <small id="t-keywords-hint" class="hint">Phrases that mark documents of this type, separated by commas (e.g. purchase order, PO number).</small>
        <Err errors={errors} at="keywords" />
      </div>
      <fieldset class="typefields">
        <legend>Fields</legend>
        <Err errors={errors} at="fields" />
        <div class="tablewrap">
          <table>
            <thead><tr><th>Name</th><th>Label</th><th>Kind</th><th>Options (enum)</th><th>Printed labels</th></tr></thead>
            <tbody data-typefields>
              {rows.map((f, i) => (
                <tr data-typefield={i}>
                  <td>
                    <input name={`field.${i}.name`} value={f.name} aria-label={`Name of field ${i + 1}`} aria-invalid={inv(`field.${i}.name`)} placeholder="poNumber" />
                    <Err errors={errors} at={`field.${i}.name`} />
                  </td>
                  <td>
                    <input name={`field.${i}.label`} value={f.label} aria-label={`Label of field ${i + 1}`} aria-invalid={inv(`field.${i}.label`)} placeholder="PO number" />
                    <Err errors={errors} at={`field.${i}.label`} />
                  </td>
                  <td>
                    <select name={`field.${i}.kind`} aria-label={`Kind of field ${i + 1}`}>
                      {CUSTOM_FIELD_KINDS.map((k) => <option value={k} selected={f.kind === k}>{k}</option>)}
                    </select>
                    <Err errors={errors} at={`field.${i}.kind`} />
                  </td>
                  <td>
                    <input name={`field.${i}.options`} value={f.options} aria-label={`Options of field ${i + 1}`} aria-invalid={inv(`field.${i}.options`)} placeholder="a, b, c" />
                    <Err errors={errors} at={`field.${i}.options`} />
                  </td>
                  <td>
                    <input name={`field.${i}.labels`} value={f.labels} aria-label={`Printed labels of field ${i + 1}`} aria-invalid={inv(`field.${i}.labels`)} placeholder="PO, Order no" />
                    <Err errors={errors} at={`field.${i}.labels`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="muted small">Rows left empty are ignored. Separate options and labels with commas. <button type="button" class="secondary small" data-add-typefield hidden>Add field</button></p>
      </fieldset>
      <div class="actions">
        <button type="submit">{editing ? 'Save type' : 'Create type'}</button>
        <a class="button secondary" href={cancel}>Cancel</a>
      </div>
    </form>
  );
}

/** The types an organization can use: built-in ones read-only, its own with edit and delete. */
export function TypeList({ types, base }: { types: TypeDef[]; base: string }) {
  return (
    <div class="tablewrap">
      <table class="typetable">
        <thead><tr><th>Type</th><th>Key</th><th>Fields</th><th><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {types.map((t) => (
            <tr data-type={t.key}>
              <td>
                <strong>{t.name}</strong> {t.builtin && <span class="badge">built in</span>}
                {t.keywords.length > 0 && <div class="muted small">Keywords: {t.keywords.join(', ')}</div>}
              </td>
              <td><code>{t.key}</code></td>
              <td class="small">{t.fields.length ? t.fields.map((f) => f.label).join(', ') : <span class="muted">none</span>}{t.lineItems && <span class="muted"> + line items</span>}</td>
              <td>
                {!t.builtin && (
                  <span class="actions">
                    <a href={`${base}/types/${t.key}`} class="button secondary small">Edit</a>
                    <form method="post" action={`${base}/types/${t.key}/delete`} class="inline" data-confirm={`Delete the type ${t.name}?`}>
                      <button type="submit" class="danger small">Delete</button>
                    </form>
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ThresholdForm({ action, threshold, error }: { action: string; threshold: number; error?: string }) {
  return (
    <form method="post" action={action} class="row">
      <div class="field">
        <label for="s-threshold">Review threshold (%)</label>
        <input id="s-threshold" name="threshold" type="number" min={0} max={100} step={1} value={String(Math.round(threshold * 100))} required aria-invalid={error ? 'true' : undefined} aria-describedby="s-threshold-hint" />
        <small id="s-threshold-hint" class="hint">{error ? <span class="error">{error}</span> : 'Documents with a field or type below this confidence wait for review. 0 turns review off.'}</small>
      </div>
      <button type="submit" class="secondary">Save threshold</button>
    </form>
  );
}
