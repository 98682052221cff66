import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db';
import { cookieFrom, useTestApp } from '../support/app';
import { apiToken, buildMember, buildOrg, buildUser, PASSWORD, sessionCookie } from '../support/factories';

for (const dialect of DIALECTS) {
  describe(`organizations and members (${dialect})`, () => {
    const t = useTestApp(dialect, { withMailer: true });

    it('creates, lists, renames organizations; a user can belong to several', async () => {
      const user = await buildUser(t().ctx);
      const token = await apiToken(t().ctx, user.id);
      const a = await t().request('POST', '/api/v1/orgs', { token, json: { name: 'Zeta Labs' } });
      expect(a.status).toBe(201);
      const b = await (await t().request('POST', '/api/v1/orgs', { token, json: { name: 'Zeta Labs' } })).json();
      expect(b.slug).not.toBe((await a.json()).slug);
      const list = await (await t().request('GET', '/api/v1/orgs', { token })).json();
      expect(list.orgs).toHaveLength(2);
      expect(list.orgs.every((o: { role: string }) => o.role === 'owner')).toBe(true);
      t().clock.advance(1000);
      const renamed = await t().request('PATCH', `/api/v1/orgs/${b.slug}`, { token, json: { name: 'Zeta Research' } });
      expect((await renamed.json()).name).toBe('Zeta Research');
      const audit = await (await t().request('GET', `/api/v1/orgs/${b.slug}/audit-events`, { token })).json();
      expect(audit.events.map((e: { action: string }) => e.action).filter((a: string) => a.startsWith('org.'))).toEqual(['org.updated', 'org.created']);
      expect(audit.events[0].data).toEqual({ name: { from: 'Zeta Labs', to: 'Zeta Research' } });
    });

    it('lets admins change roles but keeps owners in charge of ownership and the last owner in place', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const admin = await buildMember(t().ctx, org.id, 'admin');
      const viewer = await buildMember(t().ctx, org.id, 'viewer');
      const adminToken = await apiToken(t().ctx, admin.id);
      const ownerToken = await apiToken(t().ctx, ownerId);
      const base = `/api/v1/orgs/${org.slug}/members`;
      const promoted = await t().request('PATCH', `${base}/${viewer.id}`, { token: adminToken, json: { role: 'member' } });
      expect(promoted.status).toBe(200);
      expect((await promoted.json()).role).toBe('member');
      expect((await t().request('PATCH', `${base}/${viewer.id}`, { token: adminToken, json: { role: 'owner' } })).status).toBe(403);
      expect((await t().request('PATCH', `${base}/${ownerId}`, { token: adminToken, json: { role: 'viewer' } })).status).toBe(403);
      const bogus = await t().request('PATCH', `${base}/${viewer.id}`, { token: ownerToken, json: { role: 'emperor' } });
      expect(bogus.status).toBe(400);
      const last = await t().request('PATCH', `${base}/${ownerId}`, { token: ownerToken, json: { role: 'admin' } });
      expect(last.status).toBe(409);
      expect((await last.json()).error.code).toBe('last_owner');
      const viewerToken = await apiToken(t().ctx, viewer.id);
      expect((await t().request('DELETE', `${base}/${admin.id}`, { token: viewerToken })).status).toBe(403);
      expect((await t().request('DELETE', `${base}/${admin.id}`, { token: ownerToken })).status).toBe(204);
      expect((await t().request('GET', `${base}/${admin.id}`, { token: ownerToken })).status).toBe(404);
      // The removed admin no longer sees the organization at all.
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}`, { token: adminToken })).status).toBe(404);
      const actions = (await (await t().request('GET', `/api/v1/orgs/${org.slug}/audit-events`, { token: ownerToken })).json()).events.map((e: { action: string }) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['member.role_changed', 'member.removed']));
    });

    it('invites by link: a new person creates an account through it and joins with the invited role', async () => {
      const { org, ownerId } = await buildOrg(t().ctx, { name: 'Invite Co' });
      const token = await apiToken(t().ctx, ownerId);
      const inv = await t().request('POST', `/api/v1/orgs/${org.slug}/invitations`, { token, json: { email: 'New.Person@Example.com', role: 'admin' } });
      expect(inv.status).toBe(201);
      const { link, emailed } = await inv.json();
      expect(emailed).toBe(true);
      expect(t().mail.at(-1)).toMatchObject({ to: 'new.person@example.com', text: expect.stringContaining(link) });
      const path = new URL(link).pathname;
      const page = await t().request('GET', path);
      expect(await page.text()).toContain('Join Invite Co');
      const weak = await t().request('POST', path, { form: { name: 'New', password: 'short' } });
      expect(weak.status).toBe(400);
      expect(await weak.text()).toContain('at least 10 characters');
      const joined = await t().request('POST', path, { form: { name: 'New Person', password: PASSWORD } });
      expect(joined.status).toBe(303);
      const me = await (await t().request('GET', '/api/v1/me', { cookie: cookieFrom(joined) })).json();
      expect(me).toMatchObject({ email: 'new.person@example.com', orgs: [{ slug: org.slug, role: 'admin' }] });
      const reused = await t().request('GET', path);
      expect(reused.status).toBe(409);
      expect(await reused.text()).toContain('already been used');
    });

    it('an existing user accepts with their account; links for someone else, withdrawn or expired links fail clearly', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const token = await apiToken(t().ctx, ownerId);
      const existing = await buildUser(t().ctx);
      const cookie = await sessionCookie(t().ctx, existing.id);
      const open = await (await t().request('POST', `/api/v1/orgs/${org.slug}/invitations`, { token, json: { role: 'viewer' } })).json();
      expect((await t().request('POST', new URL(open.link).pathname, { cookie, form: {} })).headers.get('Location')).toBe(`/o/${org.slug}`);
      const forOther = await (await t().request('POST', `/api/v1/orgs/${org.slug}/invitations`, { token, json: { email: 'someone@else.test' } })).json();
      const wrong = await t().request('POST', new URL(forOther.link).pathname, { cookie, form: {} });
      expect(wrong.status).toBe(403);
      expect(await wrong.text()).toContain('This invitation is for someone@else.test');
      expect((await t().request('DELETE', `/api/v1/orgs/${org.slug}/invitations/${forOther.id}`, { token })).status).toBe(204);
      expect(await (await t().request('GET', new URL(forOther.link).pathname)).text()).toContain('withdrawn');
      const stale = await (await t().request('POST', `/api/v1/orgs/${org.slug}/invitations`, { token, json: {} })).json();
      t().clock.advance(8 * 24 * 3600 * 1000);
      expect(await (await t().request('GET', new URL(stale.link).pathname)).text()).toContain('expired');
      expect((await t().request('GET', '/invite/not-a-real-token')).status).toBe(404);
    });

    it('refuses a duplicate email with 409 and a weak password with the rule it breaks', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const taken = await buildUser(t().ctx);
      const token = await apiToken(t().ctx, ownerId);
      const inv = await (await t().request('POST', `/api/v1/orgs/${org.slug}/invitations`, { token, json: {} })).json();
      const dup = await t().request('POST', new URL(inv.link).pathname, { form: { name: 'Dup', email: taken.email.toUpperCase(), password: PASSWORD } });
      expect(dup.status).toBe(409);
      expect(await dup.text()).toContain('already exists');
      const bad = await t().request('POST', new URL(inv.link).pathname, { form: { name: 'Sam', email: 'samuel@x.test', password: 'samuel-2024!' } });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('Do not use your email address');
    });

    it('members page shows people with role controls only to those who may use them', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const viewer = await buildMember(t().ctx, org.id, 'viewer', { name: 'Vera Viewer' });
      const ownerPage = await (await t().request('GET', `/o/${org.slug}/members`, { cookie: await sessionCookie(t().ctx, ownerId) })).text();
      expect(ownerPage).toContain('Vera Viewer');
      expect(ownerPage).toContain('Invite someone');
      expect(ownerPage).toContain(`hx-post="/o/${org.slug}/members/${viewer.id}/role"`);
      const viewerPage = await (await t().request('GET', `/o/${org.slug}/members`, { cookie: await sessionCookie(t().ctx, viewer.id) })).text();
      expect(viewerPage).not.toContain('Invite someone');
      expect(viewerPage).not.toContain('/role"');
      expect(viewerPage).not.toContain('Audit log');
      const htmx = await t().request('POST', `/o/${org.slug}/members/${viewer.id}/role`, { cookie: await sessionCookie(t().ctx, ownerId), form: { role: 'member' }, headers: { 'HX-Request': 'true' } });
      const fragment = await htmx.text();
      expect(fragment.startsWith('<tr id="member-')).toBe(true);
      expect(fragment).toContain('<option value="member" selected');
    });

    it("shows admins their members' sign-ins and failures in the audit log, with IP and browser", async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const member = await buildMember(t().ctx, org.id, 'member');
      const outsider = await buildUser(t().ctx);
      await t().request('POST', '/login', { form: { email: member.email, password: 'wrong-password!' }, headers: { 'User-Agent': 'Test Browser' } });
      await t().request('POST', '/login', { form: { email: member.email, password: PASSWORD }, headers: { 'User-Agent': 'Test Browser' } });
      await t().request('POST', '/login', { form: { email: outsider.email, password: PASSWORD } });
      const events = (await (await t().request('GET', `/api/v1/orgs/${org.slug}/audit-events`, { token: await apiToken(t().ctx, ownerId) })).json()).events;
      const mine = events.filter((e: { actorId: string }) => e.actorId === member.id).map((e: { action: string }) => e.action);
      expect(mine).toEqual(expect.arrayContaining(['auth.login', 'auth.login_failed']));
      expect(events.find((e: { action: string }) => e.action === 'auth.login').userAgent).toBe('Test Browser');
      expect(events.some((e: { actorId: string }) => e.actorId === outsider.id)).toBe(false);
      const memberToken = await apiToken(t().ctx, member.id);
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}/audit-events`, { token: memberToken })).status).toBe(403);
    });

    it('teams nest, hold members of the organization only, and cannot contain themselves', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const token = await apiToken(t().ctx, ownerId);
      const base = `/api/v1/orgs/${org.slug}/teams`;
      const eng = await (await t().request('POST', base, { token, json: { name: 'Engineering' } })).json();
      const web = await (await t().request('POST', base, { token, json: { name: 'Web', parentId: eng.id } })).json();
      expect(web.path).toEqual(['Engineering', 'Web']);
      expect((await t().request('PATCH', `${base}/${eng.id}`, { token, json: { parentId: web.id } })).status).toBe(400);
      const outsider = await buildUser(t().ctx);
      expect((await t().request('PUT', `${base}/${web.id}/members/${outsider.id}`, { token })).status).toBe(400);
      const dev = await buildMember(t().ctx, org.id, 'member');
      expect((await t().request('PUT', `${base}/${web.id}/members/${dev.id}`, { token })).status).toBe(204);
      expect((await (await t().request('GET', `${base}/${web.id}`, { token })).json()).members).toEqual([expect.objectContaining({ userId: dev.id })]);
      expect((await t().request('DELETE', `${base}/${eng.id}`, { token })).status).toBe(204);
      expect((await (await t().request('GET', base, { token })).json()).teams).toEqual([]);
    });
  });
}
