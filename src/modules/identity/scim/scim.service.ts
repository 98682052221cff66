import type { Db } from '../../../platform/db/db';
import { isUniqueViolation } from '../../../platform/db/errors';
import { newId } from '../../../shared/ids';
import { insertMember } from '../../orgs/org.repository';
import { findUserByEmail, insertUser, normalizeEmail, updateUser } from '../../users/user.repository';
import { findMemberAnyState } from '../identity.repository';
import { deactivateMember, reactivateMember } from '../provision';
import { audit, type ListParams, listArgs, listResponse, notFound, type Resource, type ScimCall, syncMappedAccess } from './scim.common';
import { patchUser, readPatch, readUser, type UserState } from './scim.patch';
import { scimError, URN } from './scim.protocol';
import * as repo from './scim.repository';

export type { ListParams, ScimCall } from './scim.common';

// SCIM Users: the organization's memberships, each with its account.

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const USER_FILTERS = new Set(['username', 'externalid', 'emails.value', 'id', 'active']);

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

