import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { requireUser } from '../../platform/http/auth';
import { validate } from '../../platform/http/input';
import type { AppEnv } from '../../platform/http/types';
import { loadDocument } from '../documents/document.service';
import { tenant } from '../orgs/tenant';
import { recentQueries, SEARCH_MODES, search, ZSearchQuery } from './search.service';

/** `1`/`true` or `0`/`false`; anything else is refused rather than read as true. */
export const ZFlag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/** The search API's query string: the service's query with a strict `prefix` flag. */
export const ZSearchParams = ZSearchQuery.extend({ prefix: ZFlag.optional() });

/** Searching one document: every matching passage, up to 100. */
export const ZDocumentSearchParams = z.object({
  q: z.string().max(1000).default(''),
  mode: z.enum(SEARCH_MODES).default('hybrid'),
  limit: z.coerce.number().int().min(1).max(100).default(100),
  prefix: ZFlag.optional(),
});

/**
 * A query string as plain fields: empty parameters mean "not given", a repeated `tags`
 * becomes a list (`tags=a&tags=b` is the same as `tags=a,b`).
 */
export function queryFields(c: Context): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== ''));
  const tags = (c.req.queries('tags') ?? []).filter((t) => t !== '');
  if (tags.length > 1) out.tags = tags;
  return out;
}

function presentQuery(r: Awaited<ReturnType<typeof recentQueries>>[number]) {
  let filters: unknown = null;
  try {
    filters = r.filters ? JSON.parse(r.filters) : null;
  } catch {
    filters = null;
  }
  return { id: r.id, userId: r.user_id, query: r.query, mode: r.mode, filters, results: Number(r.results), tookMs: Number(r.took_ms), createdAt: r.created_at };
}

/**
 * JSON API under `/api/v1/orgs/:org`: search over the organization's documents, search
 * within one document, and the recent queries (for administrators). Each route resolves
 * the organization itself, since the mount point is shared with others.
 */
export function searchRoutes() {
  const app = new Hono<AppEnv>();
  const member = [requireUser, tenant] as const;

  app.get('/search', ...member, async (c) => c.json(await search(c.get('ctx'), c.get('actor')!, validate(ZSearchParams, queryFields(c)))));

  app.get('/search/queries', ...member, async (c) => {
    const { limit } = validate(z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }), queryFields(c));
    return c.json({ queries: (await recentQueries(c.get('ctx'), c.get('actor')!, limit)).map(presentQuery) });
  });

  app.get('/documents/:id/search', ...member, async (c) => {
    const ctx = c.get('ctx');
    const actor = c.get('actor')!;
    const doc = await loadDocument(ctx, actor, c.req.param('id'));
    const p = validate(ZDocumentSearchParams, queryFields(c));
    const r = await search(ctx, actor, { ...p, document: doc.id });
    return c.json({ documentId: doc.id, query: r.query, mode: r.mode, results: r.results, total: r.total, ...(r.notice ? { notice: r.notice } : {}), tookMs: r.tookMs });
  });

  return app;
}
