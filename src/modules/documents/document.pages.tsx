import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { can } from '../../authz';
import { PageHeader } from '../../../views/components';
import { requireUser } from '../../platform/http/auth';
import { readForm, validate } from '../../platform/http/input';
import { renderFragment } from '../../platform/http/render';
import type { AppEnv } from '../../platform/http/types';
import { AppError } from '../../shared/errors';
import { listOrgMembers } from '../orgs/org.service';
import { tenant } from '../orgs/tenant';
import { AskBox } from '../answers/answer.views';
import { getExtraction, type PresentedExtraction } from '../extraction/extraction.service';
import { DocumentSearchBox } from '../search/search.views';
import { flash, page } from '../web/shell';
import type { PresentedDocument } from './document.presenter';
import * as docs from './document.service';
import { DeleteActions, EditForm, FieldsCard, formatBytes, isLive, kindLabel, PageView, PREVIEW_KINDS, ShortTime, StatusBadge, StatusPanel, VersionsSection } from './document.views';
import * as folders from './folder.service';
import { BulkBar, DocumentRow, DocumentTable, FilterBar, FolderSidebar, isTrash, libraryHref, Pager, UploadZone } from './library.views';
import { readUpload } from './upload';

type C = Context<AppEnv>;

function wantsJson(c: C): boolean {
  return (c.req.header('Accept') ?? '').startsWith('application/json');
}

/** A return address inside this organization's library, or the library itself. */
function backTo(c: C, raw: string | undefined): string {
  const base = `/o/${c.get('org')!.slug}/documents`;
  return raw && (raw === base || raw.startsWith(`${base}?`)) && !raw.includes('//') ? raw : base;
}

function one(v: unknown): string | undefined {
  const x = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof x === 'string' ? x : undefined;
}

async function libraryView(c: C, folderForm: { error?: string; draft?: string } = {}) {
  const ctx = c.get('ctx');
  const actor = c.get('actor')!;
  const slug = c.get('org')!.slug;
  const q = validate(docs.ZListQuery, c.req.query());
  const [list, tree, tags] = await Promise.all([docs.listDocuments(ctx, actor, q), folders.listFolderTree(ctx, actor), docs.listTags(ctx, actor)]);
  const trash = isTrash(q);
  const folder = q.folder && q.folder !== 'root' ? tree.find((f) => f.id === q.folder) : undefined;
  const title = trash ? 'Trash' : q.folder === 'root' ? 'No folder' : folder ? folder.name : 'All documents';
  const mayCreate = can(actor, 'document.create');
  const filtered = !!(q.q || q.status || q.tag);
  return page(c, { title, active: 'documents', status: folderForm.error ? 400 : 200 }, (
    <div class="library">
      <FolderSidebar slug={slug} q={q} folders={tree} canManage={can(actor, 'folder.manage')} error={folderForm.error} draft={folderForm.draft} />
      <div class="library-main">
        <PageHeader title={title}>
          {folder && can(actor, 'folder.manage') && (
            <form method="post" action={`/o/${slug}/documents/folders/${folder.id}/delete`} class="inline" data-confirm={`Delete the folder ${folder.name} and the folders inside it? Their documents move up a level.`}>
              <button type="submit" class="danger small">Delete folder</button>
            </form>
          )}
        </PageHeader>
        {folder && folder.path.length > 1 && <p class="muted crumbs">{folder.path.join(' › ')}</p>}
        {mayCreate && !trash && <UploadZone slug={slug} folders={tree} folder={q.folder} />}
        {folder && !trash && <AskBox slug={slug} scope={{ folderId: folder.id }} title={`Ask about ${folder.name}`} hint="Answers come from the documents in this folder and the folders inside it." />}
        {trash && <p class="muted">Documents in the trash can be restored, or deleted for good from their page.</p>}
        <FilterBar slug={slug} q={q} tags={tags} />
        {mayCreate && list.documents.length > 0 && <BulkBar slug={slug} q={q} folders={tree} back={libraryHref(slug, q)} />}
        {list.documents.length > 0 ? (
          <DocumentTable slug={slug} q={q} documents={list.documents} selectable={mayCreate} />
        ) : (
          <div class="empty card">
            <p>{filtered ? 'No documents match these filters.' : trash ? 'The trash is empty.' : mayCreate ? 'No documents here yet. Drop files above to add some.' : 'No documents here yet.'}</p>
          </div>
        )}
        <Pager slug={slug} q={q} total={list.total} />
      </div>
    </div>
  ));
}

async function documentView(c: C) {
  const ctx = c.get('ctx');
  const actor = c.get('actor')!;
  const slug = c.get('org')!.slug;
  const id = c.req.param('id')!;
  const d = await docs.getDocument(ctx, actor, id);
  const [text, tree, members, attachments, parent] = await Promise.all([
    docs.getDocumentText(ctx, actor, id),
    folders.listFolderTree(ctx, actor),
    listOrgMembers(ctx, actor),
    docs.listAttachments(ctx, actor, id),
    d.parentId ? docs.getDocument(ctx, actor, d.parentId).catch(() => undefined) : undefined,
  ]);
  const nameOf = (userId: string | null) => members.find((m) => m.userId === userId)?.name ?? 'former member';
  const base = `/o/${slug}/documents/${id}`;
  const processed = d.status === 'ready' || d.status === 'needs_review';
  // Fields are computed on first read for documents processed before extraction existed.
  const fields: PresentedExtraction | undefined = processed ? await getExtraction(ctx, actor, id).catch((err) => {
    if (err instanceof AppError) return undefined;
    throw err;
  }) : undefined;
  const api = `/api/v1/orgs/${slug}/documents/${id}`;
  const canEdit = d.abilities.update && !d.trashed;
  const current = d.versions.find((v) => v.current);
  // From a search result: `page=N&hl=word,word` marks the words on page N; from a citation,
  // `quote=` marks the quoted sentence there (the words when it cannot be found).
  const hlPage = Number(c.req.query('page'));
  const hl = (c.req.query('hl') ?? '').split(',').map((w) => w.trim()).filter((w) => w && w.length <= 100).slice(0, 32);
  const quote = (c.req.query('quote') ?? '').trim().slice(0, 1000);
  return page(c, { title: d.name, active: 'documents' }, (
    <div class="docview">
      <p class="crumbs">
        <a href={`/o/${slug}/documents`}>Documents</a>
        {d.folderPath.map((name) => <> › <span>{name}</span></>)}
      </p>
      <PageHeader title={d.name}>
        <StatusBadge status={d.status} />
        <a class="button secondary" href={`${api}/file${current ? `?version=${current.number}` : ''}`} download>Download</a>
      </PageHeader>
      {d.trashed && <p class="warn">This document is in the trash.</p>}
      <StatusPanel d={d} base={base} canEdit={canEdit} />
      <div class="doc-layout">
        <div class="doc-main">
          <section aria-labelledby="pages-h">
            <h2 id="pages-h">Pages {text.pages.length > 0 && <span class="muted">({text.pages.length})</span>}</h2>
            {text.pages.length === 0 && <p class="muted card">{isLive(d.status) ? 'The text appears here once processing is done.' : 'No text was extracted from this document.'}</p>}
            {text.pages.map((p) => <PageView p={p} docName={d.name} previewBase={`${api}/pages`} withPreview={processed && PREVIEW_KINDS.has(d.kind ?? '')} highlight={p.number === hlPage ? hl : undefined} quote={p.number === hlPage && quote ? quote : undefined} />)}
          </section>
          <VersionsSection d={d} base={base} api={api} canEdit={canEdit} nameOf={nameOf} />
        </div>
        <aside class="doc-side">
          {text.pages.length > 0 && <DocumentSearchBox slug={slug} documentId={id} />}
          {text.pages.length > 0 && !d.trashed && <AskBox slug={slug} scope={{ documentId: id }} title="Ask this document" placeholder="A question about this document" summarize={id} />}
          <section class="card">
            <h2>Details</h2>
            <dl class="meta">
              <dt>Type</dt><dd>{kindLabel(d.kind)}{d.mime && <div class="muted mono">{d.mime}</div>}</dd>
              <dt>Size</dt><dd>{formatBytes(d.size)}</dd>
              <dt>Pages</dt><dd>{d.pageCount ?? '—'}</dd>
              <dt>Folder</dt><dd>{d.folderPath.length ? d.folderPath.join(' › ') : <span class="muted">No folder</span>}</dd>
              <dt>Tags</dt><dd>{d.tags.length ? <span class="taglist">{d.tags.map((t) => <a class="tag" href={libraryHref(slug, { tag: t })}>{t}</a>)}</span> : <span class="muted">None</span>}</dd>
              <dt>Owner</dt><dd>{nameOf(d.ownerId)}</dd>
              <dt>Added</dt><dd><ShortTime iso={d.createdAt} /></dd>
              <dt>Updated</dt><dd><ShortTime iso={d.updatedAt} /></dd>
            </dl>
          </section>
          {fields && <FieldsCard x={fields} reviewHref={`${base}/review`} canReview={can(actor, 'extraction.review') && !d.trashed} />}
          {parent && (
            <section class="card">
              <h2>Attached to</h2>
              <p><a href={`/o/${slug}/documents/${parent.id}`}>{parent.name}</a></p>
            </section>
          )}
          {attachments.length > 0 && (
            <section class="card">
              <h2>Attachments</h2>
              <ul class="attachments">
                {attachments.map((a: PresentedDocument) => (
                  <li><a href={`/o/${slug}/documents/${a.id}`}>{a.name}</a> <StatusBadge status={a.status} /></li>
                ))}
              </ul>
            </section>
          )}
          {canEdit && (
            <section class="card">
              <h2>Edit</h2>
              <EditForm d={d} base={base} folders={tree} />
            </section>
          )}
          {d.abilities.delete && (
            <section class="card">
              <h2>{d.trashed ? 'In the trash' : 'Remove'}</h2>
              <DeleteActions d={d} base={base} />
            </section>
          )}
        </aside>
      </div>
    </div>
  ));
}

const ZBulkForm = z.object({ action: z.string(), folderId: z.string().optional(), tags: z.string().optional(), back: z.string().optional() });
const BULK_DONE: Record<string, string> = { move: 'moved', tag: 'tagged', untag: 'untagged', trash: 'moved to the trash', restore: 'restored' };

/** The document library pages under `/o/:org/documents`. */
export function documentPages() {
  const app = new Hono<AppEnv>();
  app.use('*', requireUser, tenant);
  const lib = (c: C) => `/o/${c.get('org')!.slug}/documents`;

  app.get('/', (c) => libraryView(c));

  app.post('/upload', async (c) => {
    const { files, fields } = await readUpload(c);
    const tags = docs.parseTags(fields.tags);
    const folderId = fields.folder || null;
    const out = [];
    for (const f of files) {
      const d = await docs.ingestDocument(c.get('ctx'), c.get('actor')!, { filename: f.filename, source: f.stream(), declaredMime: f.type, folderId, tags, origin: 'upload' });
      out.push({ id: d.id, name: d.name, status: d.status, url: `${lib(c)}/${d.id}` });
    }
    if (wantsJson(c)) return c.json({ documents: out }, 201);
    flash(c, `${out.length === 1 ? `${out[0].name} was` : `${out.length} documents were`} uploaded and will be processed.`);
    return c.redirect(folderId ? `${lib(c)}?folder=${encodeURIComponent(folderId)}` : lib(c), 303);
  });

  app.post('/bulk', async (c) => {
    const body = await c.req.parseBody({ all: true });
    const ids = [body.ids].flat().filter((v): v is string => typeof v === 'string');
    const f = validate(ZBulkForm, { action: one(body.action), folderId: one(body.folderId), tags: one(body.tags), back: one(body.back) });
    const back = backTo(c, f.back);
    if (!ids.length) {
      flash(c, 'Select at least one document first.');
      return c.redirect(back, 303);
    }
    const input = validate(docs.ZBulk, { ids, action: f.action, folderId: f.action === 'move' ? f.folderId || null : undefined, tags: f.action === 'tag' ? docs.parseTags(f.tags) : undefined });
    if (input.action === 'tag' && !input.tags?.length) throw new AppError('validation_failed', 'Enter at least one tag to add.');
    const { updated } = await docs.bulkUpdate(c.get('ctx'), c.get('actor')!, input);
    flash(c, `${updated} ${updated === 1 ? 'document' : 'documents'} ${BULK_DONE[input.action]}.`);
    return c.redirect(back, 303);
  });

  app.post('/folders', async (c) => {
    const f = await readForm(c);
    try {
      const folder = await folders.createFolder(c.get('ctx'), c.get('actor')!, validate(folders.ZFolderInput, { name: f.name ?? '', parentId: f.parentId || null }));
      flash(c, `Folder ${folder.name} created.`);
      return c.redirect(`${lib(c)}?folder=${folder.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') return libraryView(c, { error: err.message.replace(/^name: /, ''), draft: f.name });
      throw err;
    }
  });

  app.post('/folders/:folderId/delete', async (c) => {
    await folders.deleteFolder(c.get('ctx'), c.get('actor')!, c.req.param('folderId'));
    flash(c, 'Folder deleted; its documents moved up a level.');
    return c.redirect(lib(c), 303);
  });

  app.get('/:id', (c) => documentView(c));

  app.get('/:id/row', async (c) => {
    const actor = c.get('actor')!;
    const d = await docs.getDocument(c.get('ctx'), actor, c.req.param('id'));
    return renderFragment(c, <DocumentRow d={d} slug={c.get('org')!.slug} selectable={can(actor, 'document.create')} />);
  });

  app.get('/:id/status', async (c) => {
    const d = await docs.getDocument(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    // Once final, the whole page changes (text, pages, details): reload it.
    if (!isLive(d.status)) c.header('HX-Refresh', 'true');
    return renderFragment(c, <StatusPanel d={d} base={`${lib(c)}/${d.id}`} canEdit={d.abilities.update && !d.trashed} />);
  });

  app.post('/:id/versions', async (c) => {
    const { files } = await readUpload(c);
    const d = await docs.addVersion(c.get('ctx'), c.get('actor')!, c.req.param('id'), { filename: files[0].filename, source: files[0].stream(), declaredMime: files[0].type });
    flash(c, 'New version uploaded; it will be processed.');
    return c.redirect(`${lib(c)}/${d.id}`, 303);
  });

  app.post('/:id/update', async (c) => {
    const f = await readForm(c);
    const patch = validate(docs.ZDocumentPatch, {
      name: f.name,
      folderId: f.folderId === undefined ? undefined : f.folderId || null,
      tags: f.tags === undefined ? undefined : docs.parseTags(f.tags),
    });
    await docs.updateDocument(c.get('ctx'), c.get('actor')!, c.req.param('id'), patch);
    flash(c, 'Changes saved.');
    return c.redirect(`${lib(c)}/${c.req.param('id')}`, 303);
  });

  app.post('/:id/password', async (c) => {
    const f = await readForm(c);
    await docs.supplyPassword(c.get('ctx'), c.get('actor')!, c.req.param('id'), f.password ?? '');
    flash(c, 'Password received. Processing starts again.');
    return c.redirect(`${lib(c)}/${c.req.param('id')}`, 303);
  });

  // One-button actions on a document that land back on its page.
  const actions = [
    ['retry', docs.retryDocument, 'Processing starts again.'],
    ['trash', docs.trashDocument, 'Moved to the trash.'],
    ['restore', docs.restoreDocument, 'Restored from the trash.'],
  ] as const;
  for (const [name, act, message] of actions) {
    app.post(`/:id/${name}`, async (c) => {
      await act(c.get('ctx'), c.get('actor')!, c.req.param('id'));
      flash(c, message);
      return c.redirect(`${lib(c)}/${c.req.param('id')}`, 303);
    });
  }

  app.post('/:id/purge', async (c) => {
    await docs.purgeDocument(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    flash(c, 'Deleted for good.');
    return c.redirect(`${lib(c)}?trash=1`, 303);
  });

  return app;
}
