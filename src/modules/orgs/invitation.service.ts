import { z } from 'zod';
import type { Invitation, Org, Role, User } from '../../platform/db/schema';
import { type Actor, authorize, isRole } from '../../authz';
import type { Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { newId, newSecret, sha256Hex } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import { type NewAccount, insertAccount, prepareAccount } from '../auth/auth.service';
import { findUserById, normalizeEmail } from '../users/user.repository';
import * as repo from './invitation.repository';
import { findMember, findOrgBySlugOrId, insertMember } from './org.repository';

const DAY = 24 * 60 * 60 * 1000;
const ZEmail = z.email('Enter a valid email address').max(254);

export interface PresentedInvitation {
  id: string;
  email: string | null;
  role: Role;
  createdAt: string;
  expiresAt: string;
  createdBy: string | null;
}

function present(i: Invitation & { created_by_email?: string | null }): PresentedInvitation {
  return { id: i.id, email: i.email, role: i.role, createdAt: i.created_at, expiresAt: i.expires_at, createdBy: i.created_by_email ?? null };
}

/**
 * Creates an invitation link. The token appears only in the returned link (the database
 * keeps its hash). With an SMTP server configured and an email given, the link is mailed too.
 */
export async function createInvitation(
  ctx: Ctx,
  actor: Actor,
  input: { email?: string | null; role: string },
  baseUrl: string,
): Promise<{ invitation: PresentedInvitation; link: string; emailed: boolean }> {
  if (!isRole(input.role)) throw new AppError('validation_failed', 'Role must be one of owner, admin, member, viewer');
  authorize(actor, 'member.invite', { orgId: actor.orgId, role: input.role });
  let email: string | null = null;
  if (input.email) {
    const parsed = ZEmail.safeParse(normalizeEmail(input.email));
    if (!parsed.success) throw new AppError('validation_failed', parsed.error.issues[0].message);
    email = parsed.data;
  }
  const token = newSecret();
  const now = ctx.clock.now();
  const inv: Invitation = {
    id: newId(),
    org_id: actor.orgId,
    email,
    role: input.role,
    token_hash: sha256Hex(token),
    created_by: actor.userId,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ctx.config.auth.inviteDays * DAY).toISOString(),
    accepted_at: null,
    accepted_by: null,
    revoked_at: null,
  };
  const org = await ctx.db.transaction().execute(async (trx) => {
    await repo.insertInvitation(trx, inv);
    await recordAudit(trx, ctx.clock, ctx.meta, {
      action: 'invitation.created',
      orgId: actor.orgId,
      actorId: actor.userId,
      targetType: 'invitation',
      targetId: inv.id,
      data: { email, role: inv.role },
    });
    return findOrgBySlugOrId(trx, actor.orgId);
  });
  const link = `${baseUrl.replace(/\/$/, '')}/invite/${token}`;
  let emailed = false;
  if (email && ctx.mailer && org) {
    try {
      await ctx.mailer.send({
        to: email,
        subject: `You are invited to ${org.name} on Folio`,
        text: `You have been invited to join ${org.name} on Folio as ${inv.role}.\n\nOpen this link to accept (valid until ${inv.expires_at.slice(0, 10)}):\n${link}\n`,
      });
      emailed = true;
    } catch (err) {
      ctx.log.warn({ err, invitationId: inv.id }, 'invitation email could not be sent');
    }
  }
  return { invitation: present(inv), link, emailed };
}

export async function listInvitations(ctx: Ctx, actor: Actor): Promise<PresentedInvitation[]> {
  authorize(actor, 'member.invite');
  return (await repo.listPendingInvitations(ctx.db, actor.orgId, ctx.clock.now().toISOString())).map(present);
}

export async function revokeInvitation(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  authorize(actor, 'member.invite');
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await repo.markRevoked(trx, actor.orgId, id, ctx.clock.now().toISOString()))) throw notFound('Invitation');
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'invitation.revoked', orgId: actor.orgId, actorId: actor.userId, targetType: 'invitation', targetId: id });
  });
}

/** The pending invitation behind a link, with its organization; clear errors for used or stale links. */
export async function getInvitationByToken(ctx: Ctx, token: string): Promise<{ invitation: Invitation; org: Org }> {
  const inv = token && token.length < 200 ? await repo.findInvitationByHash(ctx.db, sha256Hex(token)) : undefined;
  const org = inv && (await findOrgBySlugOrId(ctx.db, inv.org_id));
  if (!inv || !org) throw new AppError('not_found', 'This invitation link is not valid. Ask for a new one.');
  if (inv.revoked_at) throw new AppError('not_found', 'This invitation was withdrawn. Ask for a new one.');
  if (inv.accepted_at) throw new AppError('conflict', 'This invitation has already been used.');
  if (inv.expires_at <= ctx.clock.now().toISOString()) throw new AppError('not_found', 'This invitation has expired. Ask for a new one.');
  return { invitation: inv, org };
}

async function join(ctx: Ctx, db: Ctx['db'], inv: Invitation, user: User): Promise<void> {
  if (inv.email && inv.email !== user.email) {
    throw new AppError('forbidden', `This invitation is for ${inv.email}. Sign in with that address to accept it.`);
  }
  const now = ctx.clock.now().toISOString();
  if (!(await repo.markAccepted(db, inv.id, user.id, now))) throw new AppError('conflict', 'This invitation has already been used.');
  if (!(await findMember(db, inv.org_id, user.id))) {
    await insertMember(db, { org_id: inv.org_id, user_id: user.id, role: inv.role, created_at: now });
    await recordAudit(db, ctx.clock, ctx.meta, { action: 'member.added', orgId: inv.org_id, actorId: user.id, targetType: 'user', targetId: user.id, data: { role: inv.role, via: 'invitation' } });
  }
  await recordAudit(db, ctx.clock, ctx.meta, { action: 'invitation.accepted', orgId: inv.org_id, actorId: user.id, targetType: 'invitation', targetId: inv.id });
}

/** A signed-in user accepts an invitation and joins its organization. */
export async function acceptInvitation(ctx: Ctx, token: string, userId: string): Promise<Org> {
  const { invitation, org } = await getInvitationByToken(ctx, token);
  await ctx.db.transaction().execute(async (trx) => {
    const user = await findUserById(trx, userId);
    if (!user) throw new AppError('unauthenticated', 'Sign in to accept this invitation.');
    await join(ctx, trx, invitation, user);
  });
  return org;
}

/** Someone without an account creates one from an invitation and joins. */
export async function acceptInvitationWithNewAccount(ctx: Ctx, token: string, account: NewAccount): Promise<{ user: User; org: Org }> {
  const { invitation, org } = await getInvitationByToken(ctx, token);
  const user = await prepareAccount(ctx, { ...account, email: invitation.email ?? account.email });
  await ctx.db.transaction().execute(async (trx) => {
    await insertAccount(ctx, trx, user);
    await join(ctx, trx, invitation, user);
  });
  return { user, org };
}
