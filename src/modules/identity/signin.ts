import type { Context } from 'hono';
import { setSessionCookie } from '../../platform/http/auth';
import type { AppEnv } from '../../platform/http/types';
import type { User } from '../../platform/db/schema';
import { recordAudit } from '../audit/audit.service';
import { createSession, type SessionOrigin } from '../auth/session.service';

/**
 * The last step of every sign-in method (password, LDAP, SAML, OIDC): starts the session,
 * records the sign-in, sets the cookie and sends the browser on. Every method calls this,
 * so second-factor checks and session limits apply to all of them alike.
 */
export async function completeSignIn(c: Context<AppEnv>, user: User, origin: SessionOrigin & { method: NonNullable<SessionOrigin['method']> }, next: string) {
  const ctx = c.get('ctx');
  const { token, session } = await createSession(ctx, user.id, origin);
  await recordAudit(ctx.db, ctx.clock, ctx.meta, {
    action: 'auth.login',
    orgId: origin.orgId ?? null,
    actorId: user.id,
    targetType: 'user',
    targetId: user.id,
    data: { method: origin.method },
  });
  setSessionCookie(c, ctx.config, token, session.expires_at);
  return c.redirect(next, 303);
}
