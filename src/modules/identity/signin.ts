import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { setSessionCookie } from '../../platform/http/auth';
import { isHttps } from '../../platform/http/request';
import type { AppEnv } from '../../platform/http/types';
import type { SessionMethod, User } from '../../platform/db/schema';
import { recordAudit } from '../audit/audit.service';
import { createSession, type SessionOrigin } from '../auth/session.service';
import { startFlow } from './flows';
import { hasSecondFactor } from './mfa/mfa.service';

/** The cookie holding the handle of a pending second-factor challenge (sent to /login/mfa only). */
export const MFA_COOKIE = 'folio_mfa';
export const MFA_PATH = '/login/mfa';
/** How long a second-factor challenge stays open, and how many wrong codes it takes. */
export const MFA_CHALLENGE_SECONDS = 5 * 60;
export const MFA_MAX_ATTEMPTS = 5;

/** What a pending second-factor challenge remembers of the first step. */
export interface MfaChallenge {
  userId: string;
  method: SessionMethod;
  orgId: string | null;
  next: string;
  attempts: number;
}

type Origin = SessionOrigin & { method: SessionMethod };

/**
 * The last step of every sign-in method (password, LDAP, SAML, OIDC). A user with an
 * authenticator gets no session yet: a challenge starts (a short-lived flow whose handle
 * sits in an HttpOnly cookie) and the browser goes to `/login/mfa` for the code. Everyone
 * else gets the session at once. Every method calls this, so second-factor checks and
 * session limits apply to all of them alike.
 */
export async function completeSignIn(c: Context<AppEnv>, user: User, origin: Origin, next: string) {
  const ctx = c.get('ctx');
  if (await hasSecondFactor(ctx, user.id)) {
    const challenge: MfaChallenge = { userId: user.id, method: origin.method, orgId: origin.orgId ?? null, next, attempts: 0 };
    const handle = await startFlow(ctx, 'mfa', challenge.orgId, challenge, MFA_CHALLENGE_SECONDS);
    setCookie(c, MFA_COOKIE, handle, { path: MFA_PATH, httpOnly: true, sameSite: 'Lax', secure: isHttps(c, ctx.config), maxAge: MFA_CHALLENGE_SECONDS });
    return c.redirect(MFA_PATH, 303);
  }
  return startSignedInSession(c, user, { ...origin, mfa: false }, next);
}

/** Creates the session (with how it was made), records the sign-in, sets the cookie and sends the browser on. */
export async function startSignedInSession(c: Context<AppEnv>, user: User, origin: Origin, next: string) {
  const ctx = c.get('ctx');
  const { token, session } = await createSession(ctx, user.id, origin);
  await recordAudit(ctx.db, ctx.clock, ctx.meta, {
    action: 'auth.login',
    orgId: origin.orgId ?? null,
    actorId: user.id,
    targetType: 'user',
    targetId: user.id,
    data: { method: origin.method, mfa: !!origin.mfa },
  });
  setSessionCookie(c, ctx.config, token, session.expires_at);
  return c.redirect(next, 303);
}

/** Forgets the pending challenge's cookie. */
export function clearMfaCookie(c: Context<AppEnv>) {
  deleteCookie(c, MFA_COOKIE, { path: MFA_PATH });
}
