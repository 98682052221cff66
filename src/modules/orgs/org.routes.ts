import { Hono } from 'hono';
import { z } from 'zod';
import { abilities } from '../../authz';
import { requireUser } from '../../platform/http/auth';
import { readJson, validate } from '../../platform/http/input';
import { baseUrl } from '../../platform/http/request';
import type { AppEnv } from '../../platform/http/types';
import type { Org } from '../../platform/db/schema';
import { createInvitation, listInvitations, revokeInvitation } from './invitation.service';
import { changeMemberRole, createOrg, getOrgMember, listMyOrgs, listOrgMembers, removeMember, renameOrg, ZOrgName, ZRole } from './org.service';
import { tenant } from './tenant';

function presentOrg(o: Org, role?: string) {
  return { id: o.id, slug: o.slug, name: o.name, role, createdAt: o.created_at, updatedAt: o.updated_at };
}

/** JSON API: `/api/v1/orgs` and everything about an organization's membership. */
export function orgRoutes() {
  const app = new Hono<AppEnv>();
  app.use('*', requireUser);

  app.get('/', async (c) => {
    const orgs = await listMyOrgs(c.get('ctx'), c.get('user')!.id);
    return c.json({ orgs: orgs.map((o) => presentOrg(o, o.role)) });
  });

  app.post('/', async (c) => {
    const body = validate(z.object({ name: ZOrgName }), await readJson(c));
    const org = await createOrg(c.get('ctx'), c.get('user')!.id, body.name);
    return c.json(presentOrg(org, 'owner'), 201);
  });

  const one = new Hono<AppEnv>();
  one.use('*', tenant);

  one.get('/', (c) => c.json({ ...presentOrg(c.get('org')!, c.get('actor')!.role), abilities: abilities(c.get('actor')!) }));

  one.patch('/', async (c) => {
    const body = validate(z.object({ name: ZOrgName }), await readJson(c));
    const org = await renameOrg(c.get('ctx'), c.get('actor')!, body.name);
    return c.json(presentOrg(org, c.get('actor')!.role));
  });

  one.get('/members', async (c) => c.json({ members: await listOrgMembers(c.get('ctx'), c.get('actor')!) }));
  one.get('/members/:userId', async (c) => c.json(await getOrgMember(c.get('ctx'), c.get('actor')!, c.req.param('userId'))));

  one.patch('/members/:userId', async (c) => {
    const body = validate(z.object({ role: ZRole }), await readJson(c));
    return c.json(await changeMemberRole(c.get('ctx'), c.get('actor')!, c.req.param('userId'), body.role));
  });

  one.delete('/members/:userId', async (c) => {
    await removeMember(c.get('ctx'), c.get('actor')!, c.req.param('userId'));
    return c.body(null, 204);
  });

  one.get('/invitations', async (c) => c.json({ invitations: await listInvitations(c.get('ctx'), c.get('actor')!) }));

  one.post('/invitations', async (c) => {
    const body = validate(z.object({ email: z.string().max(254).nullish(), role: ZRole.default('member') }), await readJson(c));
    const ctx = c.get('ctx');
    const r = await createInvitation(ctx, c.get('actor')!, body, baseUrl(c, ctx.config));
    return c.json({ ...r.invitation, link: r.link, emailed: r.emailed }, 201);
  });

  one.delete('/invitations/:id', async (c) => {
    await revokeInvitation(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    return c.body(null, 204);
  });

  app.route('/:org', one);
  return app;
}
