import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateFlow } from '../../src/modules/identity/flows';
import { cookieFrom, useTestApp } from '../support/app';
import { DIALECTS } from '../support/db';
import { buildMember, buildOrg, sessionCookie } from '../support/factories';
import { startTestOp, type TestOp } from '../support/oidc-op';

const SECRET = 'client-secret-0123456789abcdef';
const BROWSER = { 'User-Agent': 'Mozilla/5.0 (OIDC test browser)', 'X-Forwarded-For': '203.0.113.9' };

/** The message of the alert on a page. */
const alertOf = (html: string) => /<p class="alert" role="alert">([^<]*)<\/p>/.exec(html)?.[1]?.replace(/&#39;|&#x27;/g, "'");

/** A port nothing listens on (a server bound and closed again). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

for (const dialect of DIALECTS) {
  describe(`OpenID Connect sign-in (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { server: { trustProxy: true } } });
    let op: TestOp;

    beforeAll(async () => {
      op = await startTestOp();
    });
    afterAll(async () => {
      await op?.close();
    });

    let n = 0;
    /** An organization with OIDC on, pointed at the test provider, with its own client there. */
    async function setup(o: { settings?: Record<string, unknown> } = {}) {
      const { org, ownerId } = await buildOrg(t().ctx);
      const owner = await sessionCookie(t().ctx, ownerId);
      n += 1;
      const clientId = `folio-${dialect}-${n}`;
      await op.addClient({ clientId, clientSecret: SECRET, redirectUris: [`http://localhost/sso/${org.slug}/oidc/callback`] });
      const res = await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/oidc`, {
        cookie: owner,
        json: { enabled: true, issuer: op.issuer, clientId, clientSecret: SECRET, scopes: 'openid email profile groups', ...o.settings },
      });
      expect(res.status).toBe(200);
      return { org, ownerId, owner, clientId };
    }

    /** A browser signing in: Folio → provider (login as `account`, consent) → Folio's callback. */
    async function signIn(slug: string, account: string | undefined, next = `/o/${slug}`) {
      const start = await t().request('GET', `/sso/${slug}/oidc/login?next=${encodeURIComponent(next)}`, { headers: BROWSER });
      expect(start.status).toBe(302);
      const authorizeUrl = start.headers.get('Location')!;
      const stateCookie = cookieFrom(start, 'folio_oidc_state');
      const back = await op.login(authorizeUrl, account);
      const u = new URL(back);
      const callback = `${u.pathname}${u.search}`;
      const res = await t().request('GET', callback, { cookie: stateCookie, headers: BROWSER });
      return { start, authorizeUrl, stateCookie, callback, res };
    }

    const audits = (orgId: string, action: string) =>
      t().ctx.db.selectFrom('audit_event').selectAll().where('org_id', '=', orgId).where('action', '=', action).orderBy('created_at').execute();
    const failures = async (orgId: string) => (await audits(orgId, 'auth.login_failed')).map((e) => JSON.parse(e.data!) as { method: string; reason: string; error?: string });

    it('signs a new person in end to end: PKCE, just-in-time membership, groups to team and role, a working session, audited with org, IP and browser', async () => {
      const { org, owner } = await setup();
      const team = await (await t().request('POST', `/api/v1/orgs/${org.slug}/teams`, { cookie: owner, json: { name: 'Engineering' } })).json();
      for (const form of [{ groupName: 'eng', teamId: team.id, role: '' }, { groupName: 'folio-admins', teamId: '', role: 'admin' }]) {
        expect((await t().request('POST', `/o/${org.slug}/settings/sign-in/groups`, { cookie: owner, form })).status).toBe(303);
      }
      op.addAccount({ id: `ada-${org.id}`, email: `ada.${org.slug}@corp.test`, name: 'Ada Lovelace', groups: ['eng', 'folio-admins'] });

      const { authorizeUrl, res } = await signIn(org.slug, `ada-${org.id}`);
      const authorize = new URL(authorizeUrl);
      expect(authorize.origin).toBe(op.issuer);
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize.searchParams.get('scope')).toBe('openid email profile groups');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`http://localhost/sso/${org.slug}/oidc/callback`);
      expect(authorize.searchParams.get('nonce')).toBeTruthy();
      const verifier = op.tokenRequests.at(-1)!.code_verifier;
      expect(createHash('sha256').update(verifier).digest('base64url')).toBe(authorize.searchParams.get('code_challenge'));
      expect(op.tokenRequests.at(-1)!.client_auth).toBe('client_secret_basic');

      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe(`/o/${org.slug}`);
      const session = cookieFrom(res);
      const home = await t().request('GET', `/o/${org.slug}`, { cookie: session });
      expect(home.status).toBe(200);
      expect(await home.text()).toContain(org.name);

      const user = await t().ctx.db.selectFrom('user').selectAll().where('email', '=', `ada.${org.slug}@corp.test`).executeTakeFirstOrThrow();
      expect(user.name).toBe('Ada Lovelace');
      const member = await t().ctx.db.selectFrom('org_member').selectAll().where('org_id', '=', org.id).where('user_id', '=', user.id).executeTakeFirstOrThrow();
      expect(member.role).toBe('admin');
      const inTeam = await t().ctx.db.selectFrom('team_member').select('user_id').where('team_id', '=', team.id).execute();
      expect(inTeam.map((r) => r.user_id)).toEqual([user.id]);
      // As an admin by group, the settings page opens for them.
      expect((await t().request('GET', `/o/${org.slug}/settings/sign-in/oidc`, { cookie: session })).status).toBe(200);

      const [login] = await audits(org.id, 'auth.login');
      expect(login).toMatchObject({ actor_id: user.id, ip: '203.0.113.9', user_agent: BROWSER['User-Agent'] });
      expect(JSON.parse(login.data!)).toMatchObject({ method: 'oidc' });
      const stored = await t().ctx.db.selectFrom('session').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
      expect(stored).toMatchObject({ method: 'oidc', org_id: org.id });
    });

    it('a second sign-in with the same subject is the same person, even after the provider changed their email and name', async () => {
      const { org } = await setup();
      const id = `grace-${org.id}`;
      op.addAccount({ id, email: `grace.${org.slug}@corp.test`, name: 'Grace' });
      const first = await signIn(org.slug, id);
      expect(first.res.status).toBe(303);
      op.addAccount({ id, email: `grace.hopper.${org.slug}@corp.test`, name: 'Grace Hopper' });
      const second = await signIn(org.slug, id);
      expect(second.res.status).toBe(303);
      const links = await t().ctx.db.selectFrom('external_identity').selectAll().where('org_id', '=', org.id).where('subject', '=', id).execute();
      expect(links).toHaveLength(1);
      const sessions = await t().ctx.db.selectFrom('session').select('user_id').where('user_id', '=', links[0].user_id).execute();
      expect(sessions).toHaveLength(2);
      const user = await t().ctx.db.selectFrom('user').selectAll().where('id', '=', links[0].user_id).executeTakeFirstOrThrow();
      expect(user.name).toBe('Grace Hopper');
      const me = await (await t().request('GET', '/api/v1/me', { cookie: cookieFrom(second.res) })).json();
      expect(me.id ?? me.email).toBeTruthy();
      expect(me.orgs.map((o: { slug: string }) => o.slug)).toEqual([org.slug]);
    });

    it('the code only works with the PKCE verifier of its flow: a changed verifier is refused by the provider', async () => {
      const { org } = await setup();
      op.addAccount({ id: `pk-${org.id}`, email: `pk.${org.slug}@corp.test` });
      const start = await t().request('GET', `/sso/${org.slug}/oidc/login`);
      const state = new URL(start.headers.get('Location')!).searchParams.get('state')!;
      const flow = await t().ctx.db.selectFrom('auth_flow').select('data').where('id', '=', createHash('sha256').update(`oidc:${state}`).digest('hex')).executeTakeFirstOrThrow();
      await updateFlow(t().ctx, 'oidc', state, { ...JSON.parse(flow.data), verifier: 'x'.repeat(43) });
      const back = new URL(await op.login(start.headers.get('Location')!, `pk-${org.id}`));
      const res = await t().request('GET', back.pathname + back.search, { cookie: cookieFrom(start, 'folio_oidc_state') });
      expect(res.status).toBe(401);
      expect(alertOf(await res.text())).toBe("The identity provider's answer could not be verified. Try again, or contact your administrator.");
      expect(res.headers.getSetCookie().some((c) => c.startsWith('folio_session=') && !c.startsWith('folio_session=;'))).toBe(false);
      expect(await failures(org.id)).toContainEqual({ method: 'oidc', reason: 'token_request_refused', error: 'invalid_grant' });
    });

    it('refuses a wrong state, a callback from another browser (login CSRF) and a replayed callback', async () => {
      const { org } = await setup();
      op.addAccount({ id: `st-${org.id}`, email: `st.${org.slug}@corp.test` });

      // wrong state
      const start = await t().request('GET', `/sso/${org.slug}/oidc/login`);
      const back = new URL(await op.login(start.headers.get('Location')!, `st-${org.id}`));
      const forged = new URLSearchParams(back.search);
      forged.set('state', 'not-the-state');
      const wrong = await t().request('GET', `${back.pathname}?${forged}`, { cookie: 'folio_oidc_state=not-the-state' });
      expect(wrong.status).toBe(400);
      expect(alertOf(await wrong.text())).toBe('This sign-in has expired or was already used. Start again.');

      // an attacker's own finished flow, sent to a victim's browser that did not start it
      const attacker = await t().request('GET', `/sso/${org.slug}/oidc/login`);
      const attackerBack = new URL(await op.login(attacker.headers.get('Location')!, `st-${org.id}`));
      const victim = await t().request('GET', `/sso/${org.slug}/oidc/login`);
      const csrf = await t().request('GET', attackerBack.pathname + attackerBack.search, { cookie: cookieFrom(victim, 'folio_oidc_state') });
      expect(csrf.status).toBe(400);
      expect(alertOf(await csrf.text())).toBe('This sign-in was started in another browser or tab. Start again from this one.');
      const noCookie = await t().request('GET', back.pathname + back.search);
      expect(noCookie.status).toBe(400);

      // replay: a callback that worked once does not work again
      const ok = await signIn(org.slug, `st-${org.id}`);
      expect(ok.res.status).toBe(303);
      const replay = await t().request('GET', ok.callback, { cookie: ok.stateCookie, headers: BROWSER });
      expect(replay.status).toBe(400);
      expect(alertOf(await replay.text())).toBe('This sign-in has expired or was already used. Start again.');
      expect(replay.headers.getSetCookie().some((c) => c.startsWith('folio_session='))).toBe(false);

      const reasons = (await failures(org.id)).map((f) => f.reason);
      // Events of one test share the test clock's timestamp: compared without their order.
      expect(reasons.sort()).toEqual(['state_cookie_mismatch', 'state_cookie_mismatch', 'state_unknown_or_used', 'state_unknown_or_used']);
    });

    it('an expired flow is refused', async () => {
      const { org } = await setup();
      op.addAccount({ id: `ex-${org.id}`, email: `ex.${org.slug}@corp.test` });
      const start = await t().request('GET', `/sso/${org.slug}/oidc/login`);
      const back = new URL(await op.login(start.headers.get('Location')!, `ex-${org.id}`));
      t().clock.advance(11 * 60 * 1000);
      const res = await t().request('GET', back.pathname + back.search, { cookie: cookieFrom(start, 'folio_oidc_state') });
      expect(res.status).toBe(400);
      expect(alertOf(await res.text())).toBe('This sign-in has expired or was already used. Start again.');
    });

    it('refuses an ID token whose nonce is not the flow\'s, one signed by a key the provider never published, and one for another audience', async () => {
      const { org } = await setup();
      op.addAccount({ id: `tok-${org.id}`, email: `tok.${org.slug}@corp.test` });

      const start = await t().request('GET', `/sso/${org.slug}/oidc/login`);
      const state = new URL(start.headers.get('Location')!).searchParams.get('state')!;
      const flow = await t().ctx.db.selectFrom('auth_flow').select('data').where('id', '=', createHash('sha256').update(`oidc:${state}`).digest('hex')).executeTakeFirstOrThrow();
      await updateFlow(t().ctx, 'oidc', state, { ...JSON.parse(flow.data), nonce: 'another-nonce' });
      const back = new URL(await op.login(start.headers.get('Location')!, `tok-${org.id}`));
      const nonce = await t().request('GET', back.pathname + back.search, { cookie: cookieFrom(start, 'folio_oidc_state') });
      expect(nonce.status).toBe(401);

      op.tamperIdToken({ foreignKey: true });
      try {
        const signed = await signIn(org.slug, `tok-${org.id}`);
        expect(signed.res.status).toBe(401);
        expect(alertOf(await signed.res.text())).toBe("The identity provider's answer could not be verified. Try again, or contact your administrator.");
        op.tamperIdToken({ claims: (c) => ({ ...c, aud: 'someone-else' }) });
        const audience = await signIn(org.slug, `tok-${org.id}`);
        expect(audience.res.status).toBe(401);
      } finally {
        op.tamperIdToken(undefined);
      }
      const failed = (await failures(org.id)).filter((f) => f.reason === 'id_token_rejected');
      expect(failed).toHaveLength(3);
      expect(await t().ctx.db.selectFrom('external_identity').select('id').where('org_id', '=', org.id).execute()).toHaveLength(0);
      // The same provider without tampering still signs the person in.
      expect((await signIn(org.slug, `tok-${org.id}`)).res.status).toBe(303);
    });

    it('refuses an email the provider marks unverified unless the administrator allows it', async () => {
      const { org, owner, clientId } = await setup();
      op.addAccount({ id: `uv-${org.id}`, email: `uv.${org.slug}@corp.test`, emailVerified: false });
      const refused = await signIn(org.slug, `uv-${org.id}`);
      expect(refused.res.status).toBe(401);
      expect(alertOf(await refused.res.text())).toBe('Your identity provider has not verified your email address. Verify it there, or contact your administrator.');
      expect((await failures(org.id)).map((f) => f.reason)).toEqual(['email_unverified']);
      await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/oidc`, {
        cookie: owner,
        json: { enabled: true, issuer: op.issuer, clientId, scopes: 'openid email profile groups', allowUnverifiedEmail: true },
      });
      expect((await signIn(org.slug, `uv-${org.id}`)).res.status).toBe(303);
    });

    it('a person who cancels at the provider sees so on the organization\'s sign-in page', async () => {
      const { org } = await setup();
      op.addAccount({ id: `no-${org.id}`, email: `no.${org.slug}@corp.test` });
      const { res } = await signIn(org.slug, undefined);
      expect(res.status).toBe(401);
      const html = await res.text();
      expect(alertOf(html)).toBe('Sign-in was cancelled at the identity provider.');
      expect(html).toContain(`/sso/${org.slug}/oidc/login`);
      expect(await failures(org.id)).toEqual([{ method: 'oidc', reason: 'provider_error', error: 'access_denied' }]);
    });

    it('an unreachable issuer gives a clear page, and the issuer check says why', async () => {
      const { org, owner, clientId } = await setup();
      const dead = `http://127.0.0.1:${await closedPort()}`;
      const put = await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { cookie: owner, json: { enabled: true, issuer: dead, clientId } });
      expect(put.status).toBe(200);
      const res = await t().request('GET', `/sso/${org.slug}/oidc/login`, { headers: BROWSER });
      expect(res.status).toBe(401);
      expect(alertOf(await res.text())).toBe("The organization's identity provider cannot be reached right now. Try again later, or contact your administrator.");
      const [failure] = await audits(org.id, 'auth.login_failed');
      expect(JSON.parse(failure.data!)).toEqual({ method: 'oidc', reason: 'issuer_unreachable' });
      expect(failure.ip).toBe('203.0.113.9');

      const check = await (await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/oidc/check`, { cookie: owner })).json();
      expect(check).toMatchObject({ ok: false, message: `Nothing is listening at ${new URL(dead).host} (connection refused).` });
      const good = await (await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/oidc/check`, { cookie: owner, json: { issuer: op.issuer } })).json();
      expect(good).toMatchObject({ ok: true, issuer: op.issuer, authorizationEndpoint: `${op.issuer}/auth`, tokenEndpoint: `${op.issuer}/token`, jwksUri: `${op.issuer}/jwks` });
      const missing = await (await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/oidc/check`, { cookie: owner, json: { issuer: `${op.issuer}/realms/none` } })).json();
      expect(missing).toEqual({ ok: false, message: `The provider answered HTTP 404 at ${op.issuer}/realms/none/.well-known/openid-configuration: check the issuer URL.` });
      const page = await t().request('POST', `/o/${org.slug}/settings/sign-in/oidc/check`, { cookie: owner, form: { issuer: op.issuer } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`${op.issuer}/token`);
    });

    it('settings: the page shows the redirect URI to register, the secret is sealed and never shown, bad input is explained, changes are audited', async () => {
      const { org, owner } = await setup();
      const pageRes = await t().request('GET', `/o/${org.slug}/settings/sign-in/oidc`, { cookie: owner });
      const html = await pageRes.text();
      expect(html).toContain(`http://localhost/sso/${org.slug}/oidc/callback`);
      expect(html).not.toContain(SECRET);
      const api = await (await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { cookie: owner })).json();
      expect(api).toMatchObject({ enabled: true, issuer: op.issuer, hasClientSecret: true, emailClaim: 'email', nameClaim: 'name', groupsClaim: 'groups', defaultRole: 'member', tokenAuthMethod: 'client_secret_basic' });
      expect(JSON.stringify(api)).not.toContain(SECRET);
      const row = await t().ctx.db.selectFrom('identity_provider').selectAll().where('org_id', '=', org.id).where('kind', '=', 'oidc').executeTakeFirstOrThrow();
      expect(`${row.settings}${row.secret}`).not.toContain(SECRET);

      const insecure = await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { cookie: owner, json: { enabled: true, issuer: 'http://idp.corp.test/realms/x', clientId: 'c' } });
      expect(insecure.status).toBe(400);
      expect((await insecure.json()).error.message).toContain('The issuer URL must use https://');
      const allowed = await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { cookie: owner, json: { enabled: false, issuer: 'http://idp.corp.test/realms/x', clientId: 'c', allowInsecureHttp: true } });
      expect(allowed.status).toBe(200);
      const noOpenid = await t().request('POST', `/o/${org.slug}/settings/sign-in/oidc`, { cookie: owner, form: { enabled: 'on', issuer: 'https://idp.corp.test', clientId: 'c', scopes: 'email profile' } });
      expect(noOpenid.status).toBe(400);
      expect(alertOf(await noOpenid.text())).toBe('scopes: The scopes must include openid');
      const saved = await t().request('POST', `/o/${org.slug}/settings/sign-in/oidc`, {
        cookie: owner,
        form: { enabled: 'on', issuer: 'https://keycloak.example/realms/corp', clientId: 'folio', clientSecret: '', scopes: 'openid email', tokenAuthMethod: 'client_secret_post', defaultRole: 'viewer', groupsClaim: 'roles' },
      });
      expect(saved.status).toBe(303);
      const after = await (await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { cookie: owner })).json();
      expect(after).toMatchObject({ issuer: 'https://keycloak.example/realms/corp', hasClientSecret: true, tokenAuthMethod: 'client_secret_post', defaultRole: 'viewer', groupsClaim: 'roles', emailClaim: 'email' });
      const changes = await audits(org.id, 'signin.settings_changed');
      expect(changes.length).toBeGreaterThanOrEqual(3);
      expect(changes.every((e) => !e.data!.includes(SECRET))).toBe(true);
    });

    it('client_secret_post and a changed client id take effect on the next sign-in (discovery cache follows the settings)', async () => {
      const { org, owner } = await setup();
      const clientId = `folio-post-${dialect}-${org.id}`;
      await op.addClient({ clientId, clientSecret: SECRET, redirectUris: [`http://localhost/sso/${org.slug}/oidc/callback`], authMethod: 'client_secret_post' });
      await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { cookie: owner, json: { enabled: true, issuer: op.issuer, clientId, clientSecret: SECRET, tokenAuthMethod: 'client_secret_post' } });
      op.addAccount({ id: `post-${org.id}`, email: `post.${org.slug}@corp.test` });
      const { authorizeUrl, res } = await signIn(org.slug, `post-${org.id}`);
      expect(new URL(authorizeUrl).searchParams.get('client_id')).toBe(clientId);
      expect(res.status).toBe(303);
      expect(op.tokenRequests.at(-1)!.client_auth).toBe('client_secret_post');
    });

    it('only administrators of the organization reach its OIDC settings; another organization\'s admin gets 404', async () => {
      const { org, owner } = await setup();
      const other = await buildOrg(t().ctx);
      const otherAdmin = await sessionCookie(t().ctx, other.ownerId);
      expect((await t().request('GET', `/o/${org.slug}/settings/sign-in/oidc`, { cookie: otherAdmin })).status).toBe(404);
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { cookie: otherAdmin })).status).toBe(404);
      const put = await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { cookie: otherAdmin, json: { enabled: false, issuer: 'https://evil.test', clientId: 'x' } });
      expect(put.status).toBe(404);
      expect((await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/oidc/check`, { cookie: otherAdmin })).status).toBe(404);
      const member = await buildMember(t().ctx, org.id, 'member');
      const memberCookie = await sessionCookie(t().ctx, member.id);
      expect((await t().request('GET', `/o/${org.slug}/settings/sign-in/oidc`, { cookie: memberCookie })).status).toBe(403);
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { cookie: memberCookie })).status).toBe(403);
      expect((await (await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/oidc`, { cookie: owner })).json()).issuer).toBe(op.issuer);
    });

    it('an organization without OIDC turned on refuses to start a flow, and an existing member is linked by email, not duplicated', async () => {
      const { org: off } = await buildOrg(t().ctx);
      const res = await t().request('GET', `/sso/${off.slug}/oidc/login`);
      expect(res.status).toBe(400);
      expect(alertOf(await res.text())).toBe('Single sign-on with OpenID Connect is not set up for this organization.');

      const { org } = await setup();
      const existing = await buildMember(t().ctx, org.id, 'viewer', { email: `kim.${org.slug}@corp.test` });
      op.addAccount({ id: `kim-${org.id}`, email: `Kim.${org.slug}@corp.test`, name: 'Kim' });
      const { res: ok } = await signIn(org.slug, `kim-${org.id}`);
      expect(ok.status).toBe(303);
      const link = await t().ctx.db.selectFrom('external_identity').selectAll().where('subject', '=', `kim-${org.id}`).executeTakeFirstOrThrow();
      expect(link.user_id).toBe(existing.id);
    });
  });
}
