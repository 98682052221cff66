import { randomInt } from 'node:crypto';
import QRCode from 'qrcode';
import type { Actor } from '../../../authz';
import { authorize } from '../../../authz';
import { secretBoxFor } from '../../../platform/crypto/secret-box';
import type { Db } from '../../../platform/db/db';
import type { User } from '../../../platform/db/schema';
import type { Ctx } from '../../../shared/context';
import { AppError, notFound } from '../../../shared/errors';
import { newId, sha256Hex } from '../../../shared/ids';
import { type AuditInput, recordAudit } from '../../audit/audit.service';
import { endAllSessions, markSessionMfa } from '../../auth/session.service';
import { addFailure, clearThrottle, findThrottle, setLockedUntil } from '../../auth/throttle.repository';
import { findMemberAnyState } from '../identity.repository';
import * as repo from './mfa.repository';
import { groupSecret, matchTotp, newTotpSecret, otpauthUri } from './totp';

export const RECOVERY_CODE_COUNT = 10;
// Letters and digits that cannot be mistaken for one another (no 0/o, 1/l/i).
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** Wrong codes in a row (across challenges) before a user's second factor is locked for a while. */
const MFA_LOCK_THRESHOLD = 10;

const sealContext = (userId: string) => `mfa_totp:${userId}`;

/** True when the user has a confirmed authenticator, so sign-ins ask for a code. */
export function hasSecondFactor(ctx: Ctx, userId: string): Promise<boolean> {
  return repo.hasConfirmedTotp(ctx.db, userId);
}

/** Lower case, letters and digits only: how recovery codes are compared. */
function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function recoveryHash(userId: string, code: string): string {
  return sha256Hex(`recovery:${userId}:${normalizeRecoveryCode(code)}`);
}

/** Ten fresh codes of ten characters, shown as `abcde-fghjk`. */
function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let s = '';
    for (let i = 0; i < 10; i++) s += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
    return `${s.slice(0, 5)}-${s.slice(5)}`;
  });
}

async function storeRecoveryCodes(ctx: Ctx, db: Db, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  const now = ctx.clock.now().toISOString();
  await repo.replaceRecoveryCodes(db, userId, codes.map((c) => ({ id: newId(), code_hash: recoveryHash(userId, c), created_at: now })));
  return codes;
}

/**
 * Records a user-level security event in the audit log of each organization the user
 * belongs to (or once without an organization), so every one of their administrators sees it.
 */
export async function auditForUser(ctx: Ctx, db: Db, userId: string, e: Omit<AuditInput, 'orgId'>, orgId?: string | null): Promise<void> {
  const orgIds = orgId ? [orgId] : await repo.listActiveOrgIds(db, userId);
  for (const id of orgIds.length ? orgIds : [null]) {
    await recordAudit(db, ctx.clock, ctx.meta, { ...e, orgId: id });
  }
}

export interface MfaStatus {
  enrolled: boolean;
  enrolledAt: string | null;
  recoveryCodesLeft: number;
  /** While setting up: the secret to type in, the otpauth URI and its QR code as a data: URL. */
  pending: { secret: string; uri: string; qr: string } | null;
  /** Organizations whose policy requires a second factor of this user. */
  requiredBy: { id: string; slug: string; name: string }[];
}

/** What the account's security page shows. */
export async function getMfaStatus(ctx: Ctx, user: User): Promise<MfaStatus> {
  const [row, left, requiredBy] = await Promise.all([
    repo.findTotp(ctx.db, user.id),
    repo.countUnusedRecoveryCodes(ctx.db, user.id),
    repo.listOrgsRequiringMfa(ctx.db, user.id),
  ]);
  let pending: MfaStatus['pending'] = null;
  if (row && !row.confirmed_at) {
    const secret = secretBoxFor(ctx.config).open(row.secret, sealContext(user.id));
    const uri = otpauthUri(secret, user.email);
    pending = { secret: groupSecret(secret), uri, qr: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 }) };
  }
  return { enrolled: !!row?.confirmed_at, enrolledAt: row?.confirmed_at ?? null, recoveryCodesLeft: left, pending, requiredBy };
}

/** Starts setting up an authenticator: a new secret, stored sealed and unconfirmed. */
export async function beginEnrollment(ctx: Ctx, user: User): Promise<void> {
  const stored = await repo.putPendingTotp(ctx.db, {
    user_id: user.id,
    secret: secretBoxFor(ctx.config).seal(newTotpSecret(), sealContext(user.id)),
    confirmed_at: null,
    last_step: 0,
    created_at: ctx.clock.now().toISOString(),
  });
  if (!stored) throw new AppError('conflict', 'Two-factor sign-in is already on for your account.');
}

/**
 * Confirms the authenticator with a code it shows: two-factor sign-in is on from now, the
 * current session counts as verified, and ten recovery codes are returned (shown once).
 */
export async function confirmEnrollment(ctx: Ctx, user: User, code: string, sessionId?: string): Promise<string[]> {
  const row = await repo.findTotp(ctx.db, user.id);
  if (!row || row.confirmed_at) throw new AppError('conflict', 'Start setting up two-factor sign-in first.');
  const secret = secretBoxFor(ctx.config).open(row.secret, sealContext(user.id));
  const step = matchTotp(secret, code, ctx.clock.now());
  if (step === null) throw new AppError('validation_failed', 'That code is not valid. Enter the six digits your app shows now.');
  const codes = await ctx.db.transaction().execute(async (trx) => {
    if (!(await repo.confirmTotp(trx, user.id, ctx.clock.now().toISOString(), step))) throw new AppError('conflict', 'Start setting up two-factor sign-in first.');
    const codes = await storeRecoveryCodes(ctx, trx, user.id);
    await auditForUser(ctx, trx, user.id, { action: 'mfa.enrolled', actorId: user.id, targetType: 'user', targetId: user.id, data: { method: 'totp' } });
    return codes;
  });
  if (sessionId) await markSessionMfa(ctx, sessionId);
  return codes;
}

function throttleKey(userId: string) {
  return sha256Hex(`mfa:${userId}`);
}

function minutes(ms: number) {
  const m = Math.ceil(ms / 60_000);
  return m === 1 ? '1 minute' : `${m} minutes`;
}

export type FactorUsed = 'totp' | 'recovery_code';

/**
 * Checks a code from the authenticator (six digits) or a recovery code, each usable once.
 * Returns which one matched, or null. Ten wrong codes in a row lock the second factor with
 * a doubling delay, whatever challenge they came through.
 */
export async function verifySecondFactor(ctx: Ctx, userId: string, input: string): Promise<FactorUsed | null> {
  const now = ctx.clock.now();
  const key = throttleKey(userId);
  const throttle = await findThrottle(ctx.db, key);
  if (throttle?.locked_until && throttle.locked_until > now.toISOString()) {
    const wait = new Date(throttle.locked_until).getTime() - now.getTime();
    throw new AppError('account_locked', `Too many wrong codes. Try again in ${minutes(wait)}.`, { details: { retryAfterSeconds: Math.ceil(wait / 1000) } });
  }
  const code = input.trim().slice(0, 100);
  let used: FactorUsed | null = null;
  if (/^\d{3}\s?\d{3}$/.test(code)) {
    const row = await repo.findTotp(ctx.db, userId);
    if (row?.confirmed_at) {
      const secret = secretBoxFor(ctx.config).open(row.secret, sealContext(userId));
      const step = matchTotp(secret, code, now, row.last_step);
      if (step !== null && (await repo.useTotpStep(ctx.db, userId, step))) used = 'totp';
    }
  } else if (normalizeRecoveryCode(code).length === 10) {
    if (await repo.useRecoveryCode(ctx.db, userId, recoveryHash(userId, code), now.toISOString())) used = 'recovery_code';
  }
  if (used) {
    if (throttle) await clearThrottle(ctx.db, key);
    return used;
  }
  const failures = await addFailure(ctx.db, key, now.toISOString());
  if (failures >= MFA_LOCK_THRESHOLD) {
    const { auth } = ctx.config;
    const seconds = Math.min(auth.lockoutBaseSeconds * 2 ** (failures - MFA_LOCK_THRESHOLD), auth.lockoutMaxSeconds);
    await setLockedUntil(ctx.db, key, new Date(now.getTime() + seconds * 1000).toISOString());
  }
  return null;
}

/** New recovery codes in place of the old ones; needs a current authenticator code. */
export async function regenerateRecoveryCodes(ctx: Ctx, user: User, code: string): Promise<string[]> {
  if (!(await repo.hasConfirmedTotp(ctx.db, user.id))) throw new AppError('conflict', 'Two-factor sign-in is not on for your account.');
  if (!/^\d{3}\s?\d{3}$/.test(code.trim()) || (await verifySecondFactor(ctx, user.id, code)) !== 'totp') {
    throw new AppError('validation_failed', 'That code is not valid. Enter the six digits your authenticator app shows now.');
  }
  return ctx.db.transaction().execute(async (trx) => {
    const codes = await storeRecoveryCodes(ctx, trx, user.id);
    await auditForUser(ctx, trx, user.id, { action: 'mfa.recovery_codes_regenerated', actorId: user.id, targetType: 'user', targetId: user.id });
    return codes;
  });
}

/** Turns two-factor sign-in off with a current code; refused while an organization of the user requires it. */
export async function disableMfa(ctx: Ctx, user: User, code: string): Promise<void> {
  if (!(await repo.hasConfirmedTotp(ctx.db, user.id))) throw new AppError('conflict', 'Two-factor sign-in is not on for your account.');
  const requiredBy = await repo.listOrgsRequiringMfa(ctx.db, user.id);
  if (requiredBy.length) {
    throw new AppError('forbidden', `Two-factor sign-in is required by ${requiredBy.map((o) => o.name).join(', ')}, so it cannot be turned off.`);
  }
  if (!(await verifySecondFactor(ctx, user.id, code))) throw new AppError('validation_failed', 'That code is not valid.');
  await ctx.db.transaction().execute(async (trx) => {
    await repo.deleteTotp(trx, user.id);
    await repo.deleteRecoveryCodes(trx, user.id);
    await auditForUser(ctx, trx, user.id, { action: 'mfa.disabled', actorId: user.id, targetType: 'user', targetId: user.id });
  });
}

/**
 * The member of the actor's organization an administrator acts on: another organization's
 * user is not found; only owners act on owners; nobody acts on themselves this way.
 */
export async function memberForSecurityAction(ctx: Ctx, actor: Actor, userId: string) {
  authorize(actor, 'signin.manage');
  const member = /^[a-z0-9]{1,64}$/.test(userId) ? await findMemberAnyState(ctx.db, actor.orgId, userId) : undefined;
  if (!member) throw notFound('Member');
  if (member.role === 'owner' && actor.role !== 'owner') throw new AppError('forbidden', 'Only an owner can do this to another owner.');
  if (userId === actor.userId) throw new AppError('bad_request', 'Use your own account security page for your own account.');
  return member;
}

/**
 * An administrator removes a member's authenticator and recovery codes (lost phone): the
 * member signs in without a code next time and sets up a new one; their sessions end.
 */
export async function resetMfaByAdmin(ctx: Ctx, actor: Actor, userId: string): Promise<{ sessionsEnded: number }> {
  await memberForSecurityAction(ctx, actor, userId);
  await ctx.db.transaction().execute(async (trx) => {
    const removed = await repo.deleteTotp(trx, userId);
    await repo.deleteRecoveryCodes(trx, userId);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'mfa.reset_by_admin', orgId: actor.orgId, actorId: actor.userId, targetType: 'user', targetId: userId, data: { hadFactor: removed > 0 } });
  });
  return { sessionsEnded: await endAllSessions(ctx, userId) };
}

/** An administrator ends every session of a member (they must sign in again everywhere). */
export async function revokeMemberSessions(ctx: Ctx, actor: Actor, userId: string): Promise<{ sessionsEnded: number }> {
  await memberForSecurityAction(ctx, actor, userId);
  const ended = await endAllSessions(ctx, userId);
  await recordAudit(ctx.db, ctx.clock, ctx.meta, { action: 'session.revoked_by_admin', orgId: actor.orgId, actorId: actor.userId, targetType: 'user', targetId: userId, data: { ended } });
  return { sessionsEnded: ended };
}

/** Marks the current session as verified after a code was accepted (step-up for an organization that requires it). */
export async function verifyCurrentSession(ctx: Ctx, user: User, sessionId: string, code: string): Promise<void> {
  const used = await verifySecondFactor(ctx, user.id, code);
  if (!used) {
    await auditForUser(ctx, ctx.db, user.id, { action: 'mfa.challenge_failed', actorId: user.id, targetType: 'user', targetId: user.id, data: { step: 'session' } });
    throw new AppError('validation_failed', 'That code is not valid.');
  }
  await markSessionMfa(ctx, sessionId);
  const audit = { actorId: user.id, targetType: 'user', targetId: user.id } as const;
  await auditForUser(ctx, ctx.db, user.id, { ...audit, action: 'mfa.challenge_passed', data: { step: 'session', factor: used } });
  if (used === 'recovery_code') await auditForUser(ctx, ctx.db, user.id, { ...audit, action: 'mfa.recovery_code_used' });
}
