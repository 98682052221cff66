import type { Db } from '../../platform/db/db';

export async function findThrottle(db: Db, key: string) {
  return db.selectFrom('login_throttle').selectAll().where('key', '=', key).executeTakeFirst();
}

/** Counts one more failure for `key` atomically and returns the new count. */
export async function addFailure(db: Db, key: string, now: string): Promise<number> {
  const row = await db
    .insertInto('login_throttle')
    .values({ key, failures: 1, locked_until: null, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ failures: eb('login_throttle.failures', '+', 1), updated_at: now })))
    .returning('failures')
    .executeTakeFirstOrThrow();
  return Number(row.failures);
}

export async function setLockedUntil(db: Db, key: string, until: string): Promise<void> {
  await db.updateTable('login_throttle').set({ locked_until: until }).where('key', '=', key).execute();
}

export async function clearThrottle(db: Db, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute();
}
