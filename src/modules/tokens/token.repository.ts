import type { Db } from '../../platform/db/db';
import type { PersonalToken } from '../../platform/db/schema';

export async function insertToken(db: Db, t: PersonalToken): Promise<void> {
  await db.insertInto('personal_token').values(t).execute();
}

export async function findTokenByHash(db: Db, hash: string): Promise<PersonalToken | undefined> {
  return db.selectFrom('personal_token').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

export async function listUserTokens(db: Db, userId: string): Promise<PersonalToken[]> {
  return db.selectFrom('personal_token').selectAll().where('user_id', '=', userId).where('revoked_at', 'is', null).orderBy('created_at', 'desc').execute();
}

export async function revokeToken(db: Db, userId: string, id: string, now: string): Promise<boolean> {
  const r = await db
    .updateTable('personal_token')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function touchToken(db: Db, id: string, now: string): Promise<void> {
  await db.updateTable('personal_token').set({ last_used_at: now }).where('id', '=', id).execute();
}
