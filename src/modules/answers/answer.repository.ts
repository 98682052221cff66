import type { Insertable } from 'kysely';
import type { Db } from '../../platform/db/db';
import type { AnswerMessageTable, AnswerThreadTable, LlmSettings, LlmSettingsTable } from '../../platform/db/schema';

export async function findSettings(db: Db, orgId: string): Promise<LlmSettings | undefined> {
  return db.selectFrom('llm_settings').selectAll().where('org_id', '=', orgId).executeTakeFirst();
}

export async function saveSettings(db: Db, row: Insertable<LlmSettingsTable>): Promise<void> {
  const { org_id: _org, ...rest } = row;
  await db.insertInto('llm_settings').values(row).onConflict((oc) => oc.column('org_id').doUpdateSet(rest)).execute();
}

export async function insertThread(db: Db, row: Insertable<AnswerThreadTable>): Promise<void> {
  await db.insertInto('answer_thread').values(row).execute();
}

export async function findThread(db: Db, orgId: string, userId: string, id: string) {
  return db.selectFrom('answer_thread').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
}

export async function touchThread(db: Db, orgId: string, id: string, now: string): Promise<void> {
  await db.updateTable('answer_thread').set({ updated_at: now }).where('org_id', '=', orgId).where('id', '=', id).execute();
}

export async function listThreads(db: Db, orgId: string, userId: string, limit: number) {
  return db.selectFrom('answer_thread').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).orderBy('updated_at', 'desc').orderBy('id').limit(limit).execute();
}

export async function deleteThread(db: Db, orgId: string, userId: string, id: string): Promise<number> {
  const r = await db.deleteFrom('answer_thread').where('org_id', '=', orgId).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function insertMessage(db: Db, row: Insertable<AnswerMessageTable>): Promise<void> {
  await db.insertInto('answer_message').values(row).execute();
}

export async function listMessages(db: Db, orgId: string, threadId: string) {
  return db.selectFrom('answer_message').selectAll().where('org_id', '=', orgId).where('thread_id', '=', threadId).orderBy('created_at').orderBy('id').execute();
}

export async function findMessage(db: Db, orgId: string, userId: string, id: string) {
  return db.selectFrom('answer_message').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
}

export async function saveFeedback(db: Db, row: { message_id: string; user_id: string; org_id: string; rating: number; comment: string | null; created_at: string }): Promise<void> {
  await db
    .insertInto('answer_feedback')
    .values(row)
    .onConflict((oc) => oc.columns(['message_id', 'user_id']).doUpdateSet({ rating: row.rating, comment: row.comment, created_at: row.created_at }))
    .execute();
}

export async function feedbackOf(db: Db, orgId: string, messageIds: string[]) {
  if (!messageIds.length) return [];
  return db.selectFrom('answer_feedback').selectAll().where('org_id', '=', orgId).where('message_id', 'in', messageIds).execute();
}

/** Questions a user asked since `since` (rate limit). */
export async function countQuestionsSince(db: Db, orgId: string, userId: string, since: string): Promise<number> {
  const r = await db.selectFrom('answer_message').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).where('user_id', '=', userId).where('created_at', '>=', since).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Tokens used since `since`, for the organization and for one user. */
export async function tokensSince(db: Db, orgId: string, since: string, userId?: string): Promise<{ prompt: number; completion: number }> {
  let q = db
    .selectFrom('answer_message')
    .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('prompt_tokens'), eb.lit(0)).as('prompt'), eb.fn.coalesce(eb.fn.sum<number>('completion_tokens'), eb.lit(0)).as('completion')])
    .where('org_id', '=', orgId)
    .where('created_at', '>=', since);
  if (userId) q = q.where('user_id', '=', userId);
  const r = await q.executeTakeFirstOrThrow();
  return { prompt: Number(r.prompt), completion: Number(r.completion) };
}

export async function findCached(db: Db, orgId: string, key: string, version: number) {
  return db.selectFrom('answer_cache').select('result').where('org_id', '=', orgId).where('key', '=', key).where('content_version', '=', version).executeTakeFirst();
}

export async function saveCached(db: Db, row: { key: string; org_id: string; content_version: number; result: string; created_at: string }): Promise<void> {
  await db
    .insertInto('answer_cache')
    .values(row)
    .onConflict((oc) => oc.column('key').doUpdateSet({ content_version: row.content_version, result: row.result, created_at: row.created_at }))
    .execute();
  // Entries of older content versions can never match again.
  await db.deleteFrom('answer_cache').where('org_id', '=', row.org_id).where('content_version', '<', row.content_version).execute();
}
