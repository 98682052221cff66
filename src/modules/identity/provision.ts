import { rank } from '../../authz';
import type { Db } from '../../platform/db/db';
import type { IdentityProviderKind, Org, Role, User } from '../../platform/db/schema';
import type { Ctx } from '../../shared/context';
import { AppError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import { deleteAllUserSessions } from '../auth/session.repository';
import { findMember, insertMember, updateMemberRole } from '../orgs/org.repository';
import { deleteTeamMember, insertTeamMember } from '../teams/team.repository';
import { findUserByEmail, findUserById, insertUser, normalizeEmail, updateUser } from '../users/user.repository';
import * as repo from './identity.repository';

/** What an identity provider says about a person who just proved who they are. */
export interface ExternalProfile {
  /** The provider's stable id for the person (LDAP entryUUID or DN, SAML NameID, OIDC sub). */
  subject: string;
  email: string;
  name?: string;
  /** Group names as the provider reports them; undefined when the provider sends none (memberships are left alone). */
  groups?: string[];
}

/** The one message a person sees when a provider vouches for them but Folio will not let them in. */
export const NOT_ALLOWED = 'Your account cannot sign in to this organization. Contact your administrator.';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Signs in (and on first sight provisions) the person an organization's provider vouched
 * for: finds them by their external identity, else links an existing member with the same
 * email, else creates the account and membership (just-in-time). An account that exists but
 * belongs to no membership of this organization is never linked: one organization's
 * provider cannot take over another organization's user. Group mappings then set teams and
 * role. Returns the user to start a session for.
 */
export async function provisionExternalUser(
  ctx: Ctx,
  org: Org,
  kind: IdentityProviderKind,
  profile: ExternalProfile,
  opts: { defaultRole?: Role } = {},
): Promise<User> {
  const email = normalizeEmail(profile.email ?? '');
  if (!profile.subject) throw new AppError('sso_failed', 'The identity provider did not identify the person.');
  if (!EMAIL.test(email) || email.length > 320) throw new AppError('sso_failed', 'The identity provider did not send a usable email address for this person.');
  const now = ctx.clock.now().toISOString();
  return ctx.db.transaction().execute(async (trx) => {
    const identity = await repo.findExternalIdentity(trx, org.id, kind, profile.subject);
    let user = identity ? await findUserById(trx, identity.user_id) : undefined;
    if (!user) {
      const byEmail = await findUserByEmail(trx, email);
      if (byEmail) {
        const member = await repo.findMemberAnyState(trx, org.id, byEmail.id);
        if (!member) {
          await recordAudit(trx, ctx.clock, ctx.meta, { action: 'auth.login_failed', orgId: org.id, actorId: null, data: { method: kind, reason: 'email_of_non_member', email: email.slice(0, 200) } });
          throw new AppError('sso_failed', NOT_ALLOWED);
        }
        user = byEmail;
      } else {
        user = {
          id: newId(),
          email,
          name: (profile.name ?? '').trim().slice(0, 200) || email.split('@')[0],
          password_hash: null,
          is_active: 1,
          last_login_at: null,
          created_at: now,
          updated_at: now,
        };
        await insertUser(trx, user);
        await recordAudit(trx, ctx.clock, ctx.meta, { action: 'user.provisioned', orgId: org.id, actorId: user.id, targetType: 'user', targetId: user.id, data: { method: kind, email } });
      }
      await repo.insertExternalIdentity(trx, { id: newId(), org_id: org.id, kind, subject: profile.subject, user_id: user.id, groups: null, created_at: now, last_login_at: null });
    }
    if (!user.is_active) {
      await recordAudit(trx, ctx.clock, ctx.meta, { action: 'auth.login_failed', orgId: org.id, actorId: user.id, targetType: 'user', targetId: user.id, data: { method: kind, reason: 'inactive' } });
      throw new AppError('sso_failed', NOT_ALLOWED);
    }
    const member = await repo.findMemberAnyState(trx, org.id, user.id);
    if (member?.deactivated_at) {
      await recordAudit(trx, ctx.clock, ctx.meta, { action: 'auth.login_failed', orgId: org.id, actorId: user.id, targetType: 'user', targetId: user.id, data: { method: kind, reason: 'member_deactivated' } });
      throw new AppError('sso_failed', NOT_ALLOWED);
    }
    if (profile.name && profile.name.trim() && profile.name.trim() !== user.name) {
      await updateUser(trx, user.id, { name: profile.name.trim().slice(0, 200), updated_at: now });
      user = { ...user, name: profile.name.trim().slice(0, 200) };
    }
    await applyGroups(ctx, trx, org.id, user.id, kind, profile.groups, { create: !member, defaultRole: opts.defaultRole ?? 'member' });
    const linked = await repo.findExternalIdentity(trx, org.id, kind, profile.subject);
    if (linked) await repo.updateExternalIdentity(trx, linked.id, { groups: profile.groups ? JSON.stringify(profile.groups) : linked.groups, last_login_at: now });
    return user;
  });
}

/**
 * Brings a member's role and mapped teams in line with their provider groups. Only teams
 * named by some mapping are touched. When the organization maps any group to a role, the
 * role follows the groups (the highest mapped role, else the provider's default role);
 * without role mappings roles are left to administrators. An owner's role is never changed
 * by a provider.
 */
export async function applyGroups(
  ctx: Ctx,
  db: Db,
  orgId: string,
  userId: string,
  kind: IdentityProviderKind | 'scim',
  groups: string[] | undefined,
  opts: { create: boolean; defaultRole: Role },
): Promise<void> {
  const now = ctx.clock.now().toISOString();
  const mappings = await repo.listGroupMappings(db, orgId);
  const have = new Set((groups ?? []).map((g) => g.trim().toLowerCase()));
  const matched = mappings.filter((m) => have.has(m.group_name.trim().toLowerCase()));
  const mappedRole = matched.map((m) => m.role).filter((r): r is Role => !!r).sort((a, b) => rank(b) - rank(a))[0];

  if (opts.create) {
    const role = mappedRole ?? opts.defaultRole;
    await insertMember(db, { org_id: orgId, user_id: userId, role, created_at: now });
    await recordAudit(db, ctx.clock, ctx.meta, { action: 'member.added', orgId, actorId: null, targetType: 'user', targetId: userId, data: { role, source: kind } });
  } else if (groups && mappings.some((m) => m.role)) {
    // Once any group grants a role, groups decide roles: someone who leaves the admins'
    // group in the directory is no longer an admin here.
    const role = mappedRole ?? opts.defaultRole;
    const member = await findMember(db, orgId, userId);
    if (member && member.role !== 'owner' && member.role !== role) {
      await updateMemberRole(db, orgId, userId, role);
      await recordAudit(db, ctx.clock, ctx.meta, { action: 'member.role_changed', orgId, actorId: null, targetType: 'user', targetId: userId, data: { from: member.role, to: role, source: kind } });
    }
  }
  if (!groups) return;
  const want = new Set(matched.map((m) => m.team_id).filter((t): t is string => !!t));
  const managed = new Set(mappings.map((m) => m.team_id).filter((t): t is string => !!t));
  for (const teamId of managed) {
    if (want.has(teamId)) {
      const existing = await db.selectFrom('team_member').select('user_id').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
      if (!existing) {
        await insertTeamMember(db, { org_id: orgId, team_id: teamId, user_id: userId, created_at: now });
        await recordAudit(db, ctx.clock, ctx.meta, { action: 'team.member_added', orgId, actorId: null, targetType: 'team', targetId: teamId, data: { userId, source: kind } });
      }
    } else if ((await deleteTeamMember(db, orgId, teamId, userId)) > 0) {
      await recordAudit(db, ctx.clock, ctx.meta, { action: 'team.member_removed', orgId, actorId: null, targetType: 'team', targetId: teamId, data: { userId, source: kind } });
    }
  }
}

/**
 * Turns a member off in one organization (directory sync, SCIM): the membership is kept
 * (documents stay owned) but no longer opens the organization, and every session of the
 * user ends at once. An account with no other active membership is deactivated too.
 */
export async function deactivateMember(ctx: Ctx, db: Db, orgId: string, userId: string, source: string): Promise<boolean> {
  const member = await repo.findMemberAnyState(db, orgId, userId);
  if (!member || member.deactivated_at) return false;
  const now = ctx.clock.now().toISOString();
  await repo.setMemberDeactivated(db, orgId, userId, now);
  await deleteAllUserSessions(db, userId);
  if ((await repo.countOtherActiveMemberships(db, userId, orgId)) === 0) await updateUser(db, userId, { is_active: 0, updated_at: now });
  await recordAudit(db, ctx.clock, ctx.meta, { action: 'member.deactivated', orgId, actorId: null, targetType: 'user', targetId: userId, data: { source } });
  return true;
}

/** Turns a deactivated member (and their account) back on. */
export async function reactivateMember(ctx: Ctx, db: Db, orgId: string, userId: string, source: string): Promise<boolean> {
  const member = await repo.findMemberAnyState(db, orgId, userId);
  if (!member || !member.deactivated_at) return false;
  const now = ctx.clock.now().toISOString();
  await repo.setMemberDeactivated(db, orgId, userId, null);
  await updateUser(db, userId, { is_active: 1, updated_at: now });
  await recordAudit(db, ctx.clock, ctx.meta, { action: 'member.reactivated', orgId, actorId: null, targetType: 'user', targetId: userId, data: { source } });
  return true;
}
