import type { MiddlewareHandler } from 'hono';
import type { Config } from '../../config';
import type { AppContext } from '../../shared/context';
import { newId } from '../../shared/ids';
import type { AppEnv } from './types';

const SAFE_ID = /^[\w.:-]{1,64}$/;

/**
 * First in the chain: a request id (the caller's if it looks safe), a child logger carrying
 * it, the service context, and one access-log line per request.
 */
export function requestContext(deps: AppContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('X-Request-Id');
    const requestId = incoming && SAFE_ID.test(incoming) ? incoming : newId(16);
    const log = deps.log.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('ctx', { ...deps, log, meta: { ip: clientIp(c, deps.config), userAgent: c.req.header('User-Agent') ?? null } });
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    const status = c.res.status;
    const line = { method: c.req.method, path: c.req.path, status, ms: Math.round(performance.now() - started), userId: c.get('user')?.id, orgId: c.get('actor')?.orgId };
    if (status >= 500) log.error(line, 'request failed');
    else log.info(line, 'request');
  };
}

function clientIp(c: Parameters<MiddlewareHandler<AppEnv>>[0], config: Config): string | null {
  if (config.server.trustProxy) {
    const fwd = c.req.header('X-Forwarded-For')?.split(',')[0]?.trim();
    if (fwd) return fwd.slice(0, 64);
  }
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

/** Whether the request reached Folio over HTTPS (directly, or through a trusted proxy). */
export function isHttps(c: Parameters<MiddlewareHandler<AppEnv>>[0], config: Config): boolean {
  if (config.server.trustProxy && c.req.header('X-Forwarded-Proto')) return c.req.header('X-Forwarded-Proto') === 'https';
  return new URL(c.req.url).protocol === 'https:';
}

/** The origin links should use: the configured public URL, or the one the request came to. */
export function baseUrl(c: Parameters<MiddlewareHandler<AppEnv>>[0], config: Config): string {
  if (config.server.publicUrl) return config.server.publicUrl.replace(/\/$/, '');
  const url = new URL(c.req.url);
  if (config.server.trustProxy) {
    const proto = c.req.header('X-Forwarded-Proto');
    const host = c.req.header('X-Forwarded-Host');
    if (proto) url.protocol = `${proto}:`;
    if (host) url.host = host;
  }
  return url.origin;
}
