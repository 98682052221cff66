import { type ExpressionBuilder, type Expression, type SqlBool, sql } from 'kysely';
import type { DB } from '../platform/db/schema';
import type { Actor } from './actor';
import { permissionsOf } from './roles';

/**
 * The documents an actor may read, as a SQL condition on the `document` table, for search
 * and bulk reads: the actor's organization, not in the trash, and only with the
 * `document.read` permission. Queries apply it inside their SQL, so results are computed
 * over readable documents only and never filtered after the fact.
 *
 * `byId`: for documents the query already picks by primary key (the documents of given
 * passages). The same condition, written so that no index on organization or trash can
 * serve it (`x || ''` is no indexed column), so the lookup stays one by id whatever the
 * planner's statistics say: without them, SQLite takes an equality on an indexed column
 * for a few rows and would scan the organization's documents instead.
 */
export function readableDocuments(actor: Actor, opts: { byId?: boolean } = {}) {
  const allowed = permissionsOf(actor.role).has('document.read');
  return (eb: ExpressionBuilder<DB, 'document'>): Expression<SqlBool> => {
    if (!allowed) return sql<SqlBool>`1 = 0`;
    if (opts.byId) return eb.and([eb(sql<string>`document.org_id || ''`, '=', actor.orgId), eb(sql<string>`coalesce(document.deleted_at, '')`, '=', '')]);
    return eb.and([eb('document.org_id', '=', actor.orgId), eb('document.deleted_at', 'is', null)]);
  };
}

/** The organization whose vector partition an actor may search, or null for none. */
export function readablePartition(actor: Actor): string | null {
  return permissionsOf(actor.role).has('document.read') ? actor.orgId : null;
}
