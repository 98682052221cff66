import type { PresentedDocument } from './document.presenter';
import type { TListQuery } from './document.service';
import { FolderOptions, StatusProgress, ShortTime, formatBytes, isLive, kindLabel } from './document.views';
import type { PresentedFolder } from './folder.service';

const DEFAULTS: Partial<Record<keyof TListQuery, string>> = { sort: 'created', page: '1', limit: '50' };

/** The library's address for a query, leaving out what is default. */
export function libraryHref(slug: string, q: Partial<TListQuery>, change: Partial<Record<keyof TListQuery, string | number | undefined>> = {}): string {
  const merged: Record<string, unknown> = { ...q, ...change };
  const params = new URLSearchParams();
  for (const key of ['folder', 'trash', 'status', 'tag', 'q', 'sort', 'order', 'limit', 'page'] as const) {
    const v = merged[key];
    if (v === undefined || v === null || v === '' || DEFAULTS[key] === String(v)) continue;
    if (key === 'trash' && (v === '0' || v === 'false')) continue;
    params.set(key, String(v));
  }
  const s = params.toString();
  return `/o/${slug}/documents${s ? `?${s}` : ''}`;
}

export function isTrash(q: Partial<TListQuery>): boolean {
  return q.trash === '1' || q.trash === 'true';
}

/** The sidebar: all, unfiled, the folder tree, the trash; and a form for a new folder. */
export function FolderSidebar(p: { slug: string; q: TListQuery; folders: PresentedFolder[]; canManage: boolean; error?: string; draft?: string }) {
  const trash = isTrash(p.q);
  const current = (folder?: string, inTrash = false) => (!inTrash && !trash && p.q.folder === folder) || (inTrash && trash) ? 'page' : undefined;
  const children = new Map<string | null, PresentedFolder[]>();
  for (const f of p.folders) children.set(f.parentId, [...(children.get(f.parentId) ?? []), f]);
  const branch = (parent: string | null) => {
    const list = children.get(parent);
    if (!list?.length) return null;
    return (
      <ul class="foldertree">
        {list.map((f) => (
          <li>
            <a href={libraryHref(p.slug, { folder: f.id })} aria-current={current(f.id)} class="folderlink">
              {f.name}
            </a>
            {branch(f.id)}
          </li>
        ))}
      </ul>
    );
  };
  return (
    <aside class="libside">
      <nav aria-label="Folders">
        <ul class="foldertree foldertree--top">
          <li><a href={libraryHref(p.slug, {})} aria-current={current(undefined)} class="folderlink folderlink--all">All documents</a></li>
          <li><a href={libraryHref(p.slug, { folder: 'root' })} aria-current={current('root')} class="folderlink folderlink--none">No folder</a></li>
        </ul>
        {branch(null)}
        <ul class="foldertree foldertree--top foldertree--trash">
          <li><a href={libraryHref(p.slug, { trash: '1' })} aria-current={current(undefined, true)} class="folderlink folderlink--trash">Trash</a></li>
        </ul>
      </nav>
      {p.canManage && (
        <form method="post" action={`/o/${p.slug}/documents/folders`} class="newfolder">
          <h2>New folder</h2>
          {p.error && <p class="error" role="alert">{p.error}</p>}
          <label for="f-folder-name" class="sr-only">Folder name</label>
          <input id="f-folder-name" name="name" placeholder="Folder name" required maxLength={200} value={p.draft} aria-invalid={p.error ? 'true' : undefined} />
          <label for="f-folder-parent" class="sr-only">Inside</label>
          <select id="f-folder-parent" name="parentId">
            <FolderOptions folders={p.folders} selected={p.q.folder} none="At the top level" />
          </select>
          <button type="submit" class="secondary small">Create folder</button>
        </form>
      )}
    </aside>
  );
}

/**
 * A drop zone that is also a plain multipart form: pick files and press Upload without
 * JavaScript; with it, every file uploads on its own with a progress bar.
 */
export function UploadZone({ slug, folders, folder }: { slug: string; folders: PresentedFolder[]; folder?: string }) {
  return (
    <form method="post" action={`/o/${slug}/documents/upload`} enctype="multipart/form-data" class="dropzone" data-upload>
      <div class="dropzone-target">
        <span class="dropzone-icon" aria-hidden="true" />
        <div>
          <strong>Drop files here to upload</strong>
          <p class="muted">PDF, images, Office files, e-mails and text; many at once.</p>
        </div>
        <label for="f-upload" class="sr-only">Files</label>
        <input id="f-upload" type="file" name="file" multiple required />
      </div>
      <div class="row dropzone-options">
        <div class="field">
          <label for="f-upload-folder">Into folder</label>
          <select id="f-upload-folder" name="folder">
            <FolderOptions folders={folders} selected={folder && folder !== 'root' ? folder : null} />
          </select>
        </div>
        <div class="field">
          <label for="f-upload-tags">Tags</label>
          <input id="f-upload-tags" name="tags" placeholder="e.g. invoices, 2026" />
        </div>
        <button type="submit" data-upload-submit>Upload</button>
      </div>
      <ul class="uploads" data-upload-list aria-live="polite" />
    </form>
  );
}

/** Search by name, status and tag; the folder, view and sort ride along. */
export function FilterBar({ slug, q, tags }: { slug: string; q: TListQuery; tags: { name: string; count: number }[] }) {
  const active = q.q || q.status || q.tag;
  return (
    <form method="get" action={`/o/${slug}/documents`} class="filters" role="search">
      {q.folder && <input type="hidden" name="folder" value={q.folder} />}
      {isTrash(q) && <input type="hidden" name="trash" value="1" />}
      {q.sort !== 'created' && <input type="hidden" name="sort" value={q.sort} />}
      {q.order && <input type="hidden" name="order" value={q.order} />}
      <input type="search" name="q" value={q.q ?? ''} placeholder="Search by name" aria-label="Search by name" class="filters-q" />
      <select name="status" aria-label="Status">
        <option value="">Any status</option>
        {(['ready', 'needs_review', 'queued', 'processing', 'needs_password', 'failed', 'unsupported'] as const).map((s) => (
          <option value={s} selected={q.status === s}>{s === 'needs_password' ? 'Needs password' : s === 'needs_review' ? 'Needs review' : s[0].toUpperCase() + s.slice(1)}</option>
        ))}
      </select>
      <select name="tag" aria-label="Tag">
        <option value="">Any tag</option>
        {tags.map((t) => <option value={t.name} selected={q.tag === t.name}>{t.name} ({t.count})</option>)}
      </select>
      <select name="limit" aria-label="Per page">
        {[25, 50, 100, 200].map((n) => <option value={n} selected={q.limit === n}>{n} per page</option>)}
      </select>
      <button type="submit" class="secondary">Filter</button>
      {active && <a href={libraryHref(slug, { ...q, q: undefined, status: undefined, tag: undefined, page: 1 })}>Clear</a>}
    </form>
  );
}

function SortHeader({ slug, q, sort, label, class: cls }: { slug: string; q: TListQuery; sort: TListQuery['sort']; label: string; class?: string }) {
  const active = q.sort === sort;
  const order = q.order ?? (q.sort === 'name' ? 'asc' : 'desc');
  const next = active ? (order === 'asc' ? 'desc' : 'asc') : undefined;
  return (
    <th class={cls} aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : undefined}>
      <a href={libraryHref(slug, q, { sort, order: next, page: 1 })} class={active ? 'sortlink sortlink--active' : 'sortlink'}>
        {label}
        {active && <span aria-hidden="true">{order === 'asc' ? ' ↑' : ' ↓'}</span>}
      </a>
    </th>
  );
}

/**
 * One document in the table. While it is queued or processing the row replaces itself
 * every two seconds; a final row carries no trigger, so polling stops.
 */
export function DocumentRow({ d, slug, selectable }: { d: PresentedDocument; slug: string; selectable: boolean }) {
  const href = `/o/${slug}/documents/${d.id}`;
  const poll = isLive(d.status) ? { 'hx-get': `${href}/row`, 'hx-trigger': 'every 2s', 'hx-swap': 'outerHTML' } : {};
  return (
    <tr id={`doc-${d.id}`} class={`docrow docrow--${d.status}`} {...poll}>
      {selectable && (
        <td class="col-check">
          <input type="checkbox" name="ids" value={d.id} form="bulk" id={`sel-${d.id}`} hx-preserve="true" aria-label={`Select ${d.name}`} data-select />
        </td>
      )}
      <td class="col-name">
        <a href={href} class="docname">{d.name}</a>
        {(d.tags.length > 0 || d.parentId) && (
          <div class="taglist">
            {d.parentId && <span class="badge badge--attachment">attachment</span>}
            {d.tags.map((t) => <a href={libraryHref(slug, { tag: t })} class="tag">{t}</a>)}
          </div>
        )}
      </td>
      <td class="col-status"><StatusProgress d={d} /></td>
      <td class="col-kind">
        {kindLabel(d.kind)}
        {d.pageCount !== null && <span class="muted"> · {d.pageCount} {d.pageCount === 1 ? 'page' : 'pages'}</span>}
      </td>
      <td class="col-size num">{formatBytes(d.size)}</td>
      <td class="col-date"><ShortTime iso={d.createdAt} dateOnly /></td>
      <td class="col-date"><ShortTime iso={d.updatedAt} dateOnly /></td>
    </tr>
  );
}

export function DocumentTable({ slug, q, documents, selectable }: { slug: string; q: TListQuery; documents: PresentedDocument[]; selectable: boolean }) {
  return (
    <div class="tablewrap">
      <table class="doctable">
        <thead>
          <tr>
            {selectable && (
              <th class="col-check">
                <input type="checkbox" aria-label="Select all on this page" data-select-all hidden />
              </th>
            )}
            <SortHeader slug={slug} q={q} sort="name" label="Name" class="col-name" />
            <th class="col-status">Status</th>
            <th class="col-kind">Type</th>
            <SortHeader slug={slug} q={q} sort="size" label="Size" class="col-size num" />
            <SortHeader slug={slug} q={q} sort="created" label="Added" class="col-date" />
            <SortHeader slug={slug} q={q} sort="updated" label="Updated" class="col-date" />
          </tr>
        </thead>
        <tbody>
          {documents.map((d) => <DocumentRow d={d} slug={slug} selectable={selectable} />)}
        </tbody>
      </table>
    </div>
  );
}

/** Actions on the checked documents: a plain form the row checkboxes belong to. */
export function BulkBar({ slug, q, folders, back }: { slug: string; q: TListQuery; folders: PresentedFolder[]; back: string }) {
  return (
    <form id="bulk" method="post" action={`/o/${slug}/documents/bulk`} class="bulkbar">
      <input type="hidden" name="back" value={back} />
      <span class="bulkbar-label" data-bulk-count>With selected:</span>
      {isTrash(q) ? (
        <button type="submit" name="action" value="restore" class="secondary small">Restore</button>
      ) : (
        <>
          <span class="bulkbar-group">
            <select name="folderId" aria-label="Folder to move to">
              <FolderOptions folders={folders} none="No folder" />
            </select>
            <button type="submit" name="action" value="move" class="secondary small">Move</button>
          </span>
          <span class="bulkbar-group">
            <input name="tags" placeholder="tag, tag" aria-label="Tags to add" />
            <button type="submit" name="action" value="tag" class="secondary small">Add tags</button>
          </span>
          <button type="submit" name="action" value="trash" class="danger small">Move to trash</button>
        </>
      )}
    </form>
  );
}

export function Pager({ slug, q, total }: { slug: string; q: TListQuery; total: number }) {
  const pages = Math.max(1, Math.ceil(total / q.limit));
  return (
    <nav class="pager" aria-label="Pagination">
      <span class="pager-total">{total} {total === 1 ? 'document' : 'documents'}</span>
      <span class="spacer" />
      {q.page > 1 ? <a href={libraryHref(slug, q, { page: q.page - 1 })} rel="prev" class="button secondary small">← Previous</a> : <span class="button secondary small" aria-disabled="true">← Previous</span>}
      <span class="pager-pos">Page {Math.min(q.page, pages)} of {pages}</span>
      {q.page < pages ? <a href={libraryHref(slug, q, { page: q.page + 1 })} rel="next" class="button secondary small">Next →</a> : <span class="button secondary small" aria-disabled="true">Next →</span>}
    </nav>
  );
}
