import type { Insertable } from 'kysely';
import type { Db } from '../../platform/db/db';
import type {
  ExternalIdentityTable,
  GroupMapping,
  IdentityProvider,
  IdentityProviderKind,
  IdentityProviderTable,
  OrgSecurityPolicy,
} from '../../platform/db/schema';

export async function findProvider(db: Db, orgId: string, kind: IdentityProviderKind): Promise<IdentityProvider | undefined> {
  return db.selectFrom('identity_provider').selectAll().where('org_id', '=', orgId).where('kind', '=', kind).executeTakeFirst();
}

export async function listProviders(db: Db, orgId: string): Promise<IdentityProvider[]> {
  return db.selectFrom('identity_provider').selectAll().where('org_id', '=', orgId).orderBy('kind').execute();
}

/** Every enabled provider of a kind, across organizations (for scheduled directory sync). */
export async function listEnabledProviders(db: Db, kind: IdentityProviderKind): Promise<IdentityProvider[]> {
  return db.selectFrom('identity_provider').selectAll().where('kind', '=', kind).where('enabled', '=', 1).execute();
}

export async function upsertProvider(db: Db, row: Insertable<IdentityProviderTable>): Promise<void> {
  await db
    .insertInto('identity_provider')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['org_id', 'kind']).doUpdateSet({ enabled: row.enabled, settings: row.settings, secret: row.secret, updated_at: row.updated_at }),
    )
    .execute();
}

export async function setProviderSync(db: Db, id: string, at: string, result: string): Promise<void> {
  await db.updateTable('identity_provider').set({ last_sync_at: at, last_sync_result: result }).where('id', '=', id).execute();
}

export async function findExternalIdentity(db: Db, orgId: string, kind: IdentityProviderKind, subject: string) {
  return db
    .selectFrom('external_identity')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('kind', '=', kind)
    .where('subject', '=', subject)
    .executeTakeFirst();
}

/** Whether the organization's provider of `kind` has vouched for the user. */
export async function hasExternalIdentity(db: Db, orgId: string, kind: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('external_identity')
    .select('id')
    .where('org_id', '=', orgId)
    .where('kind', '=', kind as IdentityProviderKind)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return !!row;
}

export async function listExternalIdentities(db: Db, orgId: string, kind: IdentityProviderKind) {
  return db.selectFrom('external_identity').selectAll().where('org_id', '=', orgId).where('kind', '=', kind).execute();
}

export async function insertExternalIdentity(db: Db, row: Insertable<ExternalIdentityTable>): Promise<void> {
  await db.insertInto('external_identity').values(row).execute();
}

export async function updateExternalIdentity(db: Db, id: string, patch: { groups?: string | null; last_login_at?: string }): Promise<void> {
  await db.updateTable('external_identity').set(patch).where('id', '=', id).execute();
}

export async function listGroupMappings(db: Db, orgId: string): Promise<GroupMapping[]> {
  return db.selectFrom('group_mapping').selectAll().where('org_id', '=', orgId).orderBy('group_name').orderBy('created_at').execute();
}

export async function insertGroupMapping(db: Db, row: GroupMapping): Promise<void> {
  await db.insertInto('group_mapping').values(row).execute();
}

export async function deleteGroupMapping(db: Db, orgId: string, id: string): Promise<number> {
  const r = await db.deleteFrom('group_mapping').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function insertFlow(db: Db, row: { id: string; org_id: string | null; kind: string; data: string; created_at: string; expires_at: string }) {
  await db.insertInto('auth_flow').values(row).execute();
}

/** Removes and returns a flow: each flow is used at most once. */
export async function takeFlow(db: Db, id: string, kind: string) {
  return db.deleteFrom('auth_flow').where('id', '=', id).where('kind', '=', kind).returningAll().executeTakeFirst();
}

export async function findFlow(db: Db, id: string, kind: string) {
  return db.selectFrom('auth_flow').selectAll().where('id', '=', id).where('kind', '=', kind).executeTakeFirst();
}

export async function updateFlowData(db: Db, id: string, data: string) {
  await db.updateTable('auth_flow').set({ data }).where('id', '=', id).execute();
}

export async function deleteExpiredFlows(db: Db, now: string): Promise<void> {
  await db.deleteFrom('auth_flow').where('expires_at', '<=', now).execute();
  await db.deleteFrom('saml_assertion_seen').where('expires_at', '<=', now).execute();
}

export async function findSecurityPolicy(db: Db, orgId: string): Promise<OrgSecurityPolicy | undefined> {
  return db.selectFrom('org_security_policy').selectAll().where('org_id', '=', orgId).executeTakeFirst();
}

export async function upsertSecurityPolicy(db: Db, row: OrgSecurityPolicy): Promise<void> {
  const { org_id: _org, ...rest } = row;
  await db
    .insertInto('org_security_policy')
    .values(row)
    .onConflict((oc) => oc.column('org_id').doUpdateSet(rest))
    .execute();
}

/** The membership row whatever its state (deactivated included). */
export async function findMemberAnyState(db: Db, orgId: string, userId: string) {
  return db.selectFrom('org_member').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
}

export async function setMemberDeactivated(db: Db, orgId: string, userId: string, at: string | null): Promise<void> {
  await db.updateTable('org_member').set({ deactivated_at: at }).where('org_id', '=', orgId).where('user_id', '=', userId).execute();
}

/** Active memberships the user holds in organizations other than `orgId`. */
export async function countOtherActiveMemberships(db: Db, userId: string, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('org_member')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('org_id', '!=', orgId)
    .where('deactivated_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
