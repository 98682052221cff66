import { type Kysely, sql } from 'kysely';

// Frozen in time: this file must not import application code.

/**
 * Enterprise sign-in: per-organization identity providers (LDAP, SAML, OIDC) with their
 * secrets encrypted, the external identities they vouch for, directory groups mapped to
 * teams and roles, short-lived sign-in flows (OIDC state, SAML requests, MFA challenges),
 * seen SAML assertions (replay), TOTP factors and recovery codes, the organization's
 * security policy (MFA, sessions, IP allowlist), SCIM tokens, and how each session was made.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('identity_provider')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('ldap', 'saml', 'oidc')`))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('last_sync_at', 'text')
    .addColumn('last_sync_result', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('identity_provider_org_kind_uq', ['org_id', 'kind'])
    .execute();

  await db.schema
    .createTable('external_identity')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('groups', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_login_at', 'text')
    .addUniqueConstraint('external_identity_subject_uq', ['org_id', 'kind', 'subject'])
    .execute();
  await db.schema.createIndex('external_identity_user_idx').on('external_identity').columns(['user_id']).execute();

  await db.schema
    .createTable('group_mapping')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('group_name', 'text', (c) => c.notNull())
    .addColumn('team_id', 'text', (c) => c.references('team.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.check(sql`role is null or role in ('owner', 'admin', 'member', 'viewer')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('group_mapping_org_idx').on('group_mapping').columns(['org_id', 'group_name']).execute();

  await db.schema
    .createTable('auth_flow')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.references('org.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('auth_flow_expires_idx').on('auth_flow').columns(['expires_at']).execute();

  await db.schema
    .createTable('saml_assertion_seen')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('mfa_totp')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('user.id').onDelete('cascade'))
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .addColumn('last_step', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('mfa_recovery_code')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mfa_recovery_code_user_idx').on('mfa_recovery_code').columns(['user_id']).execute();

  await db.schema
    .createTable('org_security_policy')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('org.id').onDelete('cascade'))
    .addColumn('mfa_required', 'text', (c) => c.notNull().defaultTo('off').check(sql`mfa_required in ('off', 'admins', 'all')`))
    .addColumn('idle_timeout_minutes', 'integer')
    .addColumn('absolute_lifetime_hours', 'integer')
    .addColumn('max_sessions', 'integer')
    .addColumn('ip_allowlist', 'text')
    .addColumn('sso_only', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('scim_token')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();

  // How a session was made (password, ldap, saml, oidc), for which organization's provider,
  // and when its second factor was checked; org policies read these.
  await db.schema.alterTable('session').addColumn('method', 'text', (c) => c.notNull().defaultTo('password')).execute();
  await db.schema.alterTable('session').addColumn('org_id', 'text').execute();
  await db.schema.alterTable('session').addColumn('mfa_at', 'text').execute();
  // A member an identity provider or SCIM turned off keeps their data but cannot enter the organization.
  await db.schema.alterTable('org_member').addColumn('deactivated_at', 'text').execute();
  // SCIM's externalId and userName, per organization, for the provisioning client's lookups.
  await db.schema.alterTable('org_member').addColumn('external_id', 'text').execute();
  await db.schema.alterTable('team').addColumn('external_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('team').dropColumn('external_id').execute();
  await db.schema.alterTable('org_member').dropColumn('external_id').execute();
  await db.schema.alterTable('org_member').dropColumn('deactivated_at').execute();
  await db.schema.alterTable('session').dropColumn('mfa_at').execute();
  await db.schema.alterTable('session').dropColumn('org_id').execute();
  await db.schema.alterTable('session').dropColumn('method').execute();
  for (const t of ['scim_token', 'org_security_policy', 'mfa_recovery_code', 'mfa_totp', 'saml_assertion_seen', 'auth_flow', 'group_mapping', 'external_identity', 'identity_provider']) {
    await db.schema.dropTable(t).execute();
  }
}
