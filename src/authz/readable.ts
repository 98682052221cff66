import { type ExpressionBuilder, type Expression, type SqlBool, sql } from 'kysely';
import type { DB } from '../platform/db/schema';
import type { Actor } from './actor';
import { permissionsOf } from './roles';

/**
 * The documents an actor may read, as a SQL condition on the `document` table, for search
 * and bulk reads: the actor's organization, not in the trash, and only with the
 * `document.read` permission. Queries apply it inside their SQL, so results are computed
 * over readable documents only and never filtered after the fact.
 */
export function readableDocuments(actor: Actor) {
  const allowed = permissionsOf(actor.role).has('document.read');
  return (eb: ExpressionBuilder<DB, 'document'>): Expression<SqlBool> =>
    allowed ? eb.and([eb('document.org_id', '=', actor.orgId), eb('document.deleted_at', 'is', null)]) : sql<SqlBool>`1 = 0`;
}

/** The organization whose vector partition an actor may search, or null for none. */
export function readablePartition(actor: Actor): string | null {
  return permissionsOf(actor.role).has('document.read') ? actor.orgId : null;
}
