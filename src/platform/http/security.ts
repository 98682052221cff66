import type { MiddlewareHandler } from 'hono';
import type { Config } from '../../config';
import { AppError } from '../../shared/errors';
import { baseUrl } from './request';
import type { AppEnv } from './types';

// Scripts and styles only from Folio itself: no inline script, no CDN.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Security headers on every response. */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set('Content-Security-Policy', CSP);
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('X-Frame-Options', 'DENY');
    h.set('Referrer-Policy', 'same-origin');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (new URL(c.req.url).protocol === 'https:') h.set('Strict-Transport-Security', 'max-age=31536000');
  };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF protection for cookie-authenticated writes: the browser's Origin header (or, lacking
 * it, Sec-Fetch-Site) must show the request comes from Folio's own pages. Requests that
 * carry a bearer token are not exposed to CSRF and pass, as do `exempt` paths that prove
 * their origin otherwise (signed SAML responses).
 */
export function csrfProtection(config: Config, opts: { exempt?: (path: string) => boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!UNSAFE.has(c.req.method) || c.req.header('Authorization')?.startsWith('Bearer ')) return next();
    if (opts.exempt?.(c.req.path)) return next();
    const origin = c.req.header('Origin');
    const allowed = new Set([new URL(c.req.url).origin, baseUrl(c, config)]);
    const ok = origin ? allowed.has(origin) : c.req.header('Sec-Fetch-Site') === 'same-origin';
    if (!ok) throw new AppError('csrf_rejected', 'This request did not come from a Folio page. Reload the page and try again.');
    return next();
  };
}
