import type { ComponentChildren } from 'preact';
import { DangerButton, Field } from '../../../views/components';
import type { PresentedExtraction } from '../extraction/extraction.service';
import type { PresentedDocument } from './document.presenter';
import type { DocumentDetail } from './document.service';
import type { PresentedFolder } from './folder.service';

/** Statuses after which nothing changes until someone acts. */
export function isLive(status: PresentedDocument['status']): boolean {
  return status === 'queued' || status === 'processing';
}

const STATUS_LABEL: Record<PresentedDocument['status'], string> = {
  queued: 'Queued',
  processing: 'Processing',
  ready: 'Ready',
  needs_review: 'Needs review',
  needs_password: 'Needs password',
  failed: 'Failed',
  unsupported: 'Unsupported',
};

const STEP_LABEL: Record<string, string> = { queued: 'Waiting', sniff: 'Detecting type', parse: 'Reading', ocr: 'Recognizing text', extract: 'Extracting fields' };

const KIND_LABEL: Record<string, string> = {
  pdf: 'PDF', png: 'PNG image', jpeg: 'JPEG image', tiff: 'TIFF image', text: 'Text', markdown: 'Markdown', html: 'HTML',
  docx: 'Word', xlsx: 'Excel', pptx: 'PowerPoint', eml: 'E-mail',
};

/** Kinds that have page images. */
export const PREVIEW_KINDS = new Set(['pdf', 'png', 'jpeg', 'tiff']);

export function kindLabel(kind: string | null): string {
  return kind ? (KIND_LABEL[kind] ?? kind) : '—';
}

/** 1536 → "1.5 KB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A compact date (and time unless `dateOnly`), machine-readable, the full timestamp on hover. */
export function ShortTime({ iso, dateOnly }: { iso: string; dateOnly?: boolean }) {
  return (
    <time dateTime={iso} title={`${iso.replace('T', ' ').slice(0, 19)} UTC`}>
      {iso.slice(0, 10)}
      {!dateOnly && <span class="muted"> {iso.slice(11, 16)}</span>}
    </time>
  );
}

export function StatusBadge({ status }: { status: PresentedDocument['status'] }) {
  return <span class={`status status--${status}`}>{STATUS_LABEL[status]}</span>;
}

/** The status with a progress bar while the document is queued or processing. */
export function StatusProgress({ d }: { d: PresentedDocument }) {
  const p = d.progress;
  return (
    <div class="statuscell">
      <StatusBadge status={d.status} />
      {isLive(d.status) && (
        <span class="stepline">
          <progress max={100} value={p?.percent ?? 0} aria-label={`Processing ${d.name}`}>{p?.percent ?? 0}%</progress>
          <small class="muted">
            {STEP_LABEL[p?.step ?? 'queued'] ?? p?.step} · {p?.percent ?? 0}%
          </small>
        </span>
      )}
    </div>
  );
}

/** Folder options for a select, each with its full path. */
export function FolderOptions({ folders, selected, none = 'No folder' }: { folders: PresentedFolder[]; selected?: string | null; none?: string }) {
  return (
    <>
      <option value="">{none}</option>
      {folders.map((f) => (
        <option value={f.id} selected={f.id === selected}>
          {f.path.join(' › ')}
        </option>
      ))}
    </>
  );
}

/**
 * The status panel of a document page. While processing it polls itself every two
 * seconds; once the status is final the server asks htmx to reload the page.
 */
export function StatusPanel({ d, base, canEdit }: { d: PresentedDocument; base: string; canEdit: boolean }) {
  const poll = isLive(d.status) ? { 'hx-get': `${base}/status`, 'hx-trigger': 'every 2s', 'hx-swap': 'outerHTML' } : {};
  return (
    <div id="doc-status" class={`statuspanel statuspanel--${d.status}`} {...poll}>
      {isLive(d.status) && (
        <div class="statuspanel-live">
          <StatusProgress d={d} />
          <p class="muted">Folio is reading this document. This page updates by itself.</p>
        </div>
      )}
      {d.status === 'needs_password' && (
        <div class="warn" role="alert">
          <strong>{d.error?.message ?? 'This PDF is protected by a password.'}</strong>
          {canEdit && (
            <form method="post" action={`${base}/password`} class="row">
              <Field name="password" label="PDF password" type="password" autocomplete="off" required />
              <button type="submit">Unlock</button>
            </form>
          )}
        </div>
      )}
      {d.status === 'needs_review' && (
        <p class="warn review-note">
          <strong>Some fields need a check.</strong> Folio is not sure of what it read. <a href={`${base}/review`}>Review the fields</a>
        </p>
      )}
      {d.status === 'failed' && (
        <div class="alert" role="alert">
          <strong>Processing failed.</strong> {d.error?.message}
          {canEdit && (
            <form method="post" action={`${base}/retry`} class="inline">
              <button type="submit" class="secondary small">Retry</button>
            </form>
          )}
        </div>
      )}
      {d.status === 'unsupported' && (
        <p class="warn">
          <strong>Folio cannot read this file.</strong> {d.error?.message} The file is kept and can be downloaded.
        </p>
      )}
    </div>
  );
}

export interface PageText {
  number: number;
  text: string;
  source: string;
  confidence: number | null;
  error?: string;
}

/**
 * Text with each whole-word occurrence of `words` (any case) in `<mark>`. The pieces stay
 * text nodes, so the page's text is escaped as everywhere else.
 */
export function markWords(text: string, words: string[]): ComponentChildren {
  const list = [...new Set(words.map((w) => w.trim().toLowerCase()).filter(Boolean))].sort((a, b) => b.length - a.length);
  if (!list.length) return text;
  const alternatives = list.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives})(?![\\p{L}\\p{N}])`, 'giu');
  const out: ComponentChildren[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    out.push(text.slice(last, m.index), <mark>{m[0]}</mark>);
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

/**
 * Where `quote` first occurs in `text`, whatever the spacing and case between its words
 * (passages are stored with their line breaks folded into spaces): `[start, end)`.
 */
export function findQuote(text: string, quote: string): [number, number] | undefined {
  const words = quote.trim().split(/\s+/).filter(Boolean).slice(0, 200);
  if (!words.length) return undefined;
  const m = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'), 'iu').exec(text);
  return m ? [m.index, m.index + m[0].length] : undefined;
}

/** The page's text with the quoted sentence in one `<mark class="quote">`, or else the `words` marked. */
function markedText(text: string, words: string[] | undefined, quote: string | undefined): ComponentChildren {
  const at = quote ? findQuote(text, quote) : undefined;
  if (at) return [text.slice(0, at[0]), <mark class="quote" data-quote>{text.slice(at[0], at[1])}</mark>, text.slice(at[1])];
  return words?.length ? markWords(text, words) : text;
}

/**
 * One page: its image (for PDFs and images) beside its extracted text, with `highlight`
 * words marked, or the `quote` sentence when it is on the page.
 */
export function PageView({ p, docName, previewBase, withPreview, highlight, quote }: { p: PageText; docName: string; previewBase: string; withPreview: boolean; highlight?: string[]; quote?: string }) {
  return (
    <article class={withPreview ? 'docpage' : 'docpage docpage--textonly'} id={`page-${p.number}`} data-hl-page={highlight?.length || quote ? '' : undefined}>
      <header class="docpage-head">
        <h3>Page {p.number}</h3>
        {p.source === 'ocr' ? (
          <span class="badge badge--ocr">OCR{p.confidence !== null && ` · ${Math.round(p.confidence)}% confidence`}</span>
        ) : p.source === 'text' ? (
          <span class="badge">Text layer</span>
        ) : (
          <span class="badge">No text</span>
        )}
      </header>
      {withPreview && (
        <a class="docpage-img" href={`${previewBase}/${p.number}/preview`}>
          <img src={`${previewBase}/${p.number}/preview`} loading="lazy" alt={`Page ${p.number} of ${docName}`} />
        </a>
      )}
      <div class="docpage-text">
        {p.error && <p class="error">{p.error}</p>}
        {p.text.trim() ? <pre class="pagetext">{markedText(p.text, highlight, quote)}</pre> : <p class="muted">No text was found on this page.</p>}
      </div>
    </article>
  );
}

/** Rename, move and retag in one form. */
export function EditForm({ d, base, folders }: { d: DocumentDetail; base: string; folders: PresentedFolder[] }) {
  return (
    <form method="post" action={`${base}/update`}>
      <Field name="name" label="Name" value={d.name} required />
      <div class="field">
        <label for="f-folderId">Folder</label>
        <select id="f-folderId" name="folderId">
          <FolderOptions folders={folders} selected={d.folderId} />
        </select>
      </div>
      <Field name="tags" label="Tags" value={d.tags.join(', ')} hint="Separate tags with commas." />
      <button type="submit" class="secondary">Save changes</button>
    </form>
  );
}

/** Trash, restore and delete-forever, as each applies. */
export function DeleteActions({ d, base }: { d: DocumentDetail; base: string }) {
  if (!d.trashed) return <DangerButton action={`${base}/trash`} label="Move to trash" />;
  return (
    <div class="actions">
      <form method="post" action={`${base}/restore`} class="inline">
        <button type="submit" class="secondary small">Restore</button>
      </form>
      <DangerButton action={`${base}/purge`} label="Delete forever" confirm={`Delete ${d.name} and all its versions for good? This cannot be undone.`} />
    </div>
  );
}

/** Every version with its download link, and a form for the next one. */
export function VersionsSection({ d, base, api, canEdit, nameOf }: { d: DocumentDetail; base: string; api: string; canEdit: boolean; nameOf: (userId: string | null) => string }) {
  return (
    <section aria-labelledby="versions-h">
      <h2 id="versions-h">Versions</h2>
      <div class="tablewrap">
        <table>
          <thead><tr><th>#</th><th>File</th><th class="num">Size</th><th>Uploaded</th><th><span class="sr-only">Download</span></th></tr></thead>
          <tbody>
            {d.versions.map((v) => (
              <tr>
                <td class="vnum">{v.number}{v.current && <span class="badge badge--current">current</span>}</td>
                <td>{v.filename}</td>
                <td class="num">{formatBytes(v.size)}</td>
                <td class="vdate"><ShortTime iso={v.createdAt} /><div class="muted">by {nameOf(v.createdBy)}</div></td>
                <td><a href={`${api}/file?version=${v.number}`} download>Download</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canEdit && (
        <form method="post" action={`${base}/versions`} enctype="multipart/form-data" class="row versionform">
          <div class="field">
            <label for="f-version">Upload a new version</label>
            <input id="f-version" type="file" name="file" required />
          </div>
          <button type="submit" class="secondary">Upload version</button>
        </form>
      )}
    </section>
  );
}

/**
 * The document's type and key fields as extracted, with a link to the review screen. Fields
 * below the review threshold or named by a broken rule are marked.
 */
export function FieldsCard({ x, reviewHref, canReview }: { x: PresentedExtraction; reviewHref: string; canReview: boolean }) {
  const flagged = new Set(x.issues.flatMap((i) => i.fields));
  const shown = x.definition.fields.filter((f) => x.fields[f.name]);
  return (
    <section class="card fieldscard" aria-labelledby="fields-h">
      <h2 id="fields-h">Fields</h2>
      <p class="fieldscard-type">
        <span class="badge badge--doctype">{x.typeName}</span>{' '}
        <span class="muted small">{x.typeSource === 'user' ? 'chosen by a person' : `${Math.round(x.confidence * 100)}% sure`}</span>
        {x.reviewedAt && <span class="muted small"> · confirmed</span>}
      </p>
      {shown.length > 0 ? (
        <dl class="meta fieldlist">
          {shown.map((f) => {
            const v = x.fields[f.name];
            return (
              <>
                <dt>{f.label}</dt>
                <dd class={flagged.has(f.name) ? 'fieldval fieldval--issue' : 'fieldval'}>{v.normalized ?? v.value}</dd>
              </>
            );
          })}
        </dl>
      ) : (
        <p class="muted small">{x.definition.fields.length ? 'No fields were found.' : 'Documents of this type have no fields.'}</p>
      )}
      {x.issues.length > 0 && <p class="error small">{x.issues.length === 1 ? x.issues[0].message : `${x.issues.length} rules are broken.`}</p>}
      <a class={x.needsReview ? 'button small' : 'button secondary small'} href={reviewHref}>{x.needsReview && canReview ? 'Review the fields' : canReview ? 'Correct the fields' : 'See the fields'}</a>
    </section>
  );
}
