import { rank } from '../../../authz';
import type { Db } from '../../../platform/db/db';
import { isUniqueViolation } from '../../../platform/db/errors';
import type { Org, Role, Team } from '../../../platform/db/schema';
import type { Ctx } from '../../../shared/context';
import { newId } from '../../../shared/ids';
import { recordAudit } from '../../audit/audit.service';
import { insertMember, updateMemberRole } from '../../orgs/org.repository';
import { deleteTeam, deleteTeamMember, findTeam, insertTeam, insertTeamMember } from '../../teams/team.repository';
import { findUserByEmail, insertUser, normalizeEmail, updateUser } from '../../users/user.repository';
import { findMemberAnyState, listGroupMappings } from '../identity.repository';
import { deactivateMember, reactivateMember } from '../provision';
import { type Filter, FilterError, filterAttributes, parseFilter } from './scim.filter';
import { type GroupState, patchGroup, patchUser, readGroup, readPatch, readUser, type UserState } from './scim.patch';
import { MAX_RESULTS, scimError, URN } from './scim.protocol';
import * as repo from './scim.repository';

/** Who is provisioning: the organization of the URL, the token used, and the endpoint's base URL. */
export interface ScimCall {
  ctx: Ctx;
  org: Org;
  tokenId: string;
  /** `https://host/scim/v2/<slug>`, for `meta.location`. */
  base: string;
}

export interface ListParams {
  filter?: string;
  startIndex?: string;
  count?: string;
}

type Resource = Record<string, unknown>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const USER_FILTERS = new Set(['username', 'externalid', 'emails.value', 'id', 'active']);
const GROUP_FILTERS = new Set(['displayname', 'externalid', 'id', 'members.value']);
const DEFAULT_COUNT = 100;

/** Parses and checks a list request's filter and paging (RFC 7644 §3.4.2). */
function listArgs(p: ListParams, allowed: Set<string>, names: string) {
  let filter: Filter | undefined;
  if (p.filter !== undefined && p.filter.trim()) {
    try {
      filter = parseFilter(p.filter);
    } catch (err) {
      if (err instanceof FilterError) throw scimError('invalidFilter', err.message);
      throw err;
    }
    const bad = filterAttributes(filter).find((a) => !allowed.has(a));
    if (bad) throw scimError('invalidFilter', `Filtering on ${bad} is not supported; filter on ${names}.`);
  }
  const int = (v: string | undefined, what: string, fallback: number) => {
    if (v === undefined || v === '') return fallback;
    if (!/^-?\d{1,9}$/.test(v.trim())) throw scimError('invalidValue', `${what} must be a whole number.`);
    return Number(v.trim());
  };
  const startIndex = Math.max(1, int(p.startIndex, 'startIndex', 1));
  const count = Math.min(MAX_RESULTS, Math.max(0, int(p.count, 'count', DEFAULT_COUNT)));
  return { filter, startIndex, count };
}

function listResponse(total: number, startIndex: number, resources: Resource[]) {
  return { schemas: [URN.list], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

const notFound = (what: 'User' | 'Group', id: string) => scimError('noTarget', `${what} ${id.slice(0, 64)} not found.`, 'not_found');

// ---------------------------------------------------------------- users

interface Profile {
  givenName?: string | null;
  familyName?: string | null;
  formatted?: string | null;
  displayName?: string | null;
  emails?: UserState['emails'];
}

function readProfile(text: string | null): Profile {
  if (!text) return {};
  try {
    return JSON.parse(text) as Profile;
  } catch {
    return {};
  }
}

type MemberRow = NonNullable<Awaited<ReturnType<typeof repo.findScimMember>>>;

function stateOf(row: MemberRow): UserState {
  const p = readProfile(row.scim_profile);
  return {
    userName: row.email,
    externalId: row.external_id,
    active: !row.deactivated_at,
    displayName: p.displayName ?? null,
    givenName: p.givenName ?? null,
    familyName: p.familyName ?? null,
    formatted: p.formatted ?? null,
    emails: p.emails ?? null,
  };
}

/** The one display name Folio keeps for an account, from what SCIM sent. */
function accountName(s: UserState): string {
  const parts = [s.givenName, s.familyName].filter(Boolean).join(' ');
  return (s.displayName || s.formatted || parts || s.userName.split('@')[0]).slice(0, 200);
}

function profileJson(s: UserState): string {
  const p: Profile = { givenName: s.givenName, familyName: s.familyName, formatted: s.formatted, displayName: s.displayName, emails: s.emails };
  return JSON.stringify(p);
}

function presentUser(base: string, row: MemberRow, teams: { id: string; name: string }[]): Resource {
  const p = readProfile(row.scim_profile);
  // Members that SCIM did not create have one name; offer it split, as clients expect both parts.
  const words = row.name.trim().split(/\s+/);
  const givenName = row.scim_profile ? p.givenName : words[0];
  const familyName = row.scim_profile ? p.familyName : words.slice(1).join(' ') || undefined;
  const name: Record<string, string> = { formatted: p.formatted ?? row.name };
  if (givenName) name.givenName = givenName;
  if (familyName) name.familyName = familyName;
  return {
    schemas: [URN.user],
    id: row.user_id,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    userName: row.email,
    name,
    displayName: p.displayName ?? row.name,
    emails: p.emails ?? [{ value: row.email, type: 'work', primary: true }],
    active: !row.deactivated_at,
    groups: teams.map((t) => ({ value: t.id, display: t.name, $ref: `${base}/Groups/${t.id}` })),
    meta: { resourceType: 'User', created: row.created_at, lastModified: row.updated_at, location: `${base}/Users/${row.user_id}` },
  };
}

async function presentUsers(call: ScimCall, rows: MemberRow[]): Promise<Resource[]> {
  const teams = await repo.teamsOfUsers(call.ctx.db, call.org.id, rows.map((r) => r.user_id));
  return rows.map((r) => presentUser(call.base, r, teams.filter((t) => t.user_id === r.user_id)));
}

async function loadUser(call: ScimCall, db: Db, id: string): Promise<MemberRow> {
  const row = await repo.findScimMember(db, call.org.id, id);
  if (!row) throw notFound('User', id);
  return row;
}

export async function listUsers(call: ScimCall, p: ListParams) {
  const { filter, startIndex, count } = listArgs(p, USER_FILTERS, 'userName, externalId, emails.value, id or active');
  const { total, rows } = await repo.listScimMembers(call.ctx.db, call.org.id, filter, startIndex - 1, count);
  return listResponse(total, startIndex, await presentUsers(call, rows));
}

export async function getUser(call: ScimCall, id: string): Promise<Resource> {
  return (await presentUsers(call, [await loadUser(call, call.ctx.db, id)]))[0];
}

function checkUserName(s: UserState): string {
  const email = normalizeEmail(s.userName);
  if (!EMAIL.test(email) || email.length > 320) throw scimError('invalidValue', 'userName must be the person\'s email address (it is what they sign in with).');
  return email;
}

function audit(call: ScimCall, db: Db, action: 'user.provisioned' | 'user.deprovisioned' | 'member.added' | 'member.role_changed' | 'team.created' | 'team.updated' | 'team.deleted' | 'team.member_added' | 'team.member_removed', targetType: string, targetId: string, data: Record<string, unknown>) {
  return recordAudit(db, call.ctx.clock, call.ctx.meta, { action, orgId: call.org.id, actorId: null, targetType, targetId, data: { ...data, source: 'scim', scimToken: call.tokenId } });
}

/**
 * POST /Users: creates the account and membership, or adds an existing account of that
 * email to the organization (the organization's provisioning client is its authority on
 * who belongs). A userName already provisioned here is 409 uniqueness; one the client
 * deleted before is brought back.
 */
export async function createUser(call: ScimCall, body: unknown): Promise<Resource> {
  const s = readUser(body);
  const email = checkUserName(s);
  const { ctx, org } = call;
  const now = ctx.clock.now().toISOString();
  try {
    const userId = await ctx.db.transaction().execute(async (trx) => {
      const existing = await findUserByEmail(trx, email);
      let userId: string;
      if (existing) {
        userId = existing.id;
        const member = await findMemberAnyState(trx, org.id, existing.id);
        if (member && !member.scim_deleted_at) throw scimError('uniqueness', 'A user with this userName already exists in this organization.', 'conflict');
        if (member) {
          await repo.updateScimMember(trx, org.id, userId, { scim_deleted_at: null, external_id: s.externalId, scim_profile: profileJson(s) });
          if (s.active) await reactivateMember(ctx, trx, org.id, userId, 'scim');
          await audit(call, trx, 'user.provisioned', 'user', userId, { email, reprovisioned: true });
        } else {
          await insertMember(trx, { org_id: org.id, user_id: userId, role: 'member', created_at: now, external_id: s.externalId, scim_profile: profileJson(s) });
          await audit(call, trx, 'member.added', 'user', userId, { role: 'member' });
          await audit(call, trx, 'user.provisioned', 'user', userId, { email, linked: true });
          if (s.active && !existing.is_active) await updateUser(trx, userId, { is_active: 1, updated_at: now });
        }
        if ((await repo.countOtherMemberships(trx, userId, org.id)) === 0 && accountName(s) !== existing.name) await updateUser(trx, userId, { name: accountName(s), updated_at: now });
      } else {
        userId = newId();
        await insertUser(trx, { id: userId, email, name: accountName(s), password_hash: null, is_active: 1, last_login_at: null, created_at: now, updated_at: now });
        await insertMember(trx, { org_id: org.id, user_id: userId, role: 'member', created_at: now, external_id: s.externalId, scim_profile: profileJson(s) });
        await audit(call, trx, 'member.added', 'user', userId, { role: 'member' });
        await audit(call, trx, 'user.provisioned', 'user', userId, { email });
      }
      if (!s.active) await deprovision(call, trx, userId, false);
      return userId;
    });
    return getUser(call, userId);
  } catch (err) {
    if (isUniqueViolation(err)) throw scimError('uniqueness', 'A user with this userName already exists.', 'conflict');
    throw err;
  }
}

/** PUT /Users/:id: the body replaces what Folio keeps (active stays as it is when the body leaves it out). */
export async function replaceUser(call: ScimCall, id: string, body: unknown): Promise<Resource> {
  return updateUserWith(call, id, (cur) => readUser(body, cur));
}

/** PATCH /Users/:id. */
export async function patchUserResource(call: ScimCall, id: string, body: unknown): Promise<Resource> {
  const ops = readPatch(body);
  return updateUserWith(call, id, (cur) => patchUser(cur, ops));
}

async function updateUserWith(call: ScimCall, id: string, change: (cur: UserState) => UserState): Promise<Resource> {
  const { ctx, org } = call;
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const row = await loadUser(call, trx, id);
      const cur = stateOf(row);
      const next = change(cur);
      const email = checkUserName(next);
      const now = ctx.clock.now().toISOString();
      const alone = (await repo.countOtherMemberships(trx, id, org.id)) === 0;
      if (email !== row.email) {
        // The account may belong to other organizations too; only one that is this organization's alone may be renamed by its client.
        if (!alone) throw scimError('mutability', 'userName cannot change: this account also belongs to another organization. Change the email in Folio instead.');
        if (await findUserByEmail(trx, email)) throw scimError('uniqueness', 'Another account already has this userName.', 'conflict');
        await updateUser(trx, id, { email, updated_at: now });
      }
      if (alone && accountName(next) !== row.name) await updateUser(trx, id, { name: accountName(next), updated_at: now });
      await repo.updateScimMember(trx, org.id, id, { external_id: next.externalId, scim_profile: profileJson(next) });
      if (cur.active && !next.active) await deprovision(call, trx, id, false);
      if (!cur.active && next.active && (await reactivateMember(ctx, trx, org.id, id, 'scim'))) {
        await audit(call, trx, 'user.provisioned', 'user', id, { email, reactivated: true });
      }
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw scimError('uniqueness', 'Another account already has this userName.', 'conflict');
    throw err;
  }
  return getUser(call, id);
}

/** Turns the member off (sessions end at once); the last active owner is refused. */
async function deprovision(call: ScimCall, db: Db, userId: string, deleted: boolean): Promise<void> {
  const member = await findMemberAnyState(db, call.org.id, userId);
  if (member?.role === 'owner' && !member.deactivated_at && (await repo.countOtherActiveOwners(db, call.org.id, userId)) === 0) {
    throw scimError('mutability', 'This user is the organization\'s last active owner and cannot be deactivated; make someone else an owner in Folio first.');
  }
  if (await deactivateMember(call.ctx, db, call.org.id, userId, 'scim')) await audit(call, db, 'user.deprovisioned', 'user', userId, { deleted });
}

/**
 * DELETE /Users/:id: deprovisions the member and leaves their teams; the membership stays
 * (their documents remain owned) but SCIM answers 404 for it from now on.
 */
export async function deleteUser(call: ScimCall, id: string): Promise<void> {
  const { ctx, org } = call;
  await ctx.db.transaction().execute(async (trx) => {
    const row = await loadUser(call, trx, id);
    if (row.deactivated_at) await audit(call, trx, 'user.deprovisioned', 'user', id, { deleted: true });
    else await deprovision(call, trx, id, true);
    const names = await repo.teamNamesOfUser(trx, org.id, id);
    for (const teamId of await repo.removeFromAllTeams(trx, org.id, id)) await audit(call, trx, 'team.member_removed', 'team', teamId, { userId: id });
    await syncMappedAccess(call, trx, id, names);
    await repo.updateScimMember(trx, org.id, id, { scim_deleted_at: ctx.clock.now().toISOString() });
  });
}

// ---------------------------------------------------------------- group mappings

/**
 * After a user joined or left groups (`changed`: those groups' names), brings in line what
 * group mappings naming those groups grant: the role (the highest a mapped group of the
 * user still gives, else member; an owner is never changed) and the mapped teams. Mappings
 * of other groups are not touched, so roles set by hand stay unless a mapped group changes.
 */
async function syncMappedAccess(call: ScimCall, db: Db, userId: string, changed: string[]): Promise<void> {
  const key = (s: string) => s.trim().toLowerCase();
  const changedKeys = new Set(changed.map(key));
  const mappings = await listGroupMappings(db, call.org.id);
  const relevant = mappings.filter((m) => changedKeys.has(key(m.group_name)));
  if (!relevant.length) return;
  const groups = new Set((await repo.teamNamesOfUser(db, call.org.id, userId)).map(key));
  const matched = mappings.filter((m) => groups.has(key(m.group_name)));
  if (relevant.some((m) => m.role)) {
    const target: Role = matched.map((m) => m.role).filter((r): r is Role => !!r).sort((a, b) => rank(b) - rank(a))[0] ?? 'member';
    const member = await findMemberAnyState(db, call.org.id, userId);
    if (member && member.role !== 'owner' && member.role !== target) {
      await updateMemberRole(db, call.org.id, userId, target);
      await audit(call, db, 'member.role_changed', 'user', userId, { from: member.role, to: target });
    }
  }
  const now = call.ctx.clock.now().toISOString();
  for (const teamId of new Set(relevant.map((m) => m.team_id).filter((t): t is string => !!t))) {
    if (matched.some((m) => m.team_id === teamId)) {
      const has = await db.selectFrom('team_member').select('user_id').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
      if (!has) {
        await insertTeamMember(db, { org_id: call.org.id, team_id: teamId, user_id: userId, created_at: now });
        await audit(call, db, 'team.member_added', 'team', teamId, { userId, mapped: true });
      }
    } else if ((await deleteTeamMember(db, call.org.id, teamId, userId)) > 0) {
      await audit(call, db, 'team.member_removed', 'team', teamId, { userId, mapped: true });
    }
  }
}

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
