import type { Org, User } from '../../platform/db/schema';
import type { Ctx } from '../../shared/context';
import { AppError } from '../../shared/errors';
import { newId, sha256Hex } from '../../shared/ids';
import { isUniqueViolation } from '../../platform/db/errors';
import { recordAudit } from '../audit/audit.service';
import { createOrgWithOwner, countOrgs } from '../orgs/org.service';
import { findUserByEmail, insertUser, normalizeEmail } from '../users/user.repository';
import { assertPasswordPolicy, hashPassword, verifyPassword } from './password';
import { addFailure, clearThrottle, findThrottle, setLockedUntil } from './throttle.repository';

const INVALID = 'The email or password is incorrect.';

// Verified against when the email is unknown, so both paths take the same time.
let dummyHash: Promise<string> | undefined;

function throttleKey(email: string) {
  return sha256Hex(`login:${normalizeEmail(email)}`);
}

function minutes(ms: number) {
  const m = Math.ceil(ms / 60_000);
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/**
 * Checks an email and password and returns the account; the caller finishes the sign-in
 * through `completeSignIn` (second factor, session). Failures are counted per email,
 * whether an account exists or not; past the threshold the email is locked out with a
 * doubling delay. Errors never tell whether the email belongs to an account.
 */
export async function login(ctx: Ctx, email: string, password: string): Promise<{ user: User }> {
  const now = ctx.clock.now();
  const key = throttleKey(email);
  const throttle = await findThrottle(ctx.db, key);
  if (throttle?.locked_until && throttle.locked_until > now.toISOString()) {
    const wait = new Date(throttle.locked_until).getTime() - now.getTime();
    await recordAudit(ctx.db, ctx.clock, ctx.meta, { action: 'auth.login_failed', data: { email: normalizeEmail(email).slice(0, 200), reason: 'locked' } });
    throw new AppError('account_locked', `Too many failed sign-in attempts. Try again in ${minutes(wait)}.`, { details: { retryAfterSeconds: Math.ceil(wait / 1000) } });
  }
  const user = await findUserByEmail(ctx.db, email);
  const ok = user?.password_hash
    ? await verifyPassword(user.password_hash, password)
    : (await verifyPassword(await (dummyHash ??= hashPassword(newId())), password), false);
  if (!ok || !user || !user.is_active) {
    await recordFailure(ctx, key, email, user);
    throw new AppError('invalid_credentials', INVALID);
  }
  await clearThrottle(ctx.db, key);
  return { user };
}

async function recordFailure(ctx: Ctx, key: string, email: string, user: User | undefined) {
  const { auth } = ctx.config;
  const now = ctx.clock.now();
  const failures = await addFailure(ctx.db, key, now.toISOString());
  const reason = !user ? 'unknown_email' : !user.is_active ? 'inactive' : 'wrong_password';
  await recordAudit(ctx.db, ctx.clock, ctx.meta, {
    action: 'auth.login_failed',
    actorId: user?.id ?? null,
    targetType: user ? 'user' : undefined,
    targetId: user?.id,
    data: { email: normalizeEmail(email).slice(0, 200), reason, failures },
  });
  if (failures >= auth.lockoutThreshold) {
    const seconds = Math.min(auth.lockoutBaseSeconds * 2 ** (failures - auth.lockoutThreshold), auth.lockoutMaxSeconds);
    await setLockedUntil(ctx.db, key, new Date(now.getTime() + seconds * 1000).toISOString());
    await recordAudit(ctx.db, ctx.clock, ctx.meta, { action: 'auth.locked', targetType: user ? 'user' : undefined, targetId: user?.id, data: { seconds, failures } });
  }
}

export interface NewAccount {
  email: string;
  name: string;
  password: string;
}

/** Validates a new account's fields and hashes its password (outside any transaction). */
export async function prepareAccount(ctx: Ctx, a: NewAccount): Promise<User> {
  const email = normalizeEmail(a.email);
  assertPasswordPolicy(a.password, { minLength: ctx.config.auth.passwordMinLength, email });
  const now = ctx.clock.now().toISOString();
  return {
    id: newId(),
    email,
    name: a.name.trim() || email.split('@')[0],
    password_hash: await hashPassword(a.password),
    is_active: 1,
    last_login_at: null,
    created_at: now,
    updated_at: now,
  };
}

/** Inserts a prepared account; a taken email is a conflict. */
export async function insertAccount(ctx: Ctx, db: Ctx['db'], user: User): Promise<void> {
  try {
    await insertUser(db, user);
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', 'An account with this email already exists.');
    throw err;
  }
  await recordAudit(db, ctx.clock, ctx.meta, { action: 'user.created', actorId: user.id, targetType: 'user', targetId: user.id });
}

/** True until the first organization exists. */
export async function needsSetup(ctx: Ctx): Promise<boolean> {
  return (await countOrgs(ctx.db)) === 0;
}

/**
 * Creates an account and an organization it owns. With `firstOnly` (the setup page) it
 * refuses once any organization exists, checked inside the transaction.
 */
export async function createAccountWithOrg(
  ctx: Ctx,
  input: NewAccount & { orgName: string },
  opts: { firstOnly: boolean },
): Promise<{ user: User; org: Org }> {
  const user = await prepareAccount(ctx, input);
  const org = await ctx.db.transaction().execute(async (trx) => {
    if (opts.firstOnly && (await countOrgs(trx)) > 0) throw new AppError('setup_done', 'Folio is already set up. Sign in instead.');
    await insertAccount(ctx, trx, user);
    return createOrgWithOwner(ctx, trx, user.id, input.orgName);
  });
  return { user, org };
}
