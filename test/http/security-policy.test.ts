import { describe, expect, it } from 'vitest';
import { createSession } from '../../src/modules/auth/session.service';
import { base32Decode, totp } from '../../src/modules/identity/mfa/totp';
import { DIALECTS } from '../support/db';
import { cookieFrom, type TestApp, useTestApp } from '../support/app';
import { apiToken, buildMember, buildOrg, PASSWORD, sessionCookie } from '../support/factories';

const MINUTE = 60_000;

/** Request headers of a browser at `ip` (the test app trusts X-Forwarded-For, as behind a proxy). */
const from = (ip: string) => ({ 'X-Forwarded-For': ip, 'User-Agent': 'Policy test browser' });

async function setPolicy(t: TestApp, slug: string, token: string, body: Record<string, unknown>, ip = '10.0.0.1') {
  return t.request('PUT', `/api/v1/orgs/${slug}/security-policy`, { token, json: body, headers: from(ip) });
}

async function enroll(t: TestApp, cookie: string, required?: string) {
  const q = required ? `?required=${required}` : '';
  await t.request('POST', `/account/security/totp${q}`, { cookie });
  const html = await (await t.request('GET', `/account/security${q}`, { cookie })).text();
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(html)![1].replace(/ /g, '');
  const res = await t.request('POST', `/account/security/totp/confirm${q}`, { cookie, form: { code: totp(base32Decode(secret), t.clock.now()) } });
  expect(res.status).toBe(200);
  t.clock.advance(30_000);
  return { secret, html: await res.text() };
}

async function events(t: TestApp, action: string) {
  return t.ctx.db.selectFrom('audit_event').selectAll().where('action', '=', action).execute();
}

for (const dialect of DIALECTS) {
  describe(`organization security policy (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { server: { trustProxy: true } } });

    it('admins read and change the policy; members cannot; bad values are explained', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const token = await apiToken(t().ctx, ownerId);
      expect(await (await t().request('GET', `/api/v1/orgs/${org.slug}/security-policy`, { token })).json()).toEqual({
        mfaRequired: 'off', idleTimeoutMinutes: null, absoluteLifetimeHours: null, maxSessions: null, ipAllowlist: [], ssoOnly: null, updatedAt: null,
      });
      const member = await buildMember(t().ctx, org.id, 'member');
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}/security-policy`, { token: await apiToken(t().ctx, member.id) })).status).toBe(403);
      const stranger = await buildOrg(t().ctx);
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}/security-policy`, { token: await apiToken(t().ctx, stranger.ownerId) })).status).toBe(404);
      const bad = await setPolicy(t(), org.slug, token, { ipAllowlist: ['10.0.0.0/8', '10.0.0.0/33', 'intranet'], idleTimeoutMinutes: 2 });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toContain('at least 5');
      const badList = await setPolicy(t(), org.slug, token, { ipAllowlist: ['10.0.0.0/8', '10.0.0.0/33', 'intranet'] });
      const msg = (await badList.json()).error.message;
      expect(msg).toContain('Line 2: "10.0.0.0/33": the prefix must be a number from 0 to 32 for IPv4.');
      expect(msg).toContain('Line 3: "intranet" is not an IPv4 or IPv6 address');
      const ok = await setPolicy(t(), org.slug, token, { mfaRequired: 'admins', idleTimeoutMinutes: 30, maxSessions: 3 });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ mfaRequired: 'admins', idleTimeoutMinutes: 30, maxSessions: 3, absoluteLifetimeHours: null });
      const [changed] = await events(t(), 'security.policy_changed').then((e) => e.filter((x) => x.org_id === org.id));
      expect(changed).toMatchObject({ actor_id: ownerId, ip: '10.0.0.1', user_agent: 'Policy test browser' });
      expect(JSON.parse(changed.data!)).toMatchObject({ mfaRequired: { from: 'off', to: 'admins' } });
      // The page shows the same and saves through a form.
      const cookie = await sessionCookie(t().ctx, ownerId);
      await enroll(t(), cookie);
      const page = await (await t().request('GET', `/o/${org.slug}/settings/security`, { cookie, headers: from('10.0.0.1') })).text();
      expect(page).toContain('<option value="admins" selected');
      const saved = await t().request('POST', `/o/${org.slug}/settings/security`, {
        cookie,
        headers: from('10.0.0.1'),
        form: { mfaRequired: 'admins', idleTimeoutMinutes: '', absoluteLifetimeHours: '12', maxSessions: 'lots', ipAllowlist: '' },
      });
      expect(saved.status).toBe(400);
      expect(await saved.text()).toContain('must be a whole number');
    });

    it('an organization requiring two-factor sends members to set it up first; their other organizations stay open', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const user = await buildMember(t().ctx, org.id, 'member');
      const other = await buildOrg(t().ctx);
      await t().ctx.db.insertInto('org_member').values({ org_id: other.org.id, user_id: user.id, role: 'member', created_at: t().clock.now().toISOString() }).execute();
      const ownerCookie = await sessionCookie(t().ctx, ownerId);
      await enroll(t(), ownerCookie);
      await setPolicy(t(), org.slug, await apiToken(t().ctx, ownerId), { mfaRequired: 'all' });
      const cookie = await sessionCookie(t().ctx, user.id);
      const token = await apiToken(t().ctx, user.id);
      const pageRes = await t().request('GET', `/o/${org.slug}/documents`, { cookie });
      expect(pageRes.status).toBe(302);
      expect(pageRes.headers.get('Location')).toBe(`/account/security?required=${org.slug}`);
      const api = await t().request('GET', `/api/v1/orgs/${org.slug}`, { cookie });
      expect(api.status).toBe(403);
      expect((await api.json()).error.code).toBe('mfa_required');
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}`, { token })).status).toBe(403);
      expect((await t().request('GET', `/o/${other.org.slug}`, { cookie })).status).toBe(200);
      expect((await t().request('GET', `/api/v1/orgs/${other.org.slug}`, { token })).status).toBe(200);
      const prompt = await (await t().request('GET', `/account/security?required=${org.slug}`, { cookie })).text();
      expect(prompt).toContain(`${org.name} requires two-factor sign-in. Set it up below to continue.`);
      const { html, secret } = await enroll(t(), cookie, org.slug);
      expect(html).toContain(`href="/o/${org.slug}"`);
      expect((await t().request('GET', `/o/${org.slug}`, { cookie })).status).toBe(200);
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}`, { token })).status).toBe(200);
      // A session started before the factor existed must verify once.
      const older = await sessionCookie(t().ctx, user.id);
      expect((await t().request('GET', `/o/${org.slug}`, { cookie: older })).headers.get('Location')).toBe(`/account/security?required=${org.slug}`);
      const verify = await t().request('POST', `/account/security/verify?required=${org.slug}`, { cookie: older, form: { code: totp(base32Decode(secret), t().clock.now()) } });
      expect(verify.headers.get('Location')).toBe(`/o/${org.slug}`);
      expect((await t().request('GET', `/o/${org.slug}`, { cookie: older })).status).toBe(200);
    });

    it('"admins" requires two-factor of administrators and owners only', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      await enroll(t(), await sessionCookie(t().ctx, ownerId));
      await setPolicy(t(), org.slug, await apiToken(t().ctx, ownerId), { mfaRequired: 'admins' });
      const admin = await buildMember(t().ctx, org.id, 'admin');
      const member = await buildMember(t().ctx, org.id, 'member');
      expect((await t().request('GET', `/o/${org.slug}`, { cookie: await sessionCookie(t().ctx, admin.id) })).status).toBe(302);
      expect((await t().request('GET', `/o/${org.slug}`, { cookie: await sessionCookie(t().ctx, member.id) })).status).toBe(200);
    });

    it('ends sessions idle too long, and sessions older than the lifetime however active', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      await setPolicy(t(), org.slug, await apiToken(t().ctx, ownerId), { idleTimeoutMinutes: 30, absoluteLifetimeHours: 2 });
      const user = await buildMember(t().ctx, org.id, 'member');
      const idle = await sessionCookie(t().ctx, user.id);
      const busy = await sessionCookie(t().ctx, user.id);
      for (let i = 0; i < 5; i++) {
        t().clock.advance(20 * MINUTE);
        expect((await t().request('GET', `/o/${org.slug}`, { cookie: busy })).status).toBe(200);
      }
      // The idle one was not used for 100 minutes.
      const ended = await t().request('GET', `/o/${org.slug}/documents`, { cookie: idle });
      expect(ended.status).toBe(302);
      expect(ended.headers.get('Location')).toBe(`/login?next=${encodeURIComponent(`/o/${org.slug}/documents`)}`);
      expect((await t().request('GET', '/api/v1/me', { cookie: idle })).status).toBe(401);
      // Two hours after it started, the busy one ends too; the API says 401.
      t().clock.advance(25 * MINUTE);
      const api = await t().request('GET', `/api/v1/orgs/${org.slug}`, { cookie: busy });
      expect(api.status).toBe(401);
      expect((await api.json()).error.message).toContain('sign in again every 2 hours');
      const reasons = (await events(t(), 'session.expired_by_policy')).filter((e) => e.org_id === org.id).map((e) => JSON.parse(e.data!).reason);
      expect(reasons.sort()).toEqual(['idle', 'lifetime']);
    });

    it('keeps only the newest sessions when the organization limits them', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      await setPolicy(t(), org.slug, await apiToken(t().ctx, ownerId), { maxSessions: 2 });
      const user = await buildMember(t().ctx, org.id, 'member');
      const cookies: string[] = [];
      for (let i = 0; i < 3; i++) {
        t().clock.advance(MINUTE);
        const res = await t().request('POST', '/login', { form: { email: user.email, password: PASSWORD } });
        cookies.push(cookieFrom(res));
      }
      const status = await Promise.all(cookies.map(async (cookie) => (await t().request('GET', '/api/v1/me', { cookie })).status));
      expect(status).toEqual([401, 200, 200]);
      const [event] = (await events(t(), 'session.expired_by_policy')).filter((e) => e.target_id === user.id);
      expect(event.org_id).toBe(org.id);
      expect(JSON.parse(event.data!)).toMatchObject({ reason: 'max_sessions', ended: 1 });
    });

    it('an IP allowlist blocks pages and API tokens from outside, lets inside addresses in, IPv6 too', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const ownerToken = await apiToken(t().ctx, ownerId);
      expect((await setPolicy(t(), org.slug, ownerToken, { ipAllowlist: ['10.0.0.0/8', '2001:db8:abcd::/48'] }, '10.9.9.9')).status).toBe(200);
      const user = await buildMember(t().ctx, org.id, 'member');
      const cookie = await sessionCookie(t().ctx, user.id);
      const token = await apiToken(t().ctx, user.id);
      const page = await t().request('GET', `/o/${org.slug}`, { cookie, headers: from('203.0.113.5') });
      expect(page.status).toBe(403);
      expect(await page.text()).toContain('your address (203.0.113.5) is not one of them');
      const api = await t().request('GET', `/api/v1/orgs/${org.slug}/documents`, { token, headers: from('203.0.113.5') });
      expect(api.status).toBe(403);
      expect((await api.json()).error.code).toBe('ip_not_allowed');
      expect((await t().request('GET', `/o/${org.slug}`, { cookie, headers: from('10.1.2.3') })).status).toBe(200);
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}`, { token, headers: from('2001:db8:abcd:7::1') })).status).toBe(200);
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}`, { token, headers: from('2001:db8:abce::1') })).status).toBe(403);
      // Outside the organization, the account still works.
      expect((await t().request('GET', '/api/v1/me', { token, headers: from('203.0.113.5') })).status).toBe(200);
      // Blocked requests are recorded, at most once a minute per person and address.
      const blocked = (await events(t(), 'security.ip_blocked')).filter((e) => e.org_id === org.id);
      expect(blocked.map((e) => e.ip).sort()).toEqual(['2001:db8:abce::1', '203.0.113.5']);
      expect(blocked[0]).toMatchObject({ actor_id: user.id, user_agent: 'Policy test browser' });
      t().clock.advance(2 * MINUTE);
      await t().request('GET', `/o/${org.slug}`, { cookie, headers: from('203.0.113.5') });
      expect((await events(t(), 'security.ip_blocked')).filter((e) => e.org_id === org.id)).toHaveLength(3);
    });

    it('refuses an allowlist that would lock the administrator out unless confirmed', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const token = await apiToken(t().ctx, ownerId);
      const refused = await setPolicy(t(), org.slug, token, { ipAllowlist: ['192.168.0.0/16'] }, '10.0.0.7');
      expect(refused.status).toBe(400);
      expect((await refused.json()).error.message).toContain('Your current address, 10.0.0.7, is not in this allowlist');
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}/security-policy`, { token, headers: from('10.0.0.7') })).status).toBe(200);
      const cookie = await sessionCookie(t().ctx, ownerId);
      const form = await t().request('POST', `/o/${org.slug}/settings/security`, { cookie, headers: from('10.0.0.7'), form: { mfaRequired: 'off', ipAllowlist: '192.168.0.0/16' } });
      expect(form.status).toBe(400);
      const html = await form.text();
      expect(html).toContain('Your current address, 10.0.0.7, is not in this list');
      expect(html).toContain('name="confirmLockout"');
      const confirmed = await t().request('POST', `/o/${org.slug}/settings/security`, {
        cookie,
        headers: from('10.0.0.7'),
        form: { mfaRequired: 'off', ipAllowlist: '192.168.0.0/16', confirmLockout: 'yes' },
      });
      expect(confirmed.status).toBe(303);
      expect((await t().request('GET', `/o/${org.slug}`, { cookie, headers: from('10.0.0.7') })).status).toBe(403);
      // From inside, the API needs no confirmation.
      expect((await setPolicy(t(), org.slug, token, { ipAllowlist: ['192.168.0.0/16', '10.0.0.0/8'] }, '192.168.4.4')).status).toBe(200);
    });

    it("one organization's single sign-on session does not open another organization", async () => {
      const a = await buildOrg(t().ctx);
      const b = await buildOrg(t().ctx);
      const user = await buildMember(t().ctx, a.org.id, 'member');
      await t().ctx.db.insertInto('org_member').values({ org_id: b.org.id, user_id: user.id, role: 'admin', created_at: t().clock.now().toISOString() }).execute();
      const { token } = await createSession(t().ctx, user.id, { method: 'oidc', orgId: a.org.id });
      const cookie = `folio_session=${token}`;
      expect((await t().request('GET', `/o/${a.org.slug}`, { cookie })).status).toBe(200);
      expect((await t().request('GET', `/o/${b.org.slug}`, { cookie })).status).toBe(404);
      expect((await t().request('GET', `/api/v1/orgs/${b.org.slug}/members`, { cookie })).status).toBe(404);
    });

    it('single sign-on only: members must come through it; owners keep a password way in', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      await setPolicy(t(), org.slug, await apiToken(t().ctx, ownerId), { ssoOnly: 'saml' });
      const user = await buildMember(t().ctx, org.id, 'admin');
      const password = await sessionCookie(t().ctx, user.id);
      const res = await t().request('GET', `/o/${org.slug}/members`, { cookie: password });
      expect(res.headers.get('Location')).toBe(`/sso/${org.slug}?next=${encodeURIComponent(`/o/${org.slug}/members`)}`);
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}`, { cookie: password })).status).toBe(403);
      const oidc = await createSession(t().ctx, user.id, { method: 'oidc', orgId: org.id });
      expect((await t().request('GET', `/o/${org.slug}`, { cookie: `folio_session=${oidc.token}` })).status).toBe(302);
      const saml = await createSession(t().ctx, user.id, { method: 'saml', orgId: org.id });
      expect((await t().request('GET', `/o/${org.slug}`, { cookie: `folio_session=${saml.token}` })).status).toBe(200);
      expect((await t().request('GET', `/o/${org.slug}`, { cookie: await sessionCookie(t().ctx, ownerId) })).status).toBe(200);
      // A personal token works only for people the provider vouched for (and owners).
      const token = await apiToken(t().ctx, user.id);
      const viaToken = await t().request('GET', `/api/v1/orgs/${org.slug}`, { token });
      expect(viaToken.status).toBe(403);
      expect((await viaToken.json()).error.message).toContain('single sign-on only');
      await t().ctx.db.insertInto('external_identity').values({ id: 'ext-1', org_id: org.id, kind: 'saml', subject: 'nameid', user_id: user.id, groups: null, created_at: t().clock.now().toISOString(), last_login_at: null }).execute();
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}`, { token })).status).toBe(200);
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}`, { token: await apiToken(t().ctx, ownerId) })).status).toBe(200);
    });
  });
}
