import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../../../platform/db/db';
import type { DB, ScimToken } from '../../../platform/db/schema';
import type { Filter } from './scim.filter';

// ---------------------------------------------------------------- tokens

export async function insertScimToken(db: Db, row: ScimToken): Promise<void> {
  await db.insertInto('scim_token').values(row).execute();
}

export async function findScimTokenByHash(db: Db, hash: string): Promise<ScimToken | undefined> {
  return db.selectFrom('scim_token').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

/** The organization's tokens that still work, newest first. */
export async function listScimTokens(db: Db, orgId: string): Promise<ScimToken[]> {
  return db.selectFrom('scim_token').selectAll().where('org_id', '=', orgId).where('revoked_at', 'is', null).orderBy('created_at', 'desc').execute();
}

/** Revokes a token of the organization; 0 when there is no such active token. */
export async function revokeScimToken(db: Db, orgId: string, id: string, at: string): Promise<number> {
  const r = await db.updateTable('scim_token').set({ revoked_at: at }).where('org_id', '=', orgId).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function touchScimToken(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('scim_token').set({ last_used_at: at }).where('id', '=', id).execute();
}

// ---------------------------------------------------------------- users

const MEMBER_COLUMNS = [
  'org_member.user_id',
  'org_member.role',
  'org_member.created_at',
  'org_member.deactivated_at',
  'org_member.external_id',
  'org_member.scim_profile',
  'user.email',
  'user.name',
  'user.updated_at',
] as const;

type MemberEb = ExpressionBuilder<DB, 'org_member' | 'user'>;

const NOTHING = sql<SqlBool>`1 = 0`;

/** A validated filter (attributes checked by the service) as a condition on members. */
function memberCondition(eb: MemberEb, f: Filter): Expression<SqlBool> {
  if (f.op !== 'eq') return eb[f.op]([memberCondition(eb, f.left), memberCondition(eb, f.right)]);
  const v = f.value;
  switch (f.attr) {
    case 'username':
    case 'emails.value':
      // Emails are stored trimmed and lower-cased; userName is not case-sensitive (RFC 7643 §4.1.1).
      return typeof v === 'string' ? eb('user.email', '=', v.trim().toLowerCase()) : NOTHING;
    case 'externalid':
      return typeof v === 'string' ? eb('org_member.external_id', '=', v) : eb('org_member.external_id', 'is', null);
    case 'id':
      return typeof v === 'string' ? eb('org_member.user_id', '=', v) : NOTHING;
    case 'active':
      return v === true ? eb('org_member.deactivated_at', 'is', null) : v === false ? eb('org_member.deactivated_at', 'is not', null) : NOTHING;
    default:
      return NOTHING;
  }
}

function membersQuery(db: Db, orgId: string, filter?: Filter) {
  let q = db
    .selectFrom('org_member')
    .innerJoin('user', 'user.id', 'org_member.user_id')
    .where('org_member.org_id', '=', orgId)
    .where('org_member.scim_deleted_at', 'is', null);
  if (filter) q = q.where((eb) => memberCondition(eb, filter));
  return q;
}

export type ScimMemberRow = Awaited<ReturnType<typeof findScimMember>> & {};

/** Members the provisioning client can see (all but those it deleted), a page of them and the total. */
export async function listScimMembers(db: Db, orgId: string, filter: Filter | undefined, offset: number, limit: number) {
  const total = await membersQuery(db, orgId, filter).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = limit > 0
    ? await membersQuery(db, orgId, filter).select(MEMBER_COLUMNS).orderBy('org_member.created_at').orderBy('org_member.user_id').offset(offset).limit(limit).execute()
    : [];
  return { total: Number(total.n), rows };
}

/** One member as SCIM sees it (not deleted by the client). */
export async function findScimMember(db: Db, orgId: string, userId: string) {
  return membersQuery(db, orgId).select(MEMBER_COLUMNS).where('org_member.user_id', '=', userId).executeTakeFirst();
}

export async function updateScimMember(
  db: Db,
  orgId: string,
  userId: string,
  patch: { external_id?: string | null; scim_profile?: string | null; scim_deleted_at?: string | null },
): Promise<void> {
  await db.updateTable('org_member').set(patch).where('org_id', '=', orgId).where('user_id', '=', userId).execute();
}

/** Of `userIds`, those who are members the provisioning client can see. */
export async function existingScimMemberIds(db: Db, orgId: string, userIds: string[]): Promise<Set<string>> {
  if (!userIds.length) return new Set();
  const found = new Set<string>();
  // Chunked so a large group never exceeds a driver's parameter limit.
  for (let i = 0; i < userIds.length; i += 500) {
    const rows = await db
      .selectFrom('org_member')
      .select('user_id')
      .where('org_id', '=', orgId)
      .where('scim_deleted_at', 'is', null)
      .where('user_id', 'in', userIds.slice(i, i + 500))
      .execute();
    for (const r of rows) found.add(r.user_id);
  }
  return found;
}

/** Active owners of the organization other than `userId`. */
export async function countOtherActiveOwners(db: Db, orgId: string, userId: string): Promise<number> {
  const row = await db
    .selectFrom('org_member')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where('role', '=', 'owner')
    .where('deactivated_at', 'is', null)
    .where('user_id', '!=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Memberships of users in other organizations (any state). */
export async function countOtherMemberships(db: Db, userId: string, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('org_member')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('org_id', '!=', orgId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Teams of the given users in the organization. */
export async function teamsOfUsers(db: Db, orgId: string, userIds: string[]) {
  if (!userIds.length) return [];
  return db
    .selectFrom('team_member')
    .innerJoin('team', 'team.id', 'team_member.team_id')
    .select(['team_member.user_id', 'team.id', 'team.name'])
    .where('team_member.org_id', '=', orgId)
    .where('team_member.user_id', 'in', userIds)
    .orderBy('team.name')
    .execute();
}

// ---------------------------------------------------------------- groups

type TeamEb = ExpressionBuilder<DB, 'team'>;

function teamCondition(eb: TeamEb, f: Filter): Expression<SqlBool> {
  if (f.op !== 'eq') return eb[f.op]([teamCondition(eb, f.left), teamCondition(eb, f.right)]);
  const v = f.value;
  switch (f.attr) {
    case 'displayname':
      return typeof v === 'string' ? eb(eb.fn('lower', ['team.name']), '=', v.toLowerCase()) : NOTHING;
    case 'externalid':
      return typeof v === 'string' ? eb('team.external_id', '=', v) : eb('team.external_id', 'is', null);
    case 'id':
      return typeof v === 'string' ? eb('team.id', '=', v) : NOTHING;
    case 'members.value':
      return typeof v === 'string'
        ? eb.exists(eb.selectFrom('team_member').select('team_member.user_id').whereRef('team_member.team_id', '=', 'team.id').where('team_member.user_id', '=', v))
        : NOTHING;
    default:
      return NOTHING;
  }
}

function teamsQuery(db: Db, orgId: string, filter?: Filter) {
  let q = db.selectFrom('team').where('team.org_id', '=', orgId);
  if (filter) q = q.where((eb) => teamCondition(eb, filter));
  return q;
}

/** Teams of the organization matching a filter, a page of them and the total. */
export async function listScimTeams(db: Db, orgId: string, filter: Filter | undefined, offset: number, limit: number) {
  const total = await teamsQuery(db, orgId, filter).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = limit > 0 ? await teamsQuery(db, orgId, filter).selectAll('team').orderBy('team.created_at').orderBy('team.id').offset(offset).limit(limit).execute() : [];
  return { total: Number(total.n), rows };
}

/** A team of the organization with this name, compared without regard to case. */
export async function findTeamByName(db: Db, orgId: string, name: string) {
  return db.selectFrom('team').selectAll().where('org_id', '=', orgId).where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase())).executeTakeFirst();
}

export async function updateTeamScim(db: Db, orgId: string, id: string, patch: { name?: string; external_id?: string | null }): Promise<void> {
  await db.updateTable('team').set(patch).where('org_id', '=', orgId).where('id', '=', id).execute();
}

/** Members of the given teams with their emails, for the Group resources. */
export async function membersOfTeams(db: Db, orgId: string, teamIds: string[]) {
  if (!teamIds.length) return [];
  return db
    .selectFrom('team_member')
    .innerJoin('user', 'user.id', 'team_member.user_id')
    .select(['team_member.team_id', 'team_member.user_id', 'user.email'])
    .where('team_member.org_id', '=', orgId)
    .where('team_member.team_id', 'in', teamIds)
    .orderBy('team_member.created_at')
    .execute();
}

export async function isTeamMember(db: Db, orgId: string, teamId: string, userId: string): Promise<boolean> {
  return !!(await db.selectFrom('team_member').select('user_id').where('org_id', '=', orgId).where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst());
}

/** Names of the teams a user belongs to in the organization. */
export async function teamNamesOfUser(db: Db, orgId: string, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('team_member')
    .innerJoin('team', 'team.id', 'team_member.team_id')
    .select('team.name')
    .where('team_member.org_id', '=', orgId)
    .where('team_member.user_id', '=', userId)
    .execute();
  return rows.map((r) => r.name);
}

/** Removes the user from every team of the organization; returns the team ids left. */
export async function removeFromAllTeams(db: Db, orgId: string, userId: string): Promise<string[]> {
  const rows = await db.deleteFrom('team_member').where('org_id', '=', orgId).where('user_id', '=', userId).returning('team_id').execute();
  return rows.map((r) => r.team_id);
}
