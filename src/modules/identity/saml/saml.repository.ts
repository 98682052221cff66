import type { Db } from '../../../platform/db/db';

/**
 * Remembers a SAML assertion until it expires. Returns false when the same key was already
 * recorded: the insert itself is the check, so two simultaneous posts of one assertion
 * cannot both pass.
 */
export async function rememberAssertion(db: Db, row: { id: string; org_id: string; expires_at: string }): Promise<boolean> {
  const r = await db.insertInto('saml_assertion_seen').values(row).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Whether an assertion key was seen and has not yet expired. */
export async function wasAssertionSeen(db: Db, id: string, now: string): Promise<boolean> {
  const row = await db.selectFrom('saml_assertion_seen').select('id').where('id', '=', id).where('expires_at', '>', now).executeTakeFirst();
  return !!row;
}

/**
 * Sets only the organization's `sso_only` (creating the policy row with its defaults when
 * there is none), leaving the rest of the security policy alone.
 */
export async function setSsoOnly(db: Db, orgId: string, value: string | null, now: string): Promise<void> {
  await db
    .insertInto('org_security_policy')
    .values({
      org_id: orgId,
      mfa_required: 'off',
      idle_timeout_minutes: null,
      absolute_lifetime_hours: null,
      max_sessions: null,
      ip_allowlist: null,
      sso_only: value,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('org_id').doUpdateSet({ sso_only: value, updated_at: now }))
    .execute();
}

export async function findSsoOnly(db: Db, orgId: string): Promise<string | null> {
  const row = await db.selectFrom('org_security_policy').select('sso_only').where('org_id', '=', orgId).executeTakeFirst();
  return row?.sso_only ?? null;
}
