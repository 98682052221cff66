import type { Db } from '../../platform/db/db';
import type { Insertable } from 'kysely';
import type { Team, TeamTable } from '../../platform/db/schema';

export async function insertTeam(db: Db, t: Insertable<TeamTable>): Promise<void> {
  await db.insertInto('team').values(t).execute();
}

export async function findTeam(db: Db, orgId: string, id: string): Promise<Team | undefined> {
  return db.selectFrom('team').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
}

/** All teams of the organization with their member counts, by name. */
export async function listTeams(db: Db, orgId: string) {
  return db
    .selectFrom('team')
    .leftJoin('team_member', 'team_member.team_id', 'team.id')
    .select(['team.id', 'team.name', 'team.parent_id', 'team.created_at'])
    .select((eb) => eb.fn.count<number>('team_member.user_id').as('member_count'))
    .where('team.org_id', '=', orgId)
    .groupBy(['team.id', 'team.name', 'team.parent_id', 'team.created_at'])
    .orderBy('team.name')
    .execute();
}

export async function updateTeam(db: Db, orgId: string, id: string, patch: { name?: string; parent_id?: string | null }): Promise<void> {
  await db.updateTable('team').set(patch).where('org_id', '=', orgId).where('id', '=', id).execute();
}

export async function deleteTeam(db: Db, orgId: string, id: string): Promise<void> {
  await db.deleteFrom('team').where('org_id', '=', orgId).where('id', '=', id).execute();
}

export async function listTeamMembers(db: Db, orgId: string, teamId: string) {
  return db
    .selectFrom('team_member')
    .innerJoin('user', 'user.id', 'team_member.user_id')
    .select(['user.id as user_id', 'user.email', 'user.name', 'team_member.created_at'])
    .where('team_member.org_id', '=', orgId)
    .where('team_member.team_id', '=', teamId)
    .orderBy('user.name')
    .execute();
}

export async function insertTeamMember(db: Db, m: { org_id: string; team_id: string; user_id: string; created_at: string }): Promise<void> {
  await db.insertInto('team_member').values(m).onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing()).execute();
}

export async function deleteTeamMember(db: Db, orgId: string, teamId: string, userId: string): Promise<number> {
  const r = await db.deleteFrom('team_member').where('org_id', '=', orgId).where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}
