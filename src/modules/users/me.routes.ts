import { Hono } from 'hono';
import { requireUser } from '../../platform/http/auth';
import type { AppEnv } from '../../platform/http/types';
import { listMyOrgs } from '../orgs/org.service';

/** `GET /api/v1/me`: the caller and their organizations. */
export function meRoutes() {
  const app = new Hono<AppEnv>();
  app.get('/', requireUser, async (c) => {
    const user = c.get('user')!;
    const orgs = await listMyOrgs(c.get('ctx'), user.id);
    return c.json({
      id: user.id,
      email: user.email,
      name: user.name,
      createdAt: user.created_at,
      lastLoginAt: user.last_login_at,
      authMethod: c.get('authMethod'),
      orgs: orgs.map((o) => ({ id: o.id, slug: o.slug, name: o.name, role: o.role })),
    });
  });
  return app;
}
