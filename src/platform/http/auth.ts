import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../../config';
import type { Session } from '../db/schema';
import { AppError } from '../../shared/errors';
import { isHttps } from './request';
import { type AppEnv, isApi } from './types';

export const SESSION_COOKIE = 'folio_session';

/** How the auth middleware reaches the account services (kept as ports: platform never imports modules). */
export interface AuthPorts {
  validateSession(token: string): Promise<{ session: Session; user: import('../db/schema').User; renewed: boolean } | null>;
  authenticateToken(token: string): Promise<{ user: import('../db/schema').User } | null>;
}

/** Writes the session cookie: HttpOnly, SameSite=Lax, Secure when served over HTTPS. */
export function setSessionCookie(c: Context<AppEnv>, config: Config, token: string, expiresAt: string) {
  setCookie(c, SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c, config),
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(c: Context<AppEnv>) {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

/**
 * Identifies the caller from `Authorization: Bearer <personal token>` or the session
 * cookie. A bearer token that does not work is an error at once; a stale cookie is simply
 * dropped.
 */
export function authenticate(config: Config, ports: AuthPorts): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('Authorization');
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const found = m ? await ports.authenticateToken(m[1]) : null;
      if (!found) throw new AppError('unauthenticated', 'The API token is missing, invalid, expired or revoked.');
      c.set('user', found.user);
      c.set('authMethod', 'token');
      return next();
    }
    const token = getCookie(c, SESSION_COOKIE);
    if (token) {
      const valid = await ports.validateSession(token);
      if (valid) {
        c.set('user', valid.user);
        c.set('session', valid.session);
        c.set('authMethod', 'session');
        if (valid.renewed) setSessionCookie(c, config, token, valid.session.expires_at);
      } else {
        clearSessionCookie(c);
      }
    }
    return next();
  };
}

/** Stops anonymous requests: 401 for the API, a redirect to the login page for pages. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get('user')) return next();
  if (isApi(c) || c.req.method !== 'GET') throw new AppError('unauthenticated', 'Sign in first.');
  const next_ = c.req.path + (new URL(c.req.url).search || '');
  return c.redirect(`/login?next=${encodeURIComponent(next_)}`, 302);
};
