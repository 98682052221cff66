import { type Actor, authorize } from '../../../authz';
import type { Org, User } from '../../../platform/db/schema';
import type { AppContext, Ctx } from '../../../shared/context';
import { AppError, notFound } from '../../../shared/errors';
import { sha256Hex } from '../../../shared/ids';
import { recordAudit } from '../../audit/audit.service';
import { addFailure, clearThrottle, findThrottle, setLockedUntil } from '../../auth/throttle.repository';
import { findOrgBySlugOrId } from '../../orgs/org.repository';
import { loadProvider, type ProviderConfig, saveProvider } from '../provider.service';
import { NOT_ALLOWED, provisionExternalUser } from '../provision';
import { Directory, DirectoryError, type DirectoryFailure } from './ldap.client';
import { type LdapSecrets, type LdapSettings, type TLdapInput, ZLdapSettings } from './ldap.schemas';

/** The one answer to every failed directory sign-in: it tells nobody which part was wrong. */
export const LDAP_FAILED = 'The username or password is incorrect, or this account cannot sign in here.';

export type LdapProvider = ProviderConfig<LdapSettings, LdapSecrets>;

/** The organization's directory configuration, or undefined when never saved. */
export async function loadLdap(ctx: AppContext, orgId: string): Promise<LdapProvider | undefined> {
  const p = await loadProvider<LdapSettings, LdapSecrets>(ctx, orgId, 'ldap');
  // Settings saved by an older version get today's defaults for fields they lack.
  return p && { ...p, settings: ZLdapSettings.parse(p.settings) };
}

/** The settings as administrators see them: never the password, only whether one is stored. */
export interface PresentedLdap {
  configured: boolean;
  enabled: boolean;
  settings: LdapSettings | null;
  bindPasswordSet: boolean;
  lastSyncAt: string | null;
  lastSyncResult: SyncResult | null;
}

/** What a sync did (kept as the provider's last result). */
export interface SyncResult {
  ok: boolean;
  checked: number;
  deactivated: number;
  reactivated: number;
  updated: number;
  missing: number;
  disabled: number;
  error?: string;
}

export function presentLdap(p: LdapProvider | undefined): PresentedLdap {
  let last: SyncResult | null = null;
  try {
    last = p?.lastSyncResult ? (JSON.parse(p.lastSyncResult) as SyncResult) : null;
  } catch {
    last = null;
  }
  return {
    configured: !!p,
    enabled: !!p?.enabled,
    settings: p?.settings ?? null,
    bindPasswordSet: !!p?.secrets.bindPassword,
    lastSyncAt: p?.lastSyncAt ?? null,
    lastSyncResult: last,
  };
}

export async function getLdapSettings(ctx: Ctx, actor: Actor): Promise<PresentedLdap> {
  authorize(actor, 'signin.manage');
  return presentLdap(await loadLdap(ctx, actor.orgId));
}

/** Saves the directory settings; an empty password keeps the stored one. Turning sign-in on needs a password. */
export async function saveLdapSettings(ctx: Ctx, actor: Actor, input: TLdapInput): Promise<PresentedLdap> {
  authorize(actor, 'signin.manage');
  const { enabled, bindPassword, ...settings } = input;
  const existing = await loadLdap(ctx, actor.orgId);
  if (enabled && !bindPassword && !existing?.secrets.bindPassword) {
    throw new AppError('validation_failed', 'bindPassword: Enter the service account password', { details: [{ field: 'bindPassword', message: 'Enter the service account password' }] });
  }
  await saveProvider<LdapSettings, LdapSecrets>(ctx, actor, 'ldap', { enabled, settings: ZLdapSettings.parse(settings), secrets: { bindPassword: bindPassword || undefined } });
  return presentLdap(await loadLdap(ctx, actor.orgId));
}

/** What "Test connection" found, or the first thing that failed. */
export interface LdapTestResult {
  ok: boolean;
  error?: { reason: DirectoryFailure; message: string };
  /** People the user filter finds under the base. */
  userCount?: number;
  /** Set when a test username was given. */
  testUser?: { found: false; message: string } | { found: true; dn: string; username: string; email: string; name: string; uniqueId: string; disabled: boolean; groups: string[] };
}

/**
 * Binds as the service account with the saved settings, counts the people under the user
 * base, checks the group base, and looks up `username` with its groups. Failures come back
 * as a result with a reason, never as a thrown error or a hang.
 */
export async function testLdapConnection(ctx: Ctx, actor: Actor, username?: string): Promise<LdapTestResult> {
  authorize(actor, 'signin.manage');
  const p = await loadLdap(ctx, actor.orgId);
  if (!p) throw new AppError('validation_failed', 'Save the directory settings first.');
  let dir: Directory | undefined;
  try {
    dir = await Directory.open(p.settings, p.secrets.bindPassword ?? '');
    const userCount = await dir.countUsers();
    if (p.settings.groupMode === 'search' || p.settings.groupMode === 'in_chain') await dir.baseExists(p.settings.groupBase);
    const result: LdapTestResult = { ok: true, userCount };
    const name = username?.trim();
    if (name) {
      const users = await dir.findUsers(name);
      if (users.length !== 1) {
        result.testUser = { found: false, message: users.length ? `Several entries match "${name}"; make the user filter stricter.` : `No one matches "${name}" under the user base.` };
      } else {
        const u = users[0];
        const groups = await dir.groupsOf(u.dn);
        result.testUser = { found: true, dn: u.dn, username: u.username, email: u.email, name: u.name, uniqueId: u.uniqueId, disabled: u.disabled, groups: groups.names };
      }
    }
    return result;
  } catch (err) {
    if (err instanceof DirectoryError) {
      ctx.log.info({ reason: err.reason, detail: err.detail, orgId: actor.orgId }, 'LDAP connection test failed');
      return { ok: false, error: { reason: err.reason, message: err.message } };
    }
    throw err;
  } finally {
    await dir?.close();
  }
}

function throttleKey(orgId: string, username: string) {
  return sha256Hex(`ldap:${orgId}:${username.trim().toLowerCase()}`);
}

function minutes(ms: number) {
  const m = Math.ceil(ms / 60_000);
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/**
 * Signs a person in with their directory username and password: binds as the service
 * account, finds exactly one entry with the user filter (the name escaped per RFC 4515),
 * refuses disabled accounts, binds as the person's DN with their password, reads their
 * groups, then provisions them. Every failure is audited with its reason and answered with
 * `LDAP_FAILED`; wrong names and passwords count towards the same lockout as password
 * sign-in (an unreachable directory does not).
 */
export async function signInWithDirectory(ctx: Ctx, slug: string, username: string, password: string): Promise<{ user: User; org: Org }> {
  const org = /^[a-z0-9-]{1,60}$/.test(slug) ? await findOrgBySlugOrId(ctx.db, slug) : undefined;
  const p = org && (await loadLdap(ctx, org.id));
  if (!org || !p?.enabled) throw notFound('Organization');
  const name = username.trim();
  const key = throttleKey(org.id, name);
  const now = ctx.clock.now();
  const throttle = await findThrottle(ctx.db, key);
  if (throttle?.locked_until && throttle.locked_until > now.toISOString()) {
    const wait = new Date(throttle.locked_until).getTime() - now.getTime();
    await recordAudit(ctx.db, ctx.clock, ctx.meta, { action: 'auth.login_failed', orgId: org.id, data: { method: 'ldap', reason: 'locked', username: name.slice(0, 200) } });
    throw new AppError('account_locked', `Too many failed sign-in attempts. Try again in ${minutes(wait)}.`, { details: { retryAfterSeconds: Math.ceil(wait / 1000) } });
  }

  const fail = async (reason: string, opts: { count?: boolean; userId?: string; detail?: string } = {}): Promise<never> => {
    const count = opts.count ?? true;
    const failures = count ? await addFailure(ctx.db, key, now.toISOString()) : undefined;
    await recordAudit(ctx.db, ctx.clock, ctx.meta, {
      action: 'auth.login_failed',
      orgId: org.id,
      actorId: opts.userId ?? null,
      targetType: opts.userId ? 'user' : undefined,
      targetId: opts.userId,
      data: { method: 'ldap', reason, username: name.slice(0, 200), ...(opts.detail ? { detail: opts.detail } : {}), ...(failures ? { failures } : {}) },
    });
    const { auth } = ctx.config;
    if (failures && failures >= auth.lockoutThreshold) {
      const seconds = Math.min(auth.lockoutBaseSeconds * 2 ** (failures - auth.lockoutThreshold), auth.lockoutMaxSeconds);
      await setLockedUntil(ctx.db, key, new Date(now.getTime() + seconds * 1000).toISOString());
      await recordAudit(ctx.db, ctx.clock, ctx.meta, { action: 'auth.locked', orgId: org.id, data: { method: 'ldap', seconds, failures } });
    }
    throw new AppError('sso_failed', LDAP_FAILED);
  };

  // Names with control characters (NUL included) or absurd lengths never reach the directory.
  if (!name || name.length > 256 || /[\u0000-\u001f\u007f]/.test(name)) return fail('invalid_username');
  // An empty password would be an unauthenticated bind, which LDAP servers report as success.
  if (!password) return fail('empty_password');

  let dir: Directory | undefined;
  let profile: { subject: string; email: string; name: string; groups: string[] };
  try {
    dir = await Directory.open(p.settings, p.secrets.bindPassword ?? '');
    const users = await dir.findUsers(name);
    if (users.length === 0) return await fail('unknown_user');
    if (users.length > 1) return await fail('ambiguous_user');
    const u = users[0];
    if (u.disabled) return await fail('disabled', { detail: u.dn.slice(0, 300) });
    if (!(await dir.checkPassword(u.dn, password))) return await fail('wrong_password', { detail: u.dn.slice(0, 300) });
    if (!u.uniqueId) return await fail('missing_unique_id', { count: false, detail: u.dn.slice(0, 300) });
    if (!u.email) return await fail('missing_email', { count: false, detail: u.dn.slice(0, 300) });
    const groups = await dir.groupsOf(u.dn);
    profile = { subject: u.uniqueId, email: u.email, name: u.name, groups: [...groups.names, ...groups.dns] };
  } catch (err) {
    if (err instanceof DirectoryError) {
      ctx.log.warn({ reason: err.reason, detail: err.detail, orgId: org.id }, 'directory sign-in could not reach the directory');
      return fail('directory_unavailable', { count: false, detail: err.reason });
    }
    throw err;
  } finally {
    await dir?.close();
  }

  await clearThrottle(ctx.db, key);
  try {
    const user = await provisionExternalUser(ctx, org, 'ldap', profile, { defaultRole: p.settings.defaultRole });
    return { user, org };
  } catch (err) {
    // Provisioning audits its own refusals; the person sees the same answer as for a wrong password.
    if (err instanceof AppError && err.code === 'sso_failed') {
      if (err.message !== NOT_ALLOWED) await fail('provisioning_refused', { count: false, detail: err.message });
      throw new AppError('sso_failed', LDAP_FAILED);
    }
    throw err;
  }
}
