import type { Db } from '../../platform/db/db';
import type { AuditEvent } from '../../platform/db/schema';

export interface AuditFilter {
  action?: string;
  actorId?: string;
  before?: string;
  limit: number;
}

/** Appends one event. The table refuses updates and deletes. */
export async function insertAuditEvent(db: Db, event: AuditEvent): Promise<void> {
  await db.insertInto('audit_event').values(event).execute();
}

/** An organization's audit log, newest first, paginated through `before` (a created_at). */
export async function listAuditEvents(db: Db, orgId: string, f: AuditFilter) {
  let q = db
    .selectFrom('audit_event')
    .leftJoin('user', 'user.id', 'audit_event.actor_id')
    .selectAll('audit_event')
    .select(['user.email as actor_email'])
    // The organization's own events, and its members' account events (sign-ins, sessions).
    .where((eb) =>
      eb.or([
        eb('audit_event.org_id', '=', orgId),
        eb.and([
          eb('audit_event.org_id', 'is', null),
          eb('audit_event.actor_id', 'in', eb.selectFrom('org_member').select('org_member.user_id').where('org_member.org_id', '=', orgId)),
        ]),
      ]),
    );
  if (f.action) q = q.where('audit_event.action', '=', f.action);
  if (f.actorId) q = q.where('audit_event.actor_id', '=', f.actorId);
  if (f.before) q = q.where('audit_event.created_at', '<', f.before);
  return q.orderBy('audit_event.created_at', 'desc').orderBy('audit_event.id', 'desc').limit(f.limit).execute();
}

/** Events about one user that belong to no organization (e.g. logins), newest first. */
export async function listUserAuditEvents(db: Db, userId: string, limit: number) {
  return db
    .selectFrom('audit_event')
    .selectAll()
    .where((eb) => eb.or([eb('actor_id', '=', userId), eb.and([eb('target_type', '=', 'user'), eb('target_id', '=', userId)])]))
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}
