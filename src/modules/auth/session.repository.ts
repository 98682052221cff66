import type { Db } from '../../platform/db/db';
import type { Session } from '../../platform/db/schema';

export async function insertSession(db: Db, session: Session): Promise<void> {
  await db.insertInto('session').values(session).execute();
}

export async function findSession(db: Db, id: string): Promise<Session | undefined> {
  return db.selectFrom('session').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function touchSession(db: Db, id: string, patch: { last_seen_at: string; expires_at?: string }): Promise<void> {
  await db.updateTable('session').set(patch).where('id', '=', id).execute();
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('session').where('id', '=', id).execute();
}

/** Deletes one of a user's sessions; the user id is part of the condition. */
export async function deleteUserSession(db: Db, userId: string, id: string): Promise<number> {
  const r = await db.deleteFrom('session').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function listUserSessions(db: Db, userId: string, now: string): Promise<Session[]> {
  return db
    .selectFrom('session')
    .selectAll()
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .orderBy('last_seen_at', 'desc')
    .execute();
}

export async function deleteExpiredSessions(db: Db, now: string): Promise<number> {
  const r = await db.deleteFrom('session').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Ends every session of a user (deprovisioning, admin revocation). */
export async function deleteAllUserSessions(db: Db, userId: string): Promise<number> {
  const r = await db.deleteFrom('session').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Marks a session as having passed the second factor at `at`. */
export async function setSessionMfa(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('session').set({ mfa_at: at }).where('id', '=', id).execute();
}

/**
 * The smallest "most concurrent sessions" limit among the organizations the user is an
 * active member of, with the organization that sets it; undefined when none sets one.
 */
export async function findSessionLimit(db: Db, userId: string): Promise<{ orgId: string; max: number } | undefined> {
  const row = await db
    .selectFrom('org_member as m')
    .innerJoin('org_security_policy as p', 'p.org_id', 'm.org_id')
    .select(['p.org_id', 'p.max_sessions'])
    .where('m.user_id', '=', userId)
    .where('m.deactivated_at', 'is', null)
    .where('p.max_sessions', 'is not', null)
    .orderBy('p.max_sessions', 'asc')
    .limit(1)
    .executeTakeFirst();
  return row?.max_sessions ? { orgId: row.org_id, max: Number(row.max_sessions) } : undefined;
}

/**
 * Keeps the session `currentId` and the user's `keep - 1` most recently created others,
 * deleting the rest; returns how many went.
 */
export async function deleteOldestSessions(db: Db, userId: string, currentId: string, keep: number): Promise<number> {
  const rows = await db
    .selectFrom('session')
    .select('id')
    .where('user_id', '=', userId)
    .where('id', '!=', currentId)
    .orderBy('created_at', 'desc')
    .orderBy('last_seen_at', 'desc')
    .execute();
  const extra = rows.slice(Math.max(keep - 1, 0)).map((r) => r.id);
  if (!extra.length) return 0;
  const r = await db.deleteFrom('session').where('user_id', '=', userId).where('id', 'in', extra).executeTakeFirst();
  return Number(r.numDeletedRows);
}
