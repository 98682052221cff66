import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { z } from 'zod';
import { requireUser } from '../../platform/http/auth';
import { readJson, validate } from '../../platform/http/input';
import type { AppEnv } from '../../platform/http/types';
import { tenant } from '../orgs/tenant';
import * as docs from './document.service';
import * as folders from './folder.service';
import { renderPreview } from './document.previews';
import { contentDisposition, readUpload } from './upload';

/** JSON API under `/api/v1/orgs/:org/documents` and `/folders`. */
export function documentRoutes() {
  const app = new Hono<AppEnv>();
  app.use('*', requireUser, tenant);

  app.get('/', async (c) => c.json(await docs.listDocuments(c.get('ctx'), c.get('actor')!, validate(docs.ZListQuery, c.req.query()))));

  app.post('/', async (c) => {
    const { files, fields } = await readUpload(c);
    const tags = docs.parseTags(fields.tags);
    const out = [];
    for (const f of files) {
      const d = await docs.ingestDocument(c.get('ctx'), c.get('actor')!, { filename: f.filename, source: f.stream(), declaredMime: f.type, folderId: fields.folder || null, tags, origin: 'api' });
      out.push({ id: d.id, status: d.status, name: d.name });
    }
    return c.json(out.length === 1 ? out[0] : { documents: out }, 201);
  });

  app.get('/tags', async (c) => c.json({ tags: await docs.listTags(c.get('ctx'), c.get('actor')!) }));

  app.post('/bulk', async (c) => c.json(await docs.bulkUpdate(c.get('ctx'), c.get('actor')!, validate(docs.ZBulk, await readJson(c)))));

  app.get('/:id', async (c) => c.json(await docs.getDocument(c.get('ctx'), c.get('actor')!, c.req.param('id'))));

  app.patch('/:id', async (c) => c.json(await docs.updateDocument(c.get('ctx'), c.get('actor')!, c.req.param('id'), validate(docs.ZDocumentPatch, await readJson(c)))));

  app.delete('/:id', async (c) => {
    if (c.req.query('purge') === 'true') await docs.purgeDocument(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    else await docs.trashDocument(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    return c.body(null, 204);
  });

  app.post('/:id/restore', async (c) => {
    await docs.restoreDocument(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    return c.json(await docs.getDocument(c.get('ctx'), c.get('actor')!, c.req.param('id')));
  });

  app.get('/:id/text', async (c) => c.json(await docs.getDocumentText(c.get('ctx'), c.get('actor')!, c.req.param('id'))));

  app.get('/:id/file', async (c) => {
    const version = c.req.query('version');
    const n = version === undefined ? undefined : Number(version);
    if (n !== undefined && !(Number.isInteger(n) && n > 0)) return c.json({ error: { code: 'validation_failed', message: 'version must be a positive whole number' } }, 400);
    const file = await docs.openDocumentFile(c.get('ctx'), c.get('actor')!, c.req.param('id'), n);
    c.header('Content-Type', file.mime);
    c.header('Content-Length', String(file.size));
    c.header('Content-Disposition', contentDisposition(file.filename));
    c.header('Cache-Control', 'private, no-store');
    return c.body(Readable.toWeb(file.stream) as ReadableStream);
  });

  app.get('/:id/pages/:n/preview', async (c) => {
    const png = await renderPreview(c.get('ctx'), c.get('actor')!, c.req.param('id'), Number(c.req.param('n')));
    c.header('Content-Type', 'image/png');
    c.header('Cache-Control', 'private, max-age=3600');
    return c.body(new Uint8Array(png));
  });

  app.post('/:id/versions', async (c) => {
    const { files } = await readUpload(c);
    const f = files[0];
    return c.json(await docs.addVersion(c.get('ctx'), c.get('actor')!, c.req.param('id'), { filename: f.filename, source: f.stream(), declaredMime: f.type }), 201);
  });

  app.post('/:id/password', async (c) => {
    const body = validate(z.object({ password: z.string().min(1, 'Enter the password').max(1024) }), await readJson(c));
    return c.json(await docs.supplyPassword(c.get('ctx'), c.get('actor')!, c.req.param('id'), body.password), 202);
  });

  app.post('/:id/retry', async (c) => c.json(await docs.retryDocument(c.get('ctx'), c.get('actor')!, c.req.param('id')), 202));

  return app;
}

/** JSON API under `/api/v1/orgs/:org/folders`. */
export function folderRoutes() {
  const app = new Hono<AppEnv>();
  app.use('*', requireUser, tenant);
  app.get('/', async (c) => c.json({ folders: await folders.listFolderTree(c.get('ctx'), c.get('actor')!) }));
  app.post('/', async (c) => c.json(await folders.createFolder(c.get('ctx'), c.get('actor')!, validate(folders.ZFolderInput, await readJson(c))), 201));
  app.patch('/:id', async (c) => c.json(await folders.updateFolder(c.get('ctx'), c.get('actor')!, c.req.param('id'), validate(folders.ZFolderInput.partial(), await readJson(c)))));
  app.delete('/:id', async (c) => {
    await folders.deleteFolder(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
