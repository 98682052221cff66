import type { Db } from '../../platform/db/db';
import type { Invitation } from '../../platform/db/schema';

export async function insertInvitation(db: Db, inv: Invitation): Promise<void> {
  await db.insertInto('invitation').values(inv).execute();
}

export async function findInvitationByHash(db: Db, tokenHash: string): Promise<Invitation | undefined> {
  return db.selectFrom('invitation').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findInvitation(db: Db, orgId: string, id: string): Promise<Invitation | undefined> {
  return db.selectFrom('invitation').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
}

/** Invitations not yet accepted, revoked or expired, newest first. */
export async function listPendingInvitations(db: Db, orgId: string, now: string) {
  return db
    .selectFrom('invitation')
    .leftJoin('user', 'user.id', 'invitation.created_by')
    .selectAll('invitation')
    .select('user.email as created_by_email')
    .where('invitation.org_id', '=', orgId)
    .where('invitation.accepted_at', 'is', null)
    .where('invitation.revoked_at', 'is', null)
    .where('invitation.expires_at', '>', now)
    .orderBy('invitation.created_at', 'desc')
    .execute();
}

/** Marks an invitation used, only if it still is pending; returns whether it was. */
export async function markAccepted(db: Db, id: string, userId: string, now: string): Promise<boolean> {
  const r = await db
    .updateTable('invitation')
    .set({ accepted_at: now, accepted_by: userId })
    .where('id', '=', id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function markRevoked(db: Db, orgId: string, id: string, now: string): Promise<boolean> {
  const r = await db
    .updateTable('invitation')
    .set({ revoked_at: now })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
