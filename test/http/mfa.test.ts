import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totp } from '../../src/modules/identity/mfa/totp';
import { DIALECTS } from '../support/db';
import { cookieFrom, type TestApp, useTestApp } from '../support/app';
import { apiToken, buildMember, buildOrg, buildUser, PASSWORD, sessionCookie } from '../support/factories';
import { startTestOp, type TestOp } from '../support/oidc-op';

const STEP = 30_000;

/** The code an authenticator with `secret` shows at the test clock's time (or `offset` ms later). */
function codeFor(t: TestApp, secret: string, offset = 0) {
  return totp(base32Decode(secret), new Date(t.clock.now().getTime() + offset));
}

/** Sets up an authenticator through the account security page; returns its secret and the recovery codes shown. */
async function enroll(t: TestApp, cookie: string) {
  expect((await t.request('POST', '/account/security/totp', { cookie })).status).toBe(303);
  const html = await (await t.request('GET', '/account/security', { cookie })).text();
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(html)![1].replace(/ /g, '');
  const done = await t.request('POST', '/account/security/totp/confirm', { cookie, form: { code: codeFor(t, secret) } });
  expect(done.status).toBe(200);
  const codes = [...(await done.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((m) => m[1]);
  // The confirming code is used up: move to the next step so the next code differs.
  t.clock.advance(STEP);
  return { secret, codes };
}

/** Password step of a sign-in; returns the response and the challenge cookie when one was set. */
async function passwordStep(t: TestApp, email: string, next = '/account/sessions') {
  const res = await t.request('POST', '/login', { form: { email, password: PASSWORD, next }, headers: { 'User-Agent': 'Test browser' } });
  const challenge = res.headers.getSetCookie().find((c) => c.startsWith('folio_mfa='));
  return { res, challenge: challenge?.split(';')[0] };
}

async function actions(t: TestApp, userId: string) {
  return (await t.ctx.db.selectFrom('audit_event').selectAll().where('target_id', '=', userId).orderBy('created_at').execute());
}

for (const dialect of DIALECTS) {
  describe(`two-factor sign-in (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { auth: { lockoutThreshold: 3, lockoutBaseSeconds: 60 }, server: { trustProxy: true } } });

    it('enrolls with a QR code and the secret in text, refuses a wrong code, then shows ten recovery codes once', async () => {
      const user = await buildUser(t().ctx);
      const cookie = await sessionCookie(t().ctx, user.id);
      const off = await (await t().request('GET', '/account/security', { cookie })).text();
      expect(off).toContain('Set up two-factor sign-in');
      await t().request('POST', '/account/security/totp', { cookie });
      const setup = await (await t().request('GET', '/account/security', { cookie })).text();
      expect(setup).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]{200,}"/);
      const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup)![1].replace(/ /g, '');
      expect(secret).toHaveLength(32);
      const stored = await t().ctx.db.selectFrom('mfa_totp').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
      expect(stored.secret).not.toContain(secret);
      const wrong = await t().request('POST', '/account/security/totp/confirm', { cookie, form: { code: '000000' === codeFor(t(), secret) ? '111111' : '000000' } });
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toContain('That code is not valid');
      const ok = await t().request('POST', '/account/security/totp/confirm', { cookie, form: { code: codeFor(t(), secret) } });
      const html = await ok.text();
      const codes = [...html.matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((m) => m[1]);
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      expect(ok.headers.get('Cache-Control')).toBe('no-store');
      const later = await (await t().request('GET', '/account/security', { cookie })).text();
      expect(later).toContain('Recovery codes left: <strong>10</strong>');
      expect(later).not.toContain(codes[0]);
      const hashes = await t().ctx.db.selectFrom('mfa_recovery_code').select('code_hash').where('user_id', '=', user.id).execute();
      expect(hashes.map((h) => h.code_hash)).not.toContain(codes[0]);
      expect((await actions(t(), user.id)).map((e) => e.action)).toContain('mfa.enrolled');
    });

    it('asks for a code after the password: a wrong code and a reused code are refused, the right one signs in', async () => {
      const { org } = await buildOrg(t().ctx);
      const user = await buildMember(t().ctx, org.id, 'member');
      const { secret } = await enroll(t(), await sessionCookie(t().ctx, user.id));
      const { res, challenge } = await passwordStep(t(), user.email);
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe('/login/mfa');
      expect(res.headers.getSetCookie().some((c) => c.startsWith('folio_session='))).toBe(false);
      expect(res.headers.getSetCookie().find((c) => c.startsWith('folio_mfa='))).toMatch(/HttpOnly/);
      const form = await t().request('GET', '/login/mfa', { cookie: challenge });
      expect(await form.text()).toContain('Two-factor sign-in');
      const browser = { 'User-Agent': 'Test browser', 'X-Forwarded-For': '198.51.100.23' };
      const wrong = await t().request('POST', '/login/mfa', { cookie: challenge, form: { code: codeFor(t(), secret, 10 * STEP) }, headers: browser });
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).toContain('That code is not valid. 4 attempts left.');
      const code = codeFor(t(), secret);
      const ok = await t().request('POST', '/login/mfa', { cookie: challenge, form: { code }, headers: { 'User-Agent': 'Test browser' } });
      expect(ok.status).toBe(303);
      expect(ok.headers.get('Location')).toBe('/account/sessions');
      const session = cookieFrom(ok);
      expect((await t().request('GET', '/api/v1/me', { cookie: session })).status).toBe(200);
      expect(await (await t().request('GET', '/account/sessions', { cookie: session })).text()).toContain('Password + two-factor');
      // The challenge was used up.
      expect((await t().request('POST', '/login/mfa', { cookie: challenge, form: { code } })).headers.get('Location')).toBe('/login');
      // The same code in a new challenge is refused; the next step's code works.
      const again = (await passwordStep(t(), user.email)).challenge;
      expect((await t().request('POST', '/login/mfa', { cookie: again, form: { code } })).status).toBe(401);
      t().clock.advance(STEP);
      expect((await t().request('POST', '/login/mfa', { cookie: again, form: { code: codeFor(t(), secret) } })).status).toBe(303);
      const events = await actions(t(), user.id);
      const failed = events.find((e) => e.action === 'mfa.challenge_failed')!;
      expect(failed).toMatchObject({ org_id: org.id, actor_id: user.id, user_agent: 'Test browser', ip: '198.51.100.23' });
      expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['mfa.challenge_passed', 'auth.login']));
      const sessions = await t().ctx.db.selectFrom('session').selectAll().where('user_id', '=', user.id).where('mfa_at', 'is not', null).execute();
      expect(sessions.length).toBeGreaterThanOrEqual(2);
    });

    it('ends a challenge after five wrong codes; sign-in starts over', async () => {
      const user = await buildUser(t().ctx);
      const { secret } = await enroll(t(), await sessionCookie(t().ctx, user.id));
      const { challenge } = await passwordStep(t(), user.email);
      for (let i = 0; i < 4; i++) expect((await t().request('POST', '/login/mfa', { cookie: challenge, form: { code: '12345' + i } })).status).toBe(401);
      const fifth = await t().request('POST', '/login/mfa', { cookie: challenge, form: { code: 'aaaaa-bbbbb' } });
      expect(fifth.status).toBe(303);
      expect(fifth.headers.get('Location')).toBe('/login');
      const after = await t().request('POST', '/login/mfa', { cookie: challenge, form: { code: codeFor(t(), secret) } });
      expect(after.headers.get('Location')).toBe('/login');
      expect(after.headers.getSetCookie().some((c) => c.startsWith('folio_session='))).toBe(false);
      expect((await actions(t(), user.id)).filter((e) => e.action === 'mfa.challenge_failed')).toHaveLength(5);
    });

    it('a recovery code signs in once', async () => {
      const user = await buildUser(t().ctx);
      const { codes } = await enroll(t(), await sessionCookie(t().ctx, user.id));
      const first = (await passwordStep(t(), user.email)).challenge;
      const ok = await t().request('POST', '/login/mfa', { cookie: first, form: { code: codes[3].toUpperCase().replace('-', ' ') } });
      expect(ok.status).toBe(303);
      const cookie = cookieFrom(ok);
      expect(await (await t().request('GET', '/account/security', { cookie })).text()).toContain('Recovery codes left: <strong>9</strong>');
      const second = (await passwordStep(t(), user.email)).challenge;
      expect((await t().request('POST', '/login/mfa', { cookie: second, form: { code: codes[3] } })).status).toBe(401);
      expect((await actions(t(), user.id)).map((e) => e.action)).toContain('mfa.recovery_code_used');
    });

    it('regenerating recovery codes needs a current code; turning off is refused while an organization requires it', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const user = await buildMember(t().ctx, org.id, 'member');
      const cookie = await sessionCookie(t().ctx, user.id);
      const { secret, codes } = await enroll(t(), cookie);
      expect((await t().request('POST', '/account/security/recovery-codes', { cookie, form: { code: codes[0] } })).status).toBe(400);
      const fresh = await t().request('POST', '/account/security/recovery-codes', { cookie, form: { code: codeFor(t(), secret) } });
      const newCodes = [...(await fresh.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((m) => m[1]);
      expect(newCodes).toHaveLength(10);
      expect(newCodes).not.toContain(codes[0]);
      t().clock.advance(STEP);
      const ownerToken = await apiToken(t().ctx, ownerId);
      await enroll(t(), await sessionCookie(t().ctx, ownerId));
      expect((await t().request('PUT', `/api/v1/orgs/${org.slug}/security-policy`, { token: ownerToken, json: { mfaRequired: 'all' } })).status).toBe(200);
      const refused = await t().request('POST', '/account/security/disable', { cookie, form: { code: newCodes[0] } });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain(`required by ${org.name}`);
      await t().request('PUT', `/api/v1/orgs/${org.slug}/security-policy`, { token: ownerToken, json: { mfaRequired: 'off' } });
      expect((await t().request('POST', '/account/security/disable', { cookie, form: { code: newCodes[0] } })).status).toBe(303);
      expect((await passwordStep(t(), user.email)).res.headers.get('Location')).toBe('/account/sessions');
      expect((await actions(t(), user.id)).map((e) => e.action)).toEqual(expect.arrayContaining(['mfa.recovery_codes_regenerated', 'mfa.disabled']));
    });

    it("an administrator resets a member's two-factor: their sessions end and they sign in without a code", async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const admin = await buildMember(t().ctx, org.id, 'admin');
      const user = await buildMember(t().ctx, org.id, 'member');
      const userCookie = await sessionCookie(t().ctx, user.id);
      await enroll(t(), userCookie);
      const adminCookie = await sessionCookie(t().ctx, admin.id);
      const members = await (await t().request('GET', `/o/${org.slug}/members`, { cookie: adminCookie })).text();
      expect(members).toContain(`/o/${org.slug}/members/${user.id}/mfa/reset`);
      expect(members).not.toContain(`/o/${org.slug}/members/${ownerId}/mfa/reset`);
      // Someone else's organization cannot touch them, and plain members cannot either.
      const other = await buildOrg(t().ctx);
      const otherToken = await apiToken(t().ctx, other.ownerId);
      expect((await t().request('POST', `/api/v1/orgs/${other.org.slug}/members/${user.id}/mfa/reset`, { token: otherToken })).status).toBe(404);
      const peer = await buildMember(t().ctx, org.id, 'member');
      expect((await t().request('POST', `/api/v1/orgs/${org.slug}/members/${user.id}/mfa/reset`, { token: await apiToken(t().ctx, peer.id) })).status).toBe(403);
      // An admin cannot reset an owner.
      expect((await t().request('POST', `/api/v1/orgs/${org.slug}/members/${ownerId}/mfa/reset`, { token: await apiToken(t().ctx, admin.id) })).status).toBe(403);
      const reset = await t().request('POST', `/o/${org.slug}/members/${user.id}/mfa/reset`, { cookie: adminCookie });
      expect(reset.status).toBe(303);
      expect((await t().request('GET', '/api/v1/me', { cookie: userCookie })).status).toBe(401);
      const { res } = await passwordStep(t(), user.email);
      expect(res.headers.get('Location')).toBe('/account/sessions');
      const event = (await actions(t(), user.id)).find((e) => e.action === 'mfa.reset_by_admin')!;
      expect(event).toMatchObject({ org_id: org.id, actor_id: admin.id });
      // The API does the same, with the number of sessions ended.
      await enroll(t(), cookieFrom(res));
      const api = await t().request('POST', `/api/v1/orgs/${org.slug}/members/${user.id}/mfa/reset`, { token: await apiToken(t().ctx, ownerId) });
      expect(api.status).toBe(200);
      expect((await api.json()).sessionsEnded).toBe(1);
    });

    it('an administrator signs a member out everywhere', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const user = await buildMember(t().ctx, org.id, 'member');
      const a = await sessionCookie(t().ctx, user.id);
      const b = await sessionCookie(t().ctx, user.id);
      const other = await buildOrg(t().ctx);
      expect((await t().request('POST', `/api/v1/orgs/${other.org.slug}/members/${user.id}/sessions/revoke`, { token: await apiToken(t().ctx, other.ownerId) })).status).toBe(404);
      const res = await t().request('POST', `/api/v1/orgs/${org.slug}/members/${user.id}/sessions/revoke`, { token: await apiToken(t().ctx, ownerId) });
      expect(await res.json()).toEqual({ sessionsEnded: 2 });
      for (const cookie of [a, b]) expect((await t().request('GET', '/api/v1/me', { cookie })).status).toBe(401);
      const page = await t().request('POST', `/o/${org.slug}/members/${user.id}/sessions/revoke`, { cookie: await sessionCookie(t().ctx, ownerId) });
      expect(page.status).toBe(303);
      const events = (await actions(t(), user.id)).filter((e) => e.action === 'session.revoked_by_admin');
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({ org_id: org.id, actor_id: ownerId });
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`two-factor sign-in after single sign-on (${dialect})`, () => {
    const t = useTestApp(dialect);
    let op: TestOp;
    beforeAll(async () => {
      op = await startTestOp();
    });
    afterAll(async () => {
      await op?.close();
    });

    it('an OpenID Connect sign-in of a user with an authenticator asks for the code before the session starts', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const clientId = `folio-mfa-${dialect}`;
      const secret = 'client-secret-0123456789abcdef';
      await op.addClient({ clientId, clientSecret: secret, redirectUris: [`http://localhost/sso/${org.slug}/oidc/callback`] });
      const settings = { enabled: true, issuer: op.issuer, clientId, clientSecret: secret, scopes: 'openid email profile' };
      expect((await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { token: await apiToken(t().ctx, ownerId), json: settings })).status).toBe(200);
      const user = await buildMember(t().ctx, org.id, 'member');
      op.addAccount({ id: `acct-${dialect}`, email: user.email, emailVerified: true });
      const { secret: totpSecret } = await enroll(t(), await sessionCookie(t().ctx, user.id));
      const start = await t().request('GET', `/sso/${org.slug}/oidc/login?next=${encodeURIComponent(`/o/${org.slug}`)}`);
      const back = new URL(await op.login(start.headers.get('Location')!, `acct-${dialect}`));
      const res = await t().request('GET', `${back.pathname}${back.search}`, { cookie: cookieFrom(start, 'folio_oidc_state') });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe('/login/mfa');
      expect(res.headers.getSetCookie().some((c) => c.startsWith('folio_session='))).toBe(false);
      const challenge = res.headers.getSetCookie().find((c) => c.startsWith('folio_mfa='))!.split(';')[0];
      const ok = await t().request('POST', '/login/mfa', { cookie: challenge, form: { code: codeFor(t(), totpSecret) } });
      expect(ok.headers.get('Location')).toBe(`/o/${org.slug}`);
      expect((await t().request('GET', `/o/${org.slug}`, { cookie: cookieFrom(ok) })).status).toBe(200);
      const session = await t().ctx.db.selectFrom('session').selectAll().where('user_id', '=', user.id).where('method', '=', 'oidc').executeTakeFirstOrThrow();
      expect(session.org_id).toBe(org.id);
      expect(session.mfa_at).not.toBeNull();
      const passed = await t().ctx.db.selectFrom('audit_event').selectAll().where('action', '=', 'mfa.challenge_passed').where('target_id', '=', user.id).execute();
      expect(passed).toHaveLength(1);
      expect(passed[0].org_id).toBe(org.id);
    });
  });
}
