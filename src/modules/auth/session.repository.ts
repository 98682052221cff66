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
