import { beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db';
import { cookieFrom, useTestApp } from '../support/app';
import { buildMember, buildOrg, sessionCookie } from '../support/factories';
import { AZURE, createTestIdp, decodeAuthnRequest, encodeResponse, type ResponseOptions, samlId, type TestIdp } from '../support/saml-idp';

const MINUTE = 60_000;

let idp: TestIdp;
let stranger: TestIdp;
beforeAll(() => {
  idp = createTestIdp({ cn: 'Acme IdP' });
  stranger = createTestIdp({ cn: 'Acme IdP', entityId: idp.entityId });
});

/** The assertion element of a response (first one), as text. */
function assertionOf(xml: string): string {
  return /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
}

for (const dialect of DIALECTS) {
  describe(`SAML sign-in (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { server: { trustProxy: true } } });

    interface Org {
      id: string;
      slug: string;
      name: string;
      ownerId: string;
      owner: string;
      acs: string;
      audience: string;
    }

    /** An organization whose SAML provider is the test IdP, imported from its metadata. */
    async function samlOrg(settings: Record<string, unknown> = {}): Promise<Org> {
      const { org, ownerId } = await buildOrg(t().ctx);
      const owner = await sessionCookie(t().ctx, ownerId);
      const res = await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/saml`, { cookie: owner, json: { enabled: true, metadataXml: idp.metadata(), ...settings } });
      expect(res.status).toBe(200);
      const base = `http://localhost/sso/${org.slug}`;
      return { id: org.id, slug: org.slug, name: org.name, ownerId, owner, acs: `${base}/saml/acs`, audience: `${base}/saml/metadata` };
    }

    /** Starts a sign-in at Folio and returns the AuthnRequest the browser carries to the IdP. */
    async function startLogin(org: Org, next = '') {
      const res = await t().request('GET', `/sso/${org.slug}/saml/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
      expect(res.status).toBe(302);
      const location = res.headers.get('Location')!;
      expect(location.startsWith(`${idp.ssoUrl}?`)).toBe(true);
      return decodeAuthnRequest(location);
    }

    /** A response to a fresh request of ours, as the IdP would sign it. */
    async function answer(org: Org, o: Partial<ResponseOptions> & { nameId: string }, signer: TestIdp = idp) {
      const req = await startLogin(org);
      return signer.response({ destination: org.acs, audience: org.audience, inResponseTo: req.id, ...o });
    }

    /** Posts a response to the ACS from the IdP's origin, as a browser does with the HTTP-POST binding. */
    function post(org: Org, xml: string, headers: Record<string, string> = {}) {
      return t().request('POST', `/sso/${org.slug}/saml/acs`, { form: { SAMLResponse: encodeResponse(xml) }, headers: { Origin: 'https://idp.test', ...headers } });
    }

    const checked = new Set<string>();


    /** The response is a refusal page without internals, no session was made, and the reason was audited. */
    async function expectRefused(org: Org, res: Response, reason: string, status = 401) {
      expect(res.status).toBe(status);
      expect(res.headers.getSetCookie().some((c) => c.startsWith('folio_session='))).toBe(false);
      const html = await res.text();
      expect(html).toMatch(/role="alert"/);
      expect(html).not.toMatch(/at .*\.(ts|js):\d+|Error:|node_modules/);
      // The event this refusal added (events of one test share the test clock's timestamp, so not "the last one").
      const rows = await t().ctx.db.selectFrom('audit_event').select(['id', 'data']).where('org_id', '=', org.id).where('action', '=', 'auth.login_failed').execute();
      const added = rows.filter((r) => !checked.has(r.id));
      for (const r of added) checked.add(r.id);
      expect(added.map((r) => JSON.parse(r.data!))).toEqual([{ method: 'saml', reason }]);
      return html;
    }

    async function samlSessions(org: Org) {
      return t().ctx.db.selectFrom('session').innerJoin('user', 'user.id', 'session.user_id').select(['user.email', 'session.method', 'session.org_id']).where('session.org_id', '=', org.id).execute();
    }

    it('a signed assertion signs in and provisions the person, groups giving team and role; the audit event has org, IP and user agent', async () => {
      const org = await samlOrg();
      const team = await (await t().request('POST', `/api/v1/orgs/${org.slug}/teams`, { cookie: org.owner, json: { name: 'Finance' } })).json();
      const mapped = await t().request('POST', `/o/${org.slug}/settings/sign-in/groups`, { cookie: org.owner, form: { groupName: 'finance-admins', teamId: team.id, role: 'admin' } });
      expect(mapped.status).toBe(303);

      const xml = await answer(org, { nameId: 'ada-8f3e', email: 'Ada@Acme.test', name: 'Ada Lovelace', groups: ['staff', 'finance-admins'] });
      const res = await post(org, xml, { 'X-Forwarded-For': '203.0.113.7', 'User-Agent': 'SamlBrowser/1.0' });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe(`/o/${org.slug}`);
      const cookie = cookieFrom(res);
      const home = await t().request('GET', `/o/${org.slug}`, { cookie });
      expect(home.status).toBe(200);
      expect(await home.text()).toContain(org.name);

      const me = await (await t().request('GET', '/api/v1/me', { cookie })).json();
      expect(me).toMatchObject({ email: 'ada@acme.test', name: 'Ada Lovelace', orgs: [{ slug: org.slug, role: 'admin' }] });
      const members = await (await t().request('GET', `/api/v1/orgs/${org.slug}/teams/${team.id}`, { cookie: org.owner })).json();
      expect(members.members.map((m: { email: string }) => m.email)).toContain('ada@acme.test');
      expect(await samlSessions(org)).toEqual([{ email: 'ada@acme.test', method: 'saml', org_id: org.id }]);

      const login = await t().ctx.db.selectFrom('audit_event').selectAll().where('org_id', '=', org.id).where('action', '=', 'auth.login').executeTakeFirstOrThrow();
      expect(login).toMatchObject({ ip: '203.0.113.7', user_agent: 'SamlBrowser/1.0', actor_id: me.id });
      expect(JSON.parse(login.data!)).toMatchObject({ method: 'saml' });

      // The next sign-in finds the same person by NameID, even with a changed email.
      const again = await post(org, await answer(org, { nameId: 'ada-8f3e', email: 'ada.lovelace@acme.test', groups: ['staff'] }));
      expect(again.status).toBe(303);
      const me2 = await (await t().request('GET', '/api/v1/me', { cookie: cookieFrom(again) })).json();
      expect(me2.id).toBe(me.id);
    });

    it('SP-initiated end to end: login redirects to the IdP with an AuthnRequest, the answer to it lands on the page asked for', async () => {
      const org = await samlOrg();
      const res = await t().request('GET', `/sso/${org.slug}/saml/login?next=${encodeURIComponent(`/o/${org.slug}/documents`)}`);
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('Location')!);
      expect(`${location.origin}${location.pathname}`).toBe(idp.ssoUrl);
      expect(location.searchParams.get('SAMLRequest')).toBeTruthy();
      const req = decodeAuthnRequest(location.toString());
      expect(req.acsUrl).toBe(org.acs);
      expect(req.issuer).toBe(org.audience);
      expect(req.xml).toContain(`Destination="${idp.ssoUrl}"`);

      const xml = idp.response({ destination: org.acs, audience: org.audience, inResponseTo: req.id, nameId: 'grace@acme.test', email: 'grace@acme.test', name: 'Grace Hopper' });
      const done = await post(org, xml);
      expect(done.status).toBe(303);
      expect(done.headers.get('Location')).toBe(`/o/${org.slug}/documents`);
      const page = await t().request('GET', `/o/${org.slug}`, { cookie: cookieFrom(done) });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(org.name);

      // The request is single use: the same answer again is refused.
      await expectRefused(org, await post(org, xml), 'replayed');
    });

    it('accepts a signed assertion inside a signed response (Keycloak with both signatures on)', async () => {
      const org = await samlOrg();
      const res = await post(org, await answer(org, { nameId: 'kc-1', email: 'kc1@acme.test', signResponse: true }));
      expect(res.status).toBe(303);
      expect(await samlSessions(org)).toEqual([{ email: 'kc1@acme.test', method: 'saml', org_id: org.id }]);
    });

    it('shows the identity provider’s refusal (user not assigned) plainly', async () => {
      const org = await samlOrg();
      const req = await startLogin(org);
      const xml =
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${samlId()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${org.acs}" InResponseTo="${req.id}">` +
        `<saml:Issuer>${idp.entityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode>` +
        `<samlp:StatusMessage>AADSTS50105: the signed in user is not assigned to a role for the application</samlp:StatusMessage></samlp:Status></samlp:Response>`;
      const html = await expectRefused(org, await post(org, xml), 'idp_refused');
      expect(html).toContain('did not sign you in');
      expect(html).not.toContain('AADSTS50105');
    });

    it('refuses an unsigned assertion, also inside a signed response', async () => {
      const org = await samlOrg();
      await expectRefused(org, await post(org, await answer(org, { nameId: 'u1', email: 'u1@acme.test', signAssertion: false })), 'unsigned');
      await expectRefused(org, await post(org, await answer(org, { nameId: 'u1', email: 'u1@acme.test', signAssertion: false, signResponse: true })), 'unsigned');
      expect(await samlSessions(org)).toEqual([]);
    });

    it('refuses an assertion changed after signing (email swapped)', async () => {
      const org = await samlOrg();
      const xml = (await answer(org, { nameId: 'eve-1', email: 'eve@acme.test' })).replace('eve@acme.test', 'owner@acme.test');
      const html = await expectRefused(org, await post(org, xml), 'tampered');
      expect(html).toContain('changed after it was signed');
    });

    it('refuses an assertion signed with another key', async () => {
      const org = await samlOrg();
      await expectRefused(org, await post(org, await answer(org, { nameId: 'm1', email: 'm1@acme.test' }, stranger)), 'bad_signature');
    });

    it('refuses expired and not yet valid assertions', async () => {
      const org = await samlOrg();
      const now = Date.now();
      const expired = await answer(org, { nameId: 'x1', email: 'x1@acme.test', notBefore: new Date(now - 20 * MINUTE), notOnOrAfter: new Date(now - 10 * MINUTE) });
      expect(await expectRefused(org, await post(org, expired), 'expired')).toContain('has expired');
      const early = await answer(org, { nameId: 'x1', email: 'x1@acme.test', notBefore: new Date(now + 10 * MINUTE), notOnOrAfter: new Date(now + 20 * MINUTE) });
      expect(await expectRefused(org, await post(org, early), 'not_yet_valid')).toContain('not valid yet');
    });

    it('refuses an assertion for another audience, another recipient or another destination', async () => {
      const org = await samlOrg();
      await expectRefused(org, await post(org, await answer(org, { nameId: 'w1', email: 'w1@acme.test', audience: 'https://other-app.test/saml' })), 'wrong_audience');
      await expectRefused(org, await post(org, await answer(org, { nameId: 'w1', email: 'w1@acme.test', recipient: 'https://other-app.test/acs' })), 'wrong_recipient');
      await expectRefused(org, await post(org, await answer(org, { nameId: 'w1', email: 'w1@acme.test', destination: 'https://other-app.test/acs', recipient: org.acs })), 'wrong_recipient');
    });

    it('refuses a replayed assertion, even answering a fresh request', async () => {
      const org = await samlOrg();
      const id = samlId();
      const first = await post(org, await answer(org, { nameId: 'r1', email: 'r1@acme.test', assertionId: id }));
      expect(first.status).toBe(303);
      await expectRefused(org, await post(org, await answer(org, { nameId: 'r1', email: 'r1@acme.test', assertionId: id })), 'replayed');
    });

    it('refuses IdP-initiated responses and answers to requests Folio never made, with a clear message', async () => {
      const org = await samlOrg();
      const unsolicited = idp.response({ destination: org.acs, audience: org.audience, inResponseTo: null, nameId: 'i1', email: 'i1@acme.test' });
      expect(await expectRefused(org, await post(org, unsolicited), 'unknown_request')).toContain('must start at Folio');
      const unknown = idp.response({ destination: org.acs, audience: org.audience, inResponseTo: samlId(), nameId: 'i1', email: 'i1@acme.test' });
      expect(await expectRefused(org, await post(org, unknown), 'unknown_request')).toContain('did not ask for this sign-in');
    });

    it('refuses garbage, DOCTYPEs and missing responses with 400', async () => {
      const org = await samlOrg();
      await expectRefused(org, await t().request('POST', `/sso/${org.slug}/saml/acs`, { form: { SAMLResponse: 'not base64 at all!' } }), 'malformed', 400);
      await expectRefused(org, await t().request('POST', `/sso/${org.slug}/saml/acs`, { form: {} }), 'malformed', 400);
      const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>`;
      await expectRefused(org, await post(org, xxe), 'malformed', 400);
      await expectRefused(org, await post(org, '<html>hello</html>'), 'malformed', 400);
    });

    describe('XML signature wrapping', () => {
      async function forged(org: Org) {
        const signed = await answer(org, { nameId: 'low@acme.test', email: 'low@acme.test', name: 'Low' });
        const evil = assertionOf(idp.response({ destination: org.acs, audience: org.audience, inResponseTo: null, nameId: 'boss@acme.test', email: 'boss@acme.test', signAssertion: false }));
        return { signed, evil, original: assertionOf(signed) };
      }

      it('refuses a second, unsigned assertion inserted before or after the signed one', async () => {
        const org = await samlOrg();
        const a = await forged(org);
        await expectRefused(org, await post(org, a.signed.replace(a.original, a.evil + a.original)), 'wrapping');
        const b = await forged(org);
        await expectRefused(org, await post(org, b.signed.replace(b.original, b.original + b.evil)), 'wrapping');
        expect(await samlSessions(org)).toEqual([]);
      });

      it('refuses the signed assertion moved into Extensions or a signature Object with a forged one in its place', async () => {
        const org = await samlOrg();
        const a = await forged(org);
        const ext = `<samlp:Extensions>${a.original}</samlp:Extensions>`;
        await expectRefused(org, await post(org, a.signed.replace(a.original, ext + a.evil)), 'wrapping');

        // The forged assertion takes the signed one's ID and signature; the original hides in ds:Object.
        const b = await forged(org);
        const id = /ID="([^"]+)"/.exec(b.original)![1];
        const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(b.original)![0];
        const hidden = signature.replace('</ds:Signature>', `<ds:Object>${b.original.replace(signature, '')}</ds:Object></ds:Signature>`);
        const evil = b.evil.replace(/ID="[^"]+"/, `ID="${id}"`).replace(/(<saml:Issuer>[^<]*<\/saml:Issuer>)/, `$1${hidden}`);
        await expectRefused(org, await post(org, b.signed.replace(b.original, evil)), 'wrapping');
        expect(await samlSessions(org)).toEqual([]);
      });

      it('a comment injected into the NameID does not change who signs in', async () => {
        const org = await samlOrg();
        const victim = await buildMember(t().ctx, org.id, 'admin', { email: 'user@evil.test' });
        const signed = await answer(org, { nameId: 'user@evil.test.good.test', email: 'user@evil.test.good.test' });
        const commented = signed.replaceAll('user@evil.test.good.test', 'user@evil.test<!---->.good.test');
        expect(commented).toContain('<!---->');
        // Only what was signed counts: the signature excludes comments, and so does the identity read from it.
        const res = await post(org, commented);
        expect(res.status).toBe(303);
        const me = await (await t().request('GET', '/api/v1/me', { cookie: cookieFrom(res) })).json();
        expect(me.email).toBe('user@evil.test.good.test');
        expect(me.id).not.toBe(victim.id);
        const sessions = await samlSessions(org);
        expect(sessions.map((s) => s.email)).not.toContain('user@evil.test');
      });
    });

    it('an IdP cannot sign in an account that is not a member of the organization', async () => {
      const org = await samlOrg();
      const other = await buildOrg(t().ctx);
      const outsider = await buildMember(t().ctx, other.org.id, 'member', { email: `outsider-${org.slug}@acme.test` });
      const res = await post(org, await answer(org, { nameId: 'o1', email: outsider.email }));
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('cannot sign in to this organization');
    });

    it('serves SP metadata with the entity id, ACS URL and signed assertions wanted', async () => {
      const org = await samlOrg();
      const res = await t().request('GET', `/sso/${org.slug}/saml/metadata`);
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toContain('xml');
      const xml = await res.text();
      expect(xml).toContain(`entityID="${org.audience}"`);
      expect(xml).toContain(`Location="${org.acs}"`);
      expect(xml).toContain('WantAssertionsSigned="true"');
      expect((await t().request('GET', '/sso/no-such-org/saml/metadata')).status).toBe(404);
    });

    it('settings: the API shows what to give the IdP; metadata import validates; manual fields work; SAML only is stored in the policy', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const owner = await sessionCookie(t().ctx, ownerId);
      const url = `/api/v1/orgs/${org.slug}/sign-in/saml`;
      const empty = await (await t().request('GET', url, { cookie: owner })).json();
      expect(empty).toMatchObject({
        enabled: false,
        spEntityId: `http://localhost/sso/${org.slug}/saml/metadata`,
        attributes: { email: AZURE.email, groups: AZURE.groups },
        serviceProvider: { acsUrl: `http://localhost/sso/${org.slug}/saml/acs`, metadataUrl: `http://localhost/sso/${org.slug}/saml/metadata` },
      });

      const xxe = await t().request('PUT', url, { cookie: owner, json: { metadataXml: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>' } });
      expect(xxe.status).toBe(400);
      expect((await xxe.json()).error.message).toMatch(/DOCTYPE/);
      const incomplete = await t().request('PUT', url, { cookie: owner, json: { enabled: true, idpEntityId: 'https://idp.test/x' } });
      expect(incomplete.status).toBe(400);
      expect((await incomplete.json()).error.message).toMatch(/single sign-on URL, its signing certificate/);
      const badCert = await t().request('PUT', url, { cookie: owner, json: { certificates: 'hello' } });
      expect(badCert.status).toBe(400);

      const manual = await t().request('PUT', url, {
        cookie: owner,
        json: { enabled: true, idpEntityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: idp.certPem, attributes: { email: 'mail' }, defaultRole: 'viewer', ssoOnly: true },
      });
      expect(manual.status).toBe(200);
      const saved = await manual.json();
      expect(saved).toMatchObject({ enabled: true, idpEntityId: idp.entityId, ssoUrl: idp.ssoUrl, defaultRole: 'viewer', ssoOnly: true, attributes: { email: 'mail' } });
      expect(saved.certificates[0]).toMatchObject({ subject: 'CN=Acme IdP', expired: false });
      const policy = await t().ctx.db.selectFrom('org_security_policy').select('sso_only').where('org_id', '=', org.id).executeTakeFirstOrThrow();
      expect(policy.sso_only).toBe('saml');
      expect(await (await t().request('GET', `/sso/${org.slug}`)).text()).not.toContain('Sign in with email and password instead');

      await t().request('PUT', url, { cookie: owner, json: { ssoOnly: false } });
      expect((await t().ctx.db.selectFrom('org_security_policy').select('sso_only').where('org_id', '=', org.id).executeTakeFirstOrThrow()).sso_only).toBeNull();
      const changes = await t().ctx.db.selectFrom('audit_event').select('action').where('org_id', '=', org.id).where('action', 'in', ['signin.settings_changed', 'security.policy_changed']).execute();
      expect(changes.filter((c) => c.action === 'security.policy_changed')).toHaveLength(2);
    });

    it('settings page: shows the SP addresses and imports uploaded metadata', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const owner = await sessionCookie(t().ctx, ownerId);
      const pageUrl = `/o/${org.slug}/settings/sign-in/saml`;
      const html = await (await t().request('GET', pageUrl, { cookie: owner })).text();
      expect(html).toContain(`http://localhost/sso/${org.slug}/saml/acs`);
      expect(html).toContain(`http://localhost/sso/${org.slug}/saml/metadata`);

      const form = new FormData();
      form.set('enabled', 'on');
      form.set('metadataFile', new File([idp.metadata()], 'idp.xml', { type: 'application/xml' }));
      for (const k of ['metadataXml', 'idpEntityId', 'ssoUrl', 'certificates', 'spEntityId', 'emailAttribute', 'nameAttribute', 'groupsAttribute']) form.set(k, '');
      form.set('defaultRole', 'member');
      const saved = await t().request('POST', pageUrl, { cookie: owner, body: form });
      expect(saved.status).toBe(303);
      const after = await (await t().request('GET', pageUrl, { cookie: owner })).text();
      expect(after).toContain(idp.entityId);
      expect(after).toContain('CN=Acme IdP');
      expect(await (await t().request('GET', `/sso/${org.slug}`)).text()).toContain(`/sso/${org.slug}/saml/login`);

      const bad = new FormData();
      bad.set('metadataXml', '<!DOCTYPE x><x/>');
      const refused = await t().request('POST', pageUrl, { cookie: owner, body: bad });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('DOCTYPE or entity declaration');
    });

    it('another organization’s admin cannot read or change these settings; a plain member may not either', async () => {
      const org = await samlOrg();
      const other = await buildOrg(t().ctx);
      const otherAdmin = await sessionCookie(t().ctx, other.ownerId);
      const url = `/api/v1/orgs/${org.slug}/sign-in/saml`;
      expect((await t().request('GET', url, { cookie: otherAdmin })).status).toBe(404);
      expect((await t().request('PUT', url, { cookie: otherAdmin, json: { enabled: false } })).status).toBe(404);
      expect((await t().request('GET', `/o/${org.slug}/settings/sign-in/saml`, { cookie: otherAdmin })).status).toBe(404);
      expect((await t().request('POST', `/o/${org.slug}/settings/sign-in/saml`, { cookie: otherAdmin, form: { enabled: 'off' } })).status).toBe(404);
      const member = await buildMember(t().ctx, org.id, 'member');
      expect((await t().request('GET', url, { cookie: await sessionCookie(t().ctx, member.id) })).status).toBe(403);
      const still = await (await t().request('GET', url, { cookie: org.owner })).json();
      expect(still.enabled).toBe(true);
    });
  });
}
