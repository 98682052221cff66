import { z } from 'zod';
import type { Db } from '../../platform/db/db';
import type { Org, Role } from '../../platform/db/schema';
import { type Actor, authorize, isRole } from '../../authz';
import type { AppContext, Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import * as repo from './org.repository';

export { countOrgs } from './org.repository';

/** Every organization (id and slug), for background work that visits each one. */
export function listAllOrgs(ctx: AppContext) {
  return repo.listAllOrgs(ctx.db);
}

/** The owner on whose behalf background work of the organization acts (the oldest active one). */
export async function systemActorOf(ctx: AppContext, orgId: string): Promise<Actor | undefined> {
  const userId = await repo.findOldestActiveOwner(ctx.db, orgId);
  return userId ? { userId, orgId, role: 'owner' } : undefined;
}

export const ZOrgName = z.string().trim().min(1, 'Enter a name').max(100, 'Use at most 100 characters');
export const ZRole = z.enum(['owner', 'admin', 'member', 'viewer']);

/** A URL-safe slug from a name: lower case ASCII letters, digits and dashes. */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return s || 'org';
}

async function uniqueSlug(db: Db, name: string): Promise<string> {
  const base = slugify(name);
  for (let i = 0; i < 20; i++) {
    const slug = i === 0 ? base : `${base}-${newId(4)}`;
    if (!(await repo.slugExists(db, slug))) return slug;
  }
  return `${base}-${newId(10)}`;
}

/** Creates an organization owned by `userId`, inside the caller's transaction. */
export async function createOrgWithOwner(ctx: Ctx, db: Db, userId: string, name: string): Promise<Org> {
  const now = ctx.clock.now().toISOString();
  const org: Org = { id: newId(), name: ZOrgName.parse(name), slug: await uniqueSlug(db, name), review_threshold: 0.8, content_version: 0, created_at: now, updated_at: now };
  await repo.insertOrg(db, org);
  await repo.insertMember(db, { org_id: org.id, user_id: userId, role: 'owner', created_at: now });
  await recordAudit(db, ctx.clock, ctx.meta, { action: 'org.created', orgId: org.id, actorId: userId, targetType: 'org', targetId: org.id, data: { name: org.name } });
  return org;
}

/** A signed-in user creates another organization and becomes its owner. */
export async function createOrg(ctx: Ctx, userId: string, name: string): Promise<Org> {
  const parsed = ZOrgName.safeParse(name);
  if (!parsed.success) throw new AppError('validation_failed', `Organization name: ${parsed.error.issues[0].message}`);
  return ctx.db.transaction().execute((trx) => createOrgWithOwner(ctx, trx, userId, parsed.data));
}

export interface Membership {
  org: Org;
  actor: Actor;
}

/**
 * The organization named by `ref` (slug or id) as seen by `userId`. Not being a member is
 * indistinguishable from the organization not existing.
 */
export async function resolveMembership(ctx: Ctx, ref: string, userId: string): Promise<Membership> {
  const org = await repo.findOrgBySlugOrId(ctx.db, ref);
  const member = org && (await repo.findMember(ctx.db, org.id, userId));
  if (!org || !member) throw notFound('Organization');
  return { org, actor: { userId, orgId: org.id, role: member.role } };
}

export async function listMyOrgs(ctx: Ctx, userId: string) {
  return repo.listOrgsOfUser(ctx.db, userId);
}

/** Renames the organization; needs `org.update`. */
export async function renameOrg(ctx: Ctx, actor: Actor, name: string): Promise<Org> {
  authorize(actor, 'org.update');
  const parsed = ZOrgName.safeParse(name);
  if (!parsed.success) throw new AppError('validation_failed', `Organization name: ${parsed.error.issues[0].message}`);
  return ctx.db.transaction().execute(async (trx) => {
    const before = await repo.findOrgBySlugOrId(trx, actor.orgId);
    if (!before) throw notFound('Organization');
    const now = ctx.clock.now().toISOString();
    await repo.updateOrg(trx, actor.orgId, { name: parsed.data, updated_at: now });
    await recordAudit(trx, ctx.clock, ctx.meta, {
      action: 'org.updated',
      orgId: actor.orgId,
      actorId: actor.userId,
      targetType: 'org',
      targetId: actor.orgId,
      data: { name: { from: before.name, to: parsed.data } },
    });
    return { ...before, name: parsed.data, updated_at: now };
  });
}

export interface PresentedMember {
  userId: string;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  joinedAt: string;
  lastLoginAt: string | null;
}

export async function listOrgMembers(ctx: Ctx, actor: Actor): Promise<PresentedMember[]> {
  authorize(actor, 'member.read');
  const rows = await repo.listMembers(ctx.db, actor.orgId);
  return rows.map((r) => ({
    userId: r.user_id,
    email: r.email,
    name: r.name,
    role: r.role,
    active: !!r.is_active,
    joinedAt: r.created_at,
    lastLoginAt: r.last_login_at,
  }));
}

export async function getOrgMember(ctx: Ctx, actor: Actor, userId: string): Promise<PresentedMember> {
  authorize(actor, 'member.read');
  const m = (await listOrgMembers(ctx, actor)).find((x) => x.userId === userId);
  if (!m) throw notFound('Member');
  return m;
}

/**
 * Gives a member another role. Only owners grant or take away ownership, and the last
 * owner cannot be demoted.
 */
export async function changeMemberRole(ctx: Ctx, actor: Actor, userId: string, role: string): Promise<PresentedMember> {
  if (!isRole(role)) throw new AppError('validation_failed', 'Role must be one of owner, admin, member, viewer');
  await ctx.db.transaction().execute(async (trx) => {
    const member = await repo.findMember(trx, actor.orgId, userId);
    if (!member) throw notFound('Member');
    authorize(actor, 'member.update', { orgId: actor.orgId, userId, role: member.role, newRole: role });
    if (member.role === role) return;
    if (member.role === 'owner' && (await repo.countOwners(trx, actor.orgId)) <= 1) {
      throw new AppError('last_owner', 'An organization needs at least one owner. Make someone else owner first.');
    }
    await repo.updateMemberRole(trx, actor.orgId, userId, role);
    await recordAudit(trx, ctx.clock, ctx.meta, {
      action: 'member.role_changed',
      orgId: actor.orgId,
      actorId: actor.userId,
      targetType: 'user',
      targetId: userId,
      data: { from: member.role, to: role },
    });
  });
  return getOrgMember(ctx, { ...actor, role: actor.userId === userId ? role : actor.role }, userId);
}

/** Removes a member (or lets a member leave); never the last owner. */
export async function removeMember(ctx: Ctx, actor: Actor, userId: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const member = await repo.findMember(trx, actor.orgId, userId);
    if (!member) throw notFound('Member');
    authorize(actor, 'member.remove', { orgId: actor.orgId, userId, role: member.role });
    if (member.role === 'owner' && (await repo.countOwners(trx, actor.orgId)) <= 1) {
      throw new AppError('last_owner', 'The last owner cannot leave or be removed. Make someone else owner first.');
    }
    await repo.deleteMember(trx, actor.orgId, userId);
    await recordAudit(trx, ctx.clock, ctx.meta, {
      action: 'member.removed',
      orgId: actor.orgId,
      actorId: actor.userId,
      targetType: 'user',
      targetId: userId,
      data: { role: member.role },
    });
  });
}
