import type { Db } from '../../../platform/db/db';

/** The source a directory sync writes into `member.deactivated` events, to know later which deactivations are its own. */
export const SYNC_SOURCE = 'ldap_sync';

/**
 * Whether the member's current deactivation was made by the directory sync: the newest
 * deactivation or reactivation event for them in the organization is a deactivation with
 * source `ldap_sync`. A member an administrator or SCIM turned off is left off.
 */
export async function deactivatedBySync(db: Db, orgId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('audit_event')
    .select(['action', 'data'])
    .where('org_id', '=', orgId)
    .where('target_type', '=', 'user')
    .where('target_id', '=', userId)
    .where('action', 'in', ['member.deactivated', 'member.reactivated'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row || row.action !== 'member.deactivated' || !row.data) return false;
  try {
    return (JSON.parse(row.data) as { source?: unknown }).source === SYNC_SOURCE;
  } catch {
    return false;
  }
}
