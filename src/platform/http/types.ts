import type { Context } from 'hono';
import type { Actor } from '../../authz';
import type { Ctx } from '../../shared/context';
import type { Org, Session, User } from '../db/schema';
import type { Logger } from '../log/logger';

/** Per-request variables set by the middleware chain. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    ctx: Ctx;
    user?: User;
    session?: Session;
    authMethod?: 'session' | 'token';
    actor?: Actor;
    org?: Org;
  };
}

export type AppContextHono = Context<AppEnv>;

/** True for JSON API paths. */
export function isApi(c: Context): boolean {
  return c.req.path.startsWith('/api/');
}

/** True when htmx made the request and wants a fragment. */
export function isHtmx(c: Context): boolean {
  return c.req.header('HX-Request') === 'true';
}
