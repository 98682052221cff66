import { Hono } from 'hono';
import { z } from 'zod';
import { requireUser } from '../../platform/http/auth';
import { readJson, validate } from '../../platform/http/input';
import type { AppEnv } from '../../platform/http/types';
import { contentDisposition } from '../documents/upload';
import { tenant } from '../orgs/tenant';
import * as doctypes from './doctype.service';
import { exportExtractions, ZExportQuery } from './export.service';
import * as extraction from './extraction.service';

/** A query string without its empty parameters (`?type=&page=` means "not given"). */
function queryOf(raw: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
}

/**
 * JSON API under `/api/v1/orgs/:org`: a document's extraction and its corrections, the
 * review queue, the export, the organization's document types and its review threshold.
 * Each route resolves the organization itself, since the mount point is shared with others.
 */
export function extractionRoutes() {
  const app = new Hono<AppEnv>();
  const member = [requireUser, tenant] as const;

  app.get('/documents/:id/extraction', ...member, async (c) => c.json(await extraction.getExtraction(c.get('ctx'), c.get('actor')!, c.req.param('id'))));

  app.put('/documents/:id/extraction', ...member, async (c) => {
    const body = validate(extraction.ZExtractionUpdate, await readJson(c));
    return c.json(await extraction.updateExtraction(c.get('ctx'), c.get('actor')!, c.req.param('id'), body));
  });

  app.get('/documents/:id/extraction/corrections', ...member, async (c) => c.json({ corrections: await extraction.listCorrections(c.get('ctx'), c.get('actor')!, c.req.param('id')) }));

  app.get('/review-queue', ...member, async (c) => c.json(await extraction.reviewQueue(c.get('ctx'), c.get('actor')!, validate(extraction.ZQueueQuery, queryOf(c.req.query())))));

  app.get('/extractions/export', ...member, async (c) => {
    const file = await exportExtractions(c.get('ctx'), c.get('actor')!, validate(ZExportQuery, queryOf(c.req.query())));
    c.header('Content-Type', file.contentType);
    c.header('Content-Disposition', contentDisposition(file.filename));
    c.header('Cache-Control', 'private, no-store');
    return c.body(file.body);
  });

  app.get('/document-types', ...member, async (c) => c.json({ types: await doctypes.listTypes(c.get('ctx'), c.get('actor')!) }));

  app.post('/document-types', ...member, async (c) => c.json(await doctypes.createType(c.get('ctx'), c.get('actor')!, validate(doctypes.ZCustomType, await readJson(c))), 201));

  app.put('/document-types/:key', ...member, async (c) => {
    // The key is the path's unless the body names one (which must then be the same).
    const raw = await readJson(c);
    const body = validate(doctypes.ZCustomType, raw && typeof raw === 'object' && !Array.isArray(raw) ? { key: c.req.param('key'), ...raw } : raw);
    return c.json(await doctypes.updateType(c.get('ctx'), c.get('actor')!, c.req.param('key'), body));
  });

  app.delete('/document-types/:key', ...member, async (c) => {
    await doctypes.deleteType(c.get('ctx'), c.get('actor')!, c.req.param('key'));
    return c.body(null, 204);
  });

  app.get('/settings/review', ...member, async (c) => c.json({ threshold: await extraction.getReviewThreshold(c.get('ctx'), c.get('actor')!) }));

  // A JSON number, strictly: the form schema's coercion would read null or "" as 0 and turn review off.
  app.put('/settings/review', ...member, async (c) => {
    const body = validate(z.object({ threshold: z.number().min(0).max(1) }), await readJson(c));
    return c.json({ threshold: await extraction.setReviewThreshold(c.get('ctx'), c.get('actor')!, body) });
  });

  return app;
}
