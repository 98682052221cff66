import type { Db } from '../../../platform/db/db';
import type { MfaTotpTable } from '../../../platform/db/schema';

export async function findTotp(db: Db, userId: string): Promise<MfaTotpTable | undefined> {
  return db.selectFrom('mfa_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** True when the user has a confirmed authenticator. */
export async function hasConfirmedTotp(db: Db, userId: string): Promise<boolean> {
  const row = await db.selectFrom('mfa_totp').select('user_id').where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirst();
  return !!row;
}

/** Stores a new, unconfirmed secret, replacing an earlier unconfirmed one (never a confirmed one). */
export async function putPendingTotp(db: Db, row: MfaTotpTable): Promise<boolean> {
  await db.deleteFrom('mfa_totp').where('user_id', '=', row.user_id).where('confirmed_at', 'is', null).execute();
  const r = await db
    .insertInto('mfa_totp')
    .values(row)
    .onConflict((oc) => oc.column('user_id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Confirms the pending secret with the step of the code that proved it. */
export async function confirmTotp(db: Db, userId: string, at: string, step: number): Promise<boolean> {
  const r = await db
    .updateTable('mfa_totp')
    .set({ confirmed_at: at, last_step: step })
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Records `step` as used, only if it is newer than the last one used: of two requests with
 * the same code, exactly one wins.
 */
export async function useTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const r = await db
    .updateTable('mfa_totp')
    .set({ last_step: step })
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is not', null)
    .where('last_step', '<', step)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteTotp(db: Db, userId: string): Promise<number> {
  const r = await db.deleteFrom('mfa_totp').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function replaceRecoveryCodes(db: Db, userId: string, rows: { id: string; code_hash: string; created_at: string }[]): Promise<void> {
  await db.deleteFrom('mfa_recovery_code').where('user_id', '=', userId).execute();
  await db
    .insertInto('mfa_recovery_code')
    .values(rows.map((r) => ({ ...r, user_id: userId, used_at: null })))
    .execute();
}

export async function deleteRecoveryCodes(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('mfa_recovery_code').where('user_id', '=', userId).execute();
}

/** Marks an unused code used; false when no such unused code exists (so a code works once). */
export async function useRecoveryCode(db: Db, userId: string, codeHash: string, at: string): Promise<boolean> {
  const r = await db
    .updateTable('mfa_recovery_code')
    .set({ used_at: at })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function countUnusedRecoveryCodes(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('mfa_recovery_code')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The organizations (active memberships) whose policy requires a second factor of this user, given their role there. */
export async function listOrgsRequiringMfa(db: Db, userId: string): Promise<{ id: string; slug: string; name: string }[]> {
  return db
    .selectFrom('org_member as m')
    .innerJoin('org_security_policy as p', 'p.org_id', 'm.org_id')
    .innerJoin('org as o', 'o.id', 'm.org_id')
    .select(['o.id', 'o.slug', 'o.name'])
    .where('m.user_id', '=', userId)
    .where('m.deactivated_at', 'is', null)
    .where((eb) => eb.or([eb('p.mfa_required', '=', 'all'), eb.and([eb('p.mfa_required', '=', 'admins'), eb('m.role', 'in', ['admin', 'owner'])])]))
    .orderBy('o.name')
    .execute();
}

/** The organizations the user is an active member of (user-level security events are recorded in each one's audit log). */
export async function listActiveOrgIds(db: Db, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('org_member').select('org_id').where('user_id', '=', userId).where('deactivated_at', 'is', null).execute();
  return rows.map((r) => r.org_id);
}
