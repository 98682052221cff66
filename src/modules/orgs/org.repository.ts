import type { Db } from '../../platform/db/db';
import type { Insertable } from 'kysely';
import type { Org, OrgMember, OrgMemberTable, Role } from '../../platform/db/schema';

export async function countOrgs(db: Db): Promise<number> {
  const row = await db.selectFrom('org').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Every organization's id and slug, oldest first. */
export async function listAllOrgs(db: Db) {
  return db.selectFrom('org').select(['id', 'slug']).orderBy('created_at').execute();
}

/** The organization's longest-standing active owner. */
export async function findOldestActiveOwner(db: Db, orgId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('org_member')
    .innerJoin('user', 'user.id', 'org_member.user_id')
    .select('org_member.user_id')
    .where('org_member.org_id', '=', orgId)
    .where('org_member.role', '=', 'owner')
    .where('user.is_active', '=', 1)
    .orderBy('org_member.created_at')
    .orderBy('org_member.user_id')
    .executeTakeFirst();
  return row?.user_id;
}

export async function insertOrg(db: Db, org: Org): Promise<void> {
  await db.insertInto('org').values(org).execute();
}

export async function findOrgBySlugOrId(db: Db, ref: string): Promise<Org | undefined> {
  return db
    .selectFrom('org')
    .selectAll()
    .where((eb) => eb.or([eb('slug', '=', ref), eb('id', '=', ref)]))
    .executeTakeFirst();
}

export async function slugExists(db: Db, slug: string): Promise<boolean> {
  return !!(await db.selectFrom('org').select('id').where('slug', '=', slug).executeTakeFirst());
}

export async function updateOrg(db: Db, orgId: string, patch: { name?: string; updated_at: string }): Promise<void> {
  await db.updateTable('org').set(patch).where('id', '=', orgId).execute();
}

/** The organizations a user belongs to, with the user's role in each, by name. */
export async function listOrgsOfUser(db: Db, userId: string) {
  return db
    .selectFrom('org_member')
    .innerJoin('org', 'org.id', 'org_member.org_id')
    .selectAll('org')
    .select('org_member.role')
    .where('org_member.user_id', '=', userId)
    .where('org_member.deactivated_at', 'is', null)
    .orderBy('org.name')
    .execute();
}

export async function insertMember(db: Db, m: Insertable<OrgMemberTable>): Promise<void> {
  await db.insertInto('org_member').values(m).execute();
}

/** The user's membership of the organization, unless an identity provider or SCIM deactivated it. */
export async function findMember(db: Db, orgId: string, userId: string): Promise<OrgMember | undefined> {
  return db
    .selectFrom('org_member')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .where('deactivated_at', 'is', null)
    .executeTakeFirst();
}

/** Members with their account details, by name. */
export async function listMembers(db: Db, orgId: string) {
  return db
    .selectFrom('org_member')
    .innerJoin('user', 'user.id', 'org_member.user_id')
    .select(['org_member.user_id', 'org_member.role', 'org_member.created_at', 'org_member.deactivated_at', 'user.email', 'user.name', 'user.is_active', 'user.last_login_at'])
    .where('org_member.org_id', '=', orgId)
    .orderBy('user.name')
    .orderBy('user.email')
    .execute();
}

export async function updateMemberRole(db: Db, orgId: string, userId: string, role: Role): Promise<void> {
  await db.updateTable('org_member').set({ role }).where('org_id', '=', orgId).where('user_id', '=', userId).execute();
}

export async function deleteMember(db: Db, orgId: string, userId: string): Promise<void> {
  await db.deleteFrom('team_member').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
  await db.deleteFrom('org_member').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
}

export async function countOwners(db: Db, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('org_member')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
