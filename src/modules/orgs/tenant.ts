import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../platform/http/types';
import { AppError } from '../../shared/errors';
import { resolveMembership } from './org.service';

/**
 * For routes under an organization (`:org` is its slug or id): the caller must be a member,
 * and anyone else gets 404 as if it did not exist. Sets `org` and `actor`.
 */
export const tenant: MiddlewareHandler<AppEnv> = async (c, next) => {
  const user = c.get('user');
  if (!user) throw new AppError('unauthenticated', 'Sign in first.');
  const { org, actor } = await resolveMembership(c.get('ctx'), c.req.param('org') ?? '', user.id);
  c.set('org', org);
  c.set('actor', actor);
  c.set('log', c.get('log').child({ orgId: org.id, userId: user.id }));
  await next();
};
