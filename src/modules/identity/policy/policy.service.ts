import { z } from 'zod';
import { type Actor, authorize } from '../../../authz';
import type { MfaRequirement, Org, OrgSecurityPolicy, Session } from '../../../platform/db/schema';
import type { Ctx } from '../../../shared/context';
import { AppError } from '../../../shared/errors';
import { recordAudit } from '../../audit/audit.service';
import { endSession } from '../../auth/session.service';
import { findSecurityPolicy, hasExternalIdentity, upsertSecurityPolicy } from '../identity.repository';
import { hasSecondFactor } from '../mfa/mfa.service';
import { allowlistContains, type Cidr, parseAllowlist } from './cidr';

export const SSO_METHODS = ['saml', 'oidc', 'ldap'] as const;
export type SsoMethod = (typeof SSO_METHODS)[number];

/** The policy as the API and the settings page show it. */
export interface PresentedPolicy {
  mfaRequired: MfaRequirement;
  idleTimeoutMinutes: number | null;
  absoluteLifetimeHours: number | null;
  maxSessions: number | null;
  ipAllowlist: string[];
  ssoOnly: string | null;
  updatedAt: string | null;
}

function present(p: OrgSecurityPolicy | undefined): PresentedPolicy {
  return {
    mfaRequired: p?.mfa_required ?? 'off',
    idleTimeoutMinutes: p?.idle_timeout_minutes ?? null,
    absoluteLifetimeHours: p?.absolute_lifetime_hours ?? null,
    maxSessions: p?.max_sessions ?? null,
    ipAllowlist: p?.ip_allowlist ? p.ip_allowlist.split('\n').filter(Boolean) : [],
    ssoOnly: p?.sso_only ?? null,
    updatedAt: p?.updated_at ?? null,
  };
}

const int = (min: number, max: number, what: string) =>
  z
    .number({ error: `${what} must be a whole number or null` })
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be at least ${min}`)
    .max(max, `${what} must be at most ${max}`)
    .nullable();

/** A policy change: fields left out keep their value. */
export const ZSecurityPolicy = z
  .object({
    mfaRequired: z.enum(['off', 'admins', 'all'], { error: 'must be "off", "admins" or "all"' }),
    idleTimeoutMinutes: int(5, 525_600, 'The idle timeout (minutes)'),
    absoluteLifetimeHours: int(1, 8_760, 'The session lifetime (hours)'),
    maxSessions: int(1, 100, 'The most sessions per person'),
    ipAllowlist: z.union([z.array(z.string().max(100)).max(200, 'at most 200 networks'), z.string().max(20_000)]),
    ssoOnly: z.enum(SSO_METHODS, { error: 'must be "saml", "oidc", "ldap" or null' }).nullable(),
    confirmLockout: z.boolean(),
  })
  .partial()
  .strict();
export type TSecurityPolicy = z.infer<typeof ZSecurityPolicy>;

/** The organization's security policy; needs `signin.manage`. */
export async function getSecurityPolicy(ctx: Ctx, actor: Actor): Promise<PresentedPolicy> {
  authorize(actor, 'signin.manage');
  return present(await findSecurityPolicy(ctx.db, actor.orgId));
}

/**
 * Changes the policy (needs `signin.manage`). An allowlist that leaves out the address the
 * administrator is using now is refused unless `confirmLockout` says they mean it.
 */
export async function saveSecurityPolicy(ctx: Ctx, actor: Actor, input: TSecurityPolicy): Promise<PresentedPolicy> {
  authorize(actor, 'signin.manage');
  const before = await findSecurityPolicy(ctx.db, actor.orgId);
  const now = ctx.clock.now().toISOString();
  const next: OrgSecurityPolicy = {
    org_id: actor.orgId,
    mfa_required: before?.mfa_required ?? 'off',
    idle_timeout_minutes: before?.idle_timeout_minutes ?? null,
    absolute_lifetime_hours: before?.absolute_lifetime_hours ?? null,
    max_sessions: before?.max_sessions ?? null,
    ip_allowlist: before?.ip_allowlist ?? null,
    sso_only: before?.sso_only ?? null,
    updated_at: now,
  };
  if (input.mfaRequired !== undefined) next.mfa_required = input.mfaRequired;
  if (input.idleTimeoutMinutes !== undefined) next.idle_timeout_minutes = input.idleTimeoutMinutes;
  if (input.absoluteLifetimeHours !== undefined) next.absolute_lifetime_hours = input.absoluteLifetimeHours;
  if (input.maxSessions !== undefined) next.max_sessions = input.maxSessions;
  if (input.ssoOnly !== undefined) next.sso_only = input.ssoOnly;
  if (input.ipAllowlist !== undefined) {
    const text = Array.isArray(input.ipAllowlist) ? input.ipAllowlist.join('\n') : input.ipAllowlist;
    const { networks, errors } = parseAllowlist(text);
    if (errors.length) throw new AppError('validation_failed', `IP allowlist: ${errors.join(' ')}`, { details: errors.map((message) => ({ field: 'ipAllowlist', message })) });
    if (networks.length > 200) throw new AppError('validation_failed', 'IP allowlist: use at most 200 networks.');
    next.ip_allowlist = networks.length ? networks.map((n) => n.text).join('\n') : null;
    if (networks.length && !allowlistContains(networks, ctx.meta.ip) && !input.confirmLockout) {
      const where = ctx.meta.ip ? `Your current address, ${ctx.meta.ip}, is not in this allowlist` : 'Folio cannot tell your current address, so it may not be in this allowlist';
      throw new AppError('validation_failed', `${where}: saving it would lock you out of this organization. Confirm to save it anyway (API: "confirmLockout": true).`, {
        details: [{ field: 'confirmLockout', message: 'lockout', ip: ctx.meta.ip }],
      });
    }
  }
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const old = present(before);
  const fresh = present(next);
  for (const k of ['mfaRequired', 'idleTimeoutMinutes', 'absoluteLifetimeHours', 'maxSessions', 'ipAllowlist', 'ssoOnly'] as const) {
    if (JSON.stringify(old[k]) !== JSON.stringify(fresh[k])) changes[k] = { from: old[k], to: fresh[k] };
  }
  await ctx.db.transaction().execute(async (trx) => {
    await upsertSecurityPolicy(trx, next);
    if (Object.keys(changes).length) {
      await recordAudit(trx, ctx.clock, ctx.meta, { action: 'security.policy_changed', orgId: actor.orgId, actorId: actor.userId, targetType: 'org', targetId: actor.orgId, data: changes });
    }
  });
  return fresh;
}

// ---- Enforcement, for every request under an organization (src/modules/orgs/tenant.ts) ----

/** What the policy says about one request. */
export type PolicyVerdict =
  | { kind: 'ok' }
  | { kind: 'ip_blocked'; message: string }
  | { kind: 'expired'; message: string }
  | { kind: 'sso_required'; method: string }
  | { kind: 'mfa_required'; enrolled: boolean };

const OK: PolicyVerdict = { kind: 'ok' };

/** Parsed allowlists by their text, so a busy organization's list is not parsed on every request. */
const parsedLists = new Map<string, Cidr[]>();
function networksOf(text: string): Cidr[] {
  let n = parsedLists.get(text);
  if (!n) {
    if (parsedLists.size > 500) parsedLists.clear();
    n = parseAllowlist(text).networks;
    parsedLists.set(text, n);
  }
  return n;
}

/** When each (organization, user, address) was last recorded as blocked: at most once a minute each. */
const blockedSeen = new Map<string, number>();
const BLOCK_AUDIT_MS = 60_000;

async function auditBlocked(ctx: Ctx, orgId: string, userId: string, via: string): Promise<void> {
  const key = `${orgId}|${userId}|${ctx.meta.ip}`;
  const now = ctx.clock.now().getTime();
  const last = blockedSeen.get(key);
  if (last !== undefined && now - last < BLOCK_AUDIT_MS && now >= last) return;
  if (blockedSeen.size > 10_000) blockedSeen.clear();
  blockedSeen.set(key, now);
  await recordAudit(ctx.db, ctx.clock, ctx.meta, { action: 'security.ip_blocked', orgId, actorId: userId, targetType: 'user', targetId: userId, data: { via } });
}

function needsMfa(policy: OrgSecurityPolicy, role: string): boolean {
  return policy.mfa_required === 'all' || (policy.mfa_required === 'admins' && (role === 'admin' || role === 'owner'));
}

/**
 * Applies the organization's policy to a request already known to come from a member: the
 * IP allowlist (sessions and API tokens), idle timeout and lifetime (a session past either
 * is ended here), single sign-on only (owners keep a password way in), and the second
 * factor (a session must have passed it; a token's owner must have one).
 */
export async function enforceOrgPolicy(
  ctx: Ctx,
  policy: OrgSecurityPolicy | undefined,
  r: { org: Org; actor: Actor; session?: Session; viaToken: boolean },
): Promise<PolicyVerdict> {
  if (!policy) return OK;
  const { org, actor, session } = r;
  if (policy.ip_allowlist && !allowlistContains(networksOf(policy.ip_allowlist), ctx.meta.ip)) {
    await auditBlocked(ctx, org.id, actor.userId, r.viaToken ? 'token' : 'session');
    const from = ctx.meta.ip ? `your address (${ctx.meta.ip})` : 'an address Folio could not determine';
    return { kind: 'ip_blocked', message: `${org.name} accepts connections only from its allowed networks, and ${from} is not one of them. Ask an administrator of ${org.name} if you need access from here.` };
  }
  if (session) {
    const now = ctx.clock.now().getTime();
    const idle = policy.idle_timeout_minutes;
    const life = policy.absolute_lifetime_hours;
    let reason: string | undefined;
    let message = '';
    if (life && now - new Date(session.created_at).getTime() >= life * 3_600_000) {
      reason = 'lifetime';
      message = `${org.name} asks you to sign in again every ${life} ${life === 1 ? 'hour' : 'hours'}.`;
    } else if (idle && now - new Date(session.last_seen_at).getTime() >= idle * 60_000) {
      reason = 'idle';
      message = `Your session ended after ${idle} minutes without activity, as ${org.name} requires. Sign in again.`;
    }
    if (reason) {
      await endSession(ctx, session.id);
      await recordAudit(ctx.db, ctx.clock, ctx.meta, {
        action: 'session.expired_by_policy',
        orgId: org.id,
        actorId: actor.userId,
        targetType: 'user',
        targetId: actor.userId,
        data: { reason, idleTimeoutMinutes: idle, absoluteLifetimeHours: life, method: session.method },
      });
      return { kind: 'expired', message };
    }
    if (policy.sso_only) {
      const bySso = session.method === policy.sso_only && session.org_id === org.id;
      const breakGlass = actor.role === 'owner' && session.method === 'password';
      if (!bySso && !breakGlass) return { kind: 'sso_required', method: policy.sso_only };
    }
  }
  // A personal token does not say how its owner signed in: in a single-sign-on-only
  // organization it works only for people the provider vouched for, and for owners.
  if (r.viaToken && policy.sso_only && actor.role !== 'owner' && !(await hasExternalIdentity(ctx.db, org.id, policy.sso_only, actor.userId))) {
    return { kind: 'sso_required', method: policy.sso_only };
  }
  if (needsMfa(policy, actor.role)) {
    if (session && !session.mfa_at) return { kind: 'mfa_required', enrolled: await hasSecondFactor(ctx, actor.userId) };
    if (r.viaToken && !(await hasSecondFactor(ctx, actor.userId))) return { kind: 'mfa_required', enrolled: false };
  }
  return OK;
}
