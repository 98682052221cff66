import type { Db } from '../../../platform/db/db';
import type { Team } from '../../../platform/db/schema';
import { newId } from '../../../shared/ids';
import { deleteTeam, deleteTeamMember, findTeam, insertTeam, insertTeamMember } from '../../teams/team.repository';
import { audit, type ListParams, listArgs, listResponse, notFound, type Resource, type ScimCall, syncMappedAccess } from './scim.common';
import { type GroupState, patchGroup, readGroup, readPatch } from './scim.patch';
import { scimError, URN } from './scim.protocol';
import * as repo from './scim.repository';

// SCIM Groups: the organization's teams (POST, GET, PUT, PATCH, DELETE).

const GROUP_FILTERS = new Set(['displayname', 'externalid', 'id', 'members.value']);

// ---------------------------------------------------------------- groups

async function presentGroups(call: ScimCall, teams: Team[], withMembers: boolean): Promise<Resource[]> {
  const members = withMembers ? await repo.membersOfTeams(call.ctx.db, call.org.id, teams.map((t) => t.id)) : [];
  return teams.map((t) => ({
    schemas: [URN.group],
    id: t.id,
    ...(t.external_id ? { externalId: t.external_id } : {}),
    displayName: t.name,
    ...(withMembers
      ? { members: members.filter((m) => m.team_id === t.id).map((m) => ({ value: m.user_id, display: m.email, $ref: `${call.base}/Users/${m.user_id}` })) }
      : {}),
    meta: { resourceType: 'Group', created: t.created_at, lastModified: t.created_at, location: `${call.base}/Groups/${t.id}` },
  }));
}

async function loadTeam(call: ScimCall, db: Db, id: string): Promise<Team> {
  const team = await findTeam(db, call.org.id, id);
  if (!team) throw notFound('Group', id);
  return team;
}

export async function listGroups(call: ScimCall, p: ListParams, withMembers: boolean) {
  const { filter, startIndex, count } = listArgs(p, GROUP_FILTERS, 'displayName, externalId, id or members.value');
  const { total, rows } = await repo.listScimTeams(call.ctx.db, call.org.id, filter, startIndex - 1, count);
  return listResponse(total, startIndex, await presentGroups(call, rows, withMembers));
}

export async function getGroup(call: ScimCall, id: string, withMembers = true): Promise<Resource> {
  return (await presentGroups(call, [await loadTeam(call, call.ctx.db, id)], withMembers))[0];
}

async function assertNameFree(call: ScimCall, db: Db, name: string, selfId?: string) {
  const other = await repo.findTeamByName(db, call.org.id, name);
  if (other && other.id !== selfId) throw scimError('uniqueness', 'A group with this displayName already exists in this organization.', 'conflict');
}

async function assertMembers(call: ScimCall, db: Db, ids: string[]) {
  const found = await repo.existingScimMemberIds(db, call.org.id, ids);
  const missing = ids.filter((i) => !found.has(i));
  if (missing.length) {
    throw scimError('invalidValue', `No user of this organization has the id ${missing.slice(0, 5).map((m) => m.slice(0, 64)).join(', ')}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''}.`);
  }
}

/** POST /Groups: a new top-level team. */
export async function createGroup(call: ScimCall, body: unknown): Promise<Resource> {
  const s = readGroup(body);
  const { ctx, org } = call;
  const id = newId();
  await ctx.db.transaction().execute(async (trx) => {
    await assertNameFree(call, trx, s.displayName);
    await assertMembers(call, trx, s.members);
    const team = { id, org_id: org.id, parent_id: null, name: s.displayName, external_id: s.externalId, created_at: ctx.clock.now().toISOString() };
    await insertTeam(trx, team);
    await audit(call, trx, 'team.created', 'team', id, { name: s.displayName });
    await applyGroupState(call, trx, team, { displayName: s.displayName, externalId: s.externalId, members: [] }, s);
  });
  return getGroup(call, id);
}

/** PUT /Groups/:id. */
export async function replaceGroup(call: ScimCall, id: string, body: unknown): Promise<Resource> {
  const s = readGroup(body);
  await updateGroupWith(call, id, () => s);
  return getGroup(call, id);
}

/** PATCH /Groups/:id. */
export async function patchGroupResource(call: ScimCall, id: string, body: unknown): Promise<void> {
  const ops = readPatch(body);
  await updateGroupWith(call, id, (cur) => patchGroup(cur, ops));
}

async function updateGroupWith(call: ScimCall, id: string, change: (cur: GroupState) => GroupState): Promise<void> {
  await call.ctx.db.transaction().execute(async (trx) => {
    const team = await loadTeam(call, trx, id);
    const members = (await repo.membersOfTeams(trx, call.org.id, [id])).map((m) => m.user_id);
    const cur: GroupState = { displayName: team.name, externalId: team.external_id, members };
    await applyGroupState(call, trx, team, cur, change(cur));
  });
}

async function applyGroupState(call: ScimCall, db: Db, team: Team, cur: GroupState, next: GroupState): Promise<void> {
  const orgId = call.org.id;
  const renamed = next.displayName !== cur.displayName;
  if (renamed) await assertNameFree(call, db, next.displayName, team.id);
  if (renamed || next.externalId !== cur.externalId) {
    await repo.updateTeamScim(db, orgId, team.id, { name: next.displayName, external_id: next.externalId });
    if (renamed) await audit(call, db, 'team.updated', 'team', team.id, { name: next.displayName, from: cur.displayName });
  }
  const before = new Set(cur.members);
  const after = new Set(next.members);
  const added = [...after].filter((u) => !before.has(u));
  const removed = [...before].filter((u) => !after.has(u));
  await assertMembers(call, db, added);
  const now = call.ctx.clock.now().toISOString();
  for (const userId of added) {
    await insertTeamMember(db, { org_id: orgId, team_id: team.id, user_id: userId, created_at: now });
    await audit(call, db, 'team.member_added', 'team', team.id, { userId });
  }
  for (const userId of removed) {
    await deleteTeamMember(db, orgId, team.id, userId);
    await audit(call, db, 'team.member_removed', 'team', team.id, { userId });
  }
  // A rename changes which mappings every member's groups match.
  const names = renamed ? [cur.displayName, next.displayName] : [next.displayName];
  for (const userId of renamed ? new Set([...after, ...removed]) : [...added, ...removed]) await syncMappedAccess(call, db, userId, names);
}

/** DELETE /Groups/:id: the team is deleted (with teams nested in it); mapped access of its members follows. */
export async function deleteGroup(call: ScimCall, id: string): Promise<void> {
  await call.ctx.db.transaction().execute(async (trx) => {
    const team = await loadTeam(call, trx, id);
    const members = (await repo.membersOfTeams(trx, call.org.id, [id])).map((m) => m.user_id);
    await deleteTeam(trx, call.org.id, id);
    await audit(call, trx, 'team.deleted', 'team', id, { name: team.name });
    for (const userId of members) await syncMappedAccess(call, trx, userId, [team.name]);
  });
}

