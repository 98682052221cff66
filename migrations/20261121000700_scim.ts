import type { Kysely } from 'kysely';

// Frozen in time: this file must not import application code.

/**
 * SCIM provisioning: the name parts a provisioning client sent for a member (so they are
 * returned as sent: Folio keeps one display name per account), and when the client deleted
 * the member (kept deactivated, but answered 404 to SCIM from then on, as RFC 7644 asks).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('org_member').addColumn('scim_profile', 'text').execute();
  await db.schema.alterTable('org_member').addColumn('scim_deleted_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('org_member').dropColumn('scim_deleted_at').execute();
  await db.schema.alterTable('org_member').dropColumn('scim_profile').execute();
}
