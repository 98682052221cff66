import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueDueLdapSyncs, LDAP_SYNC_JOB } from '../../src/modules/identity/ldap/ldap.sync';
import { LDAP_FAILED } from '../../src/modules/identity/ldap/ldap.service';
import { DIALECTS } from '../support/db';
import { cookieFrom, useTestApp } from '../support/app';
import { buildOrg, sessionCookie } from '../support/factories';
import { HAS_SLAPD, makeTestCertificates, NO_SLAPD, type Slapd, startSlapd, SUFFIX } from '../support/slapd';

if (!HAS_SLAPD) {
  if (process.env.CI) throw new Error(`${NO_SLAPD}; CI installs slapd, so this is a broken CI setup`);
  console.warn(NO_SLAPD);
}

const PEOPLE = `ou=people,${SUFFIX}`;
const GROUPS = `ou=groups,${SUFFIX}`;
const SERVICE_DN = `cn=svc-folio,ou=services,${SUFFIX}`;
const SERVICE_PASSWORD = 'svc-Folio-secret';
const PW = 'Directory-pass-1';

function person(uid: string, o: { mail?: string | null; extra?: string[] } = {}) {
  const mail = o.mail === undefined ? `${uid}@example.org` : o.mail;
  return [
    `dn: uid=${uid},${PEOPLE}`,
    'objectClass: inetOrgPerson',
    `uid: ${uid}`,
    `cn: ${uid[0].toUpperCase()}${uid.slice(1)} Example`,
    'sn: Example',
    ...(mail ? [`mail: ${mail}`] : []),
    `userPassword: ${PW}`,
    ...(o.extra ?? []),
    '',
  ].join('\n');
}

function group(cn: string, members: string[], cls = 'groupOfNames', attr = 'member') {
  return [`dn: cn=${cn},${GROUPS}`, `objectClass: ${cls}`, `cn: ${cn}`, ...members.map((m) => `${attr}: ${m}`), ''].join('\n');
}

const uidDn = (uid: string) => `uid=${uid},${PEOPLE}`;
const groupDn = (cn: string) => `cn=${cn},${GROUPS}`;

/**
 * The test directory: a service account; alice (plain); bob in a nested group (folio-admins ⊃
 * platform ⊃ bob) and in a cycle of groups; carol disabled; dave without email; erin and
 * frank for the sync; adminx so that an unescaped `admin*` would find someone; grace, heidi
 * and ivan each sign in to an organization of their own (an account belongs to the first
 * organization whose directory provisioned it).
 */
const DIRECTORY = [
  ['dn: ' + SUFFIX, 'objectClass: dcObject', 'objectClass: organization', 'dc: example', 'o: Example', ''].join('\n'),
  ...['people', 'groups', 'services'].map((ou) => [`dn: ou=${ou},${SUFFIX}`, 'objectClass: organizationalUnit', `ou: ${ou}`, ''].join('\n')),
  [`dn: ${SERVICE_DN}`, 'objectClass: organizationalRole', 'objectClass: simpleSecurityObject', 'cn: svc-folio', `userPassword: ${SERVICE_PASSWORD}`, ''].join('\n'),
  person('alice'),
  person('bob', { mail: 'Bob@Example.org' }),
  person('carol', { extra: ['employeeType: disabled'] }),
  person('dave', { mail: null }),
  person('erin'),
  person('frank'),
  person('adminx'),
  ...['grace', 'heidi', 'ivan'].map((uid) => person(uid)),
  group('platform', [uidDn('bob')]),
  group('folio-admins', [groupDn('platform')]),
  group('readers', [uidDn('alice')], 'groupOfUniqueNames', 'uniqueMember'),
  group('cycle-a', [uidDn('bob')]),
  group('cycle-b', [groupDn('cycle-a')]),
  // cycle-a ⊃ cycle-b ⊃ cycle-a: nesting resolution must stop.
  [`dn: ${groupDn('cycle-a')}`, 'changetype: modify', 'add: member', `member: ${groupDn('cycle-b')}`, ''].join('\n'),
].join('\n');

function settings(url: string, o: Record<string, unknown> = {}) {
  return {
    enabled: true,
    url,
    bindDn: SERVICE_DN,
    bindPassword: SERVICE_PASSWORD,
    userBase: PEOPLE,
    groupBase: GROUPS,
    disabledFilter: '(employeeType=disabled)',
    nameAttribute: 'cn',
    connectTimeoutSeconds: 2,
    timeoutSeconds: 3,
    ...o,
  };
}

/** The form error a sign-in page shows. */
const alertOf = (html: string) => /<p class="alert" role="alert">([^<]*)<\/p>/.exec(html)?.[1]?.replace(/&#39;/g, "'").replace(/&quot;/g, '"');

/** A TCP server that accepts connections and never answers: a hung directory. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ldap://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `ldap://127.0.0.1:${port}`;
}

for (const dialect of DIALECTS) {
  describe.skipIf(!HAS_SLAPD)(`LDAP sign-in against OpenLDAP (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { server: { trustProxy: true }, auth: { lockoutThreshold: 4, lockoutBaseSeconds: 60 } } });
    let slapd: Slapd;
    beforeAll(async () => {
      slapd = await startSlapd({ ldif: DIRECTORY });
    }, 30_000);
    afterAll(async () => {
      await slapd?.stop();
    });

    interface LdapOrg {
      id: string;
      slug: string;
      owner: string;
      ownerId: string;
    }

    async function ldapOrg(o: Record<string, unknown> = {}): Promise<LdapOrg> {
      const { org, ownerId } = await buildOrg(t().ctx);
      const owner = await sessionCookie(t().ctx, ownerId);
      const res = await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: owner, json: settings(slapd.url, o) });
      expect(res.status, await res.clone().text()).toBe(200);
      return { id: org.id, slug: org.slug, owner, ownerId };
    }

    // Most tests share one organization: a directory account, once provisioned, belongs to it.
    let main: LdapOrg | undefined;
    const mainOrg = async () => (main ??= await ldapOrg());
    const restore = async (org: LdapOrg) => {
      const res = await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: org.owner, json: settings(slapd.url) });
      expect(res.status).toBe(200);
    };

    const signIn = (org: LdapOrg, username: string, password: string, next = '/after') =>
      t().request('POST', `/sso/${org.slug}/ldap`, {
        form: { username, password, next },
        headers: { 'X-Forwarded-For': '203.0.113.7', 'User-Agent': 'LdapTest/1.0' },
      });

    async function mapGroup(org: LdapOrg, groupName: string, o: { team?: string; role?: string }) {
      let teamId = '';
      if (o.team) {
        const res = await t().request('POST', `/api/v1/orgs/${org.slug}/teams`, { cookie: org.owner, json: { name: o.team } });
        teamId = (await res.json()).id;
      }
      const res = await t().request('POST', `/o/${org.slug}/settings/sign-in/groups`, { cookie: org.owner, form: { groupName, teamId, role: o.role ?? '' } });
      expect(res.status).toBe(303);
      return teamId;
    }

    const teamMembers = async (teamId: string) =>
      (await t().ctx.db.selectFrom('team_member').innerJoin('user', 'user.id', 'team_member.user_id').select('user.email').where('team_id', '=', teamId).execute()).map((r) => r.email);

    it('saves settings without ever showing the bind password back, and rejects unusable ones clearly', async () => {
      const org = await mainOrg();
      const got = await (await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: org.owner })).json();
      expect(got).toMatchObject({ configured: true, enabled: true, bindPasswordSet: true, settings: { url: slapd.url, uniqueIdAttribute: 'entryUUID', groupMode: 'search' } });
      expect(JSON.stringify(got)).not.toContain(SERVICE_PASSWORD);
      const page = await (await t().request('GET', `/o/${org.slug}/settings/sign-in/ldap`, { cookie: org.owner })).text();
      expect(page).toContain('A password is stored');
      expect(page).not.toContain(SERVICE_PASSWORD);
      const stored = await t().ctx.db.selectFrom('identity_provider').select(['settings', 'secret']).where('org_id', '=', org.id).executeTakeFirstOrThrow();
      expect(`${stored.settings}${stored.secret}`).not.toContain(SERVICE_PASSWORD);

      const bad = await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: org.owner, json: settings('http://dc1.example', { userFilter: '(uid=fixed)' }) });
      expect(bad.status).toBe(400);
      const err = (await bad.json()).error;
      expect(err.message).toContain('ldap://host[:port]');
      expect(err.message).toContain('must contain {username}');
      // Saving again with no password keeps the stored one.
      const again = await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: org.owner, json: { ...settings(slapd.url), bindPassword: '' } });
      expect((await again.json()).bindPasswordSet).toBe(true);
      expect((await signIn(org, 'alice', PW)).status).toBe(303);
    });

    it('an administrator configures the directory with the settings form', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const owner = await sessionCookie(t().ctx, ownerId);
      const path = `/o/${org.slug}/settings/sign-in/ldap`;
      const empty = await (await t().request('GET', path, { cookie: owner })).text();
      expect(empty).toContain('Required before sign-in can be turned on.');
      expect(empty).not.toContain('Test connection');
      const form = {
        enabled: 'on', url: slapd.url, rejectUnauthorized: 'on', caCertificate: '', bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD,
        userBase: PEOPLE, userFilter: '(&(objectClass=inetOrgPerson)(uid={username}))', usernameAttribute: 'uid', emailAttribute: 'mail',
        nameAttribute: 'cn', uniqueIdAttribute: 'entryUUID', disabledFilter: '(employeeType=disabled)', groupMode: 'search', groupBase: GROUPS,
        groupFilter: '(member={dn})', groupNameAttribute: 'cn', groupNestingDepth: '3', defaultRole: 'viewer', connectTimeoutSeconds: '4', timeoutSeconds: '6',
      };
      const bad = await t().request('POST', path, { cookie: owner, form: { ...form, userFilter: '(uid=fixed)' } });
      expect(bad.status).toBe(400);
      const badHtml = await bad.text();
      expect(badHtml).toContain('The user filter must contain {username}');
      expect(badHtml).not.toContain(SERVICE_PASSWORD);
      expect(badHtml).toContain('value="(uid=fixed)"');
      const saved = await t().request('POST', path, { cookie: owner, form });
      expect(saved.status).toBe(303);
      const got = await (await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: owner })).json();
      expect(got).toMatchObject({ enabled: true, bindPasswordSet: true, settings: { startTls: false, rejectUnauthorized: true, groupNestingDepth: 3, defaultRole: 'viewer', groupFilter: '(member={dn})' } });
      const page = await (await t().request('GET', path, { cookie: owner })).text();
      expect(page).toContain('Test connection');
      expect(page).toContain('Not synced yet.');
      expect(page).not.toContain(SERVICE_PASSWORD);
      const signInPage = await (await t().request('GET', `/sso/${org.slug}`)).text();
      expect(signInPage).toContain(`action="/sso/${org.slug}/ldap"`);
      // Turning sign-in off takes the form off the organization's sign-in page.
      await t().request('POST', path, { cookie: owner, form: { ...form, enabled: '', bindPassword: '' } });
      expect(await (await t().request('GET', `/sso/${org.slug}`)).text()).not.toContain(`action="/sso/${org.slug}/ldap"`);
      expect((await t().request('POST', `/sso/${org.slug}/ldap`, { form: { username: 'heidi', password: PW, next: '/' } })).status).toBe(404);
    });

    it('signs in with the directory password and provisions the member, with the sign-in audited', async () => {
      const org = await mainOrg();
      const res = await signIn(org, 'alice', PW, '/o/x/documents');
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe('/o/x/documents');
      const cookie = cookieFrom(res);
      const me = await (await t().request('GET', '/api/v1/me', { cookie })).json();
      expect(me).toMatchObject({ email: 'alice@example.org', name: 'Alice Example', orgs: [{ slug: org.slug, role: 'member' }] });
      const session = await t().ctx.db.selectFrom('session').select(['method', 'org_id']).where('user_id', '=', me.id).executeTakeFirstOrThrow();
      expect(session).toEqual({ method: 'ldap', org_id: org.id });
      const login = await t().ctx.db.selectFrom('audit_event').selectAll().where('action', '=', 'auth.login').where('actor_id', '=', me.id).executeTakeFirstOrThrow();
      expect(login).toMatchObject({ org_id: org.id, ip: '203.0.113.7', user_agent: 'LdapTest/1.0' });
      expect(JSON.parse(login.data!)).toMatchObject({ method: 'ldap' });
      // The username is matched as the directory does (case-insensitively); the same account comes back.
      const again = await signIn(org, 'ALICE', PW);
      expect(again.status).toBe(303);
      expect((await (await t().request('GET', '/api/v1/me', { cookie: cookieFrom(again) })).json()).id).toBe(me.id);
    });

    it('a person in a nested group gets the team and role mapped to the outer group; cycles of groups end', async () => {
      const org = await mainOrg();
      const teamId = await mapGroup(org, 'folio-admins', { team: 'Administrators', role: 'admin' });
      const res = await signIn(org, 'bob', PW);
      expect(res.status).toBe(303);
      const me = await (await t().request('GET', '/api/v1/me', { cookie: cookieFrom(res) })).json();
      expect(me.orgs).toEqual([expect.objectContaining({ slug: org.slug, role: 'admin' })]);
      expect(await teamMembers(teamId)).toEqual(['bob@example.org']);
      const identity = await t().ctx.db.selectFrom('external_identity').select('groups').where('org_id', '=', org.id).where('user_id', '=', me.id).executeTakeFirstOrThrow();
      expect(JSON.parse(identity.groups!)).toEqual(expect.arrayContaining(['platform', 'folio-admins', 'cycle-a', 'cycle-b', groupDn('folio-admins')]));
    });

    it('wrong password, unknown user, empty password, a disabled account and one without email all get the same answer', async () => {
      const org = await mainOrg();
      const cases: [string, string, string][] = [
        ['alice', 'wrong-password', 'wrong_password'],
        ['nobody', PW, 'unknown_user'],
        ['alice', '', 'empty_password'],
        ['carol', PW, 'disabled'],
        ['dave', PW, 'missing_email'],
      ];
      for (const [username, password, reason] of cases) {
        const res = await signIn(org, username, password);
        expect(res.status, `${username}/${reason}`).toBe(401);
        expect(res.headers.getSetCookie().some((c) => c.startsWith('folio_session='))).toBe(false);
        const html = await res.text();
        expect(alertOf(html)).toBe(LDAP_FAILED);
        expect(html).toContain(`value="${username}"`);
        const events = await t().ctx.db.selectFrom('audit_event').select(['data', 'org_id']).where('action', '=', 'auth.login_failed').where('org_id', '=', org.id).execute();
        expect(events.map((e) => JSON.parse(e.data!)).some((d) => d.reason === reason && d.method === 'ldap' && d.username === username), reason).toBe(true);
      }
      expect(await t().ctx.db.selectFrom('user').select('id').where('email', 'in', ['carol@example.org', 'dave@example.org']).execute()).toEqual([]);
    });

    it('filter metacharacters in the username match nobody', async () => {
      const org = await mainOrg();
      const members = async () => (await t().ctx.db.selectFrom('org_member').select('user_id').where('org_id', '=', org.id).execute()).length;
      const before = await members();
      const names = ['*', '*)(uid=*', 'admin*', ')(|(uid=*', '\\2a', 'alice\u0000', '*)(|(objectClass=*)', 'al*'];
      for (const username of names) {
        const res = await signIn(org, username, PW);
        expect(res.status, JSON.stringify(username)).toBe(401);
        expect(alertOf(await res.text())).toBe(LDAP_FAILED);
      }
      const events = (await t().ctx.db.selectFrom('audit_event').select('data').where('action', '=', 'auth.login_failed').where('org_id', '=', org.id).execute()).map((e) => JSON.parse(e.data!));
      const reasons = events.filter((d) => names.some((n) => n.trim() === d.username)).map((d) => d.reason);
      expect(reasons.length).toBe(names.length);
      expect(new Set(reasons)).toEqual(new Set(['unknown_user', 'invalid_username']));
      expect(await members()).toBe(before);
    });

    it('locks a username out after repeated failures, like password sign-in', async () => {
      const org = await mainOrg();
      for (let i = 0; i < 4; i++) expect((await signIn(org, 'frank', `wrong-${i}`)).status).toBe(401);
      const locked = await signIn(org, 'frank', PW);
      expect(locked.status).toBe(429);
      expect(alertOf(await locked.text())).toContain('Try again in 1 minute');
      t().clock.advance(61_000);
      expect((await signIn(org, 'frank', PW)).status).toBe(303);
    });

    it('test connection reports what it finds, and each kind of failure clearly', async () => {
      const org = await mainOrg();
      const test = (body: unknown = {}) => t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/ldap/test`, { cookie: org.owner, json: body });
      const ok = await (await test({ username: 'bob' })).json();
      expect(ok).toMatchObject({
        ok: true,
        userCount: 10,
        testUser: { found: true, dn: uidDn('bob'), email: 'Bob@Example.org', name: 'Bob Example', disabled: false },
      });
      expect(ok.testUser.groups.sort()).toEqual(['cycle-a', 'cycle-b', 'folio-admins', 'platform']);
      expect(ok.testUser.uniqueId).toMatch(/^[0-9a-f-]{36}$/);
      expect((await (await test({ username: 'carol' })).json()).testUser).toMatchObject({ found: true, disabled: true });
      expect((await (await test({ username: '*' })).json()).testUser).toMatchObject({ found: false, message: 'No one matches "*" under the user base.' });

      // The settings page shows the same.
      const page = await (await t().request('POST', `/o/${org.slug}/settings/sign-in/ldap/test`, { cookie: org.owner, form: { username: 'bob' } })).text();
      expect(page).toContain('Connection test succeeded');
      expect(page).toContain(uidDn('bob'));
      expect(page).toContain('cycle-a, cycle-b, folio-admins, platform');

      const put = (o: Record<string, unknown>, url = slapd.url) => t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: org.owner, json: settings(url, o) });
      await put({ bindPassword: 'not-the-password' });
      expect(await (await test()).json()).toMatchObject({ ok: false, error: { reason: 'bind', message: expect.stringContaining('bind DN or password is wrong') } });
      const failed = await (await t().request('POST', `/o/${org.slug}/settings/sign-in/ldap/test`, { cookie: org.owner, form: {} })).text();
      expect(failed).toContain('Connection test failed');
      expect(failed).toContain('bind DN or password is wrong');

      await put({ userBase: `ou=nowhere,${SUFFIX}` });
      expect(await (await test()).json()).toMatchObject({ ok: false, error: { reason: 'base_not_found' } });
      await put({ groupBase: `ou=nogroups,${SUFFIX}` });
      expect(await (await test()).json()).toMatchObject({ ok: false, error: { reason: 'base_not_found' } });

      await put({}, await closedPort());
      expect(await (await test()).json()).toMatchObject({ ok: false, error: { reason: 'connect', message: expect.stringContaining('Cannot connect') } });

      const silent = await silentServer();
      try {
        await put({ connectTimeoutSeconds: 1, timeoutSeconds: 1 }, silent.url);
        const started = Date.now();
        expect(await (await test()).json()).toMatchObject({ ok: false, error: { reason: 'timeout', message: 'The directory did not answer in time.' } });
        expect(Date.now() - started).toBeLessThan(5_000);
        // Sign-in against a silent directory fails in time, with the same answer as any other failure.
        const res = await signIn(org, 'alice', PW);
        expect(res.status).toBe(401);
        expect(alertOf(await res.text())).toBe(LDAP_FAILED);
      } finally {
        await silent.close();
        await restore(org);
      }
    }, 30_000);

    it("reads groups from memberOf too, following nesting", async () => {
      const org = await ldapOrg({ groupMode: 'memberof' });
      const r = await (await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/ldap/test`, { cookie: org.owner, json: { username: 'bob' } })).json();
      expect(r.testUser.groups.sort()).toEqual(['cycle-a', 'cycle-b', 'folio-admins', 'platform']);
      const direct = await ldapOrg({ groupMode: 'search', groupNestingDepth: 0 });
      const d = await (await t().request('POST', `/api/v1/orgs/${direct.slug}/sign-in/ldap/test`, { cookie: direct.owner, json: { username: 'bob' } })).json();
      expect(d.testUser.groups.sort()).toEqual(['cycle-a', 'platform']);
    });

    it("another organization cannot see or use this organization's directory settings", async () => {
      const org = await mainOrg();
      const other = await ldapOrg();
      for (const [method, path] of [
        ['GET', `/api/v1/orgs/${org.slug}/sign-in/ldap`],
        ['PUT', `/api/v1/orgs/${org.slug}/sign-in/ldap`],
        ['POST', `/api/v1/orgs/${org.slug}/sign-in/ldap/test`],
        ['POST', `/api/v1/orgs/${org.slug}/sign-in/ldap/sync`],
        ['GET', `/o/${org.slug}/settings/sign-in/ldap`],
      ] as const) {
        const res = await t().request(method, path, { cookie: other.owner, json: method === 'GET' ? undefined : settings('ldap://127.0.0.1:1') });
        expect(res.status, `${method} ${path}`).toBe(404);
      }
      expect((await (await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: org.owner })).json()).settings.url).toBe(slapd.url);
      // A member who is not an administrator is refused.
      const res = await signIn(org, 'alice', PW);
      const member = cookieFrom(res);
      expect((await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: member })).status).toBe(403);
    });

    it('sync deactivates people removed or disabled in the directory at once, follows group changes, and brings back the re-enabled', async () => {
      const org = await mainOrg();
      const platformTeam = await mapGroup(org, 'platform', { team: 'Platform' });
      const readersTeam = await mapGroup(org, 'readers', { team: 'Readers' });
      const cookies: Record<string, string> = {};
      for (const uid of ['bob', 'erin', 'frank']) cookies[uid] = cookieFrom(await signIn(org, uid, PW));
      expect(await teamMembers(platformTeam)).toEqual(['bob@example.org']);
      expect(await teamMembers(readersTeam)).toEqual([]);

      await slapd.apply(
        [
          `dn: ${uidDn('erin')}`, 'changetype: delete', '',
          `dn: ${uidDn('frank')}`, 'changetype: modify', 'add: employeeType', 'employeeType: disabled', '',
          `dn: ${groupDn('platform')}`, 'changetype: modify', 'replace: member', `member: ${uidDn('alice')}`, '',
          `dn: ${groupDn('readers')}`, 'changetype: modify', 'add: uniqueMember', `uniqueMember: ${uidDn('bob')}`, '',
        ].join('\n'),
      );
      const res = await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/ldap/sync`, { cookie: org.owner });
      // alice, bob, erin and frank signed in earlier; alice and bob changed groups.
      expect(await res.json()).toMatchObject({ ok: true, checked: 4, deactivated: 2, missing: 1, disabled: 1, updated: 2, reactivated: 0 });
      expect((await t().request('GET', '/api/v1/me', { cookie: cookies.erin })).status).toBe(401);
      expect((await t().request('GET', '/api/v1/me', { cookie: cookies.frank })).status).toBe(401);
      expect((await t().request('GET', '/api/v1/me', { cookie: cookies.bob })).status).toBe(200);
      expect(await teamMembers(platformTeam)).toEqual(['alice@example.org']);
      expect((await teamMembers(readersTeam)).sort()).toEqual(['alice@example.org', 'bob@example.org']);
      const audit = await t().ctx.db.selectFrom('audit_event').select('data').where('action', '=', 'signin.ldap_sync').where('org_id', '=', org.id).executeTakeFirstOrThrow();
      expect(JSON.parse(audit.data!)).toMatchObject({ trigger: 'manual', deactivated: 2, checked: 4 });
      const page = await (await t().request('GET', `/o/${org.slug}/settings/sign-in/ldap`, { cookie: org.owner })).text();
      expect(page).toContain('4 checked, 2 deactivated, 0 reactivated, 2 updated.');
      // Deactivated people cannot sign in again while the directory disables them.
      expect((await signIn(org, 'frank', PW)).status).toBe(401);

      // Re-enabled in the directory: the next sync brings frank back, and he can sign in.
      await slapd.apply([`dn: ${uidDn('frank')}`, 'changetype: modify', 'delete: employeeType', ''].join('\n'));
      t().clock.advance(1_000);
      expect(await (await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/ldap/sync`, { cookie: org.owner })).json()).toMatchObject({ ok: true, reactivated: 1, deactivated: 0, missing: 1 });
      expect((await signIn(org, 'frank', PW)).status).toBe(303);
      // Put the directory back for the tests after this one.
      await slapd.apply(
        [person('erin'), `dn: ${groupDn('platform')}`, 'changetype: modify', 'replace: member', `member: ${uidDn('bob')}`, '', `dn: ${groupDn('readers')}`, 'changetype: modify', 'delete: uniqueMember', `uniqueMember: ${uidDn('bob')}`, ''].join('\n'),
      );
    });

    it('a member an administrator deactivated is not brought back by the sync', async () => {
      const org = await ldapOrg();
      const me = await (await t().request('GET', '/api/v1/me', { cookie: cookieFrom(await signIn(org, 'grace', PW)) })).json();
      await t().ctx.db.updateTable('org_member').set({ deactivated_at: t().clock.now().toISOString() }).where('org_id', '=', org.id).where('user_id', '=', me.id).execute();
      expect(await (await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/ldap/sync`, { cookie: org.owner })).json()).toMatchObject({ ok: true, reactivated: 0 });
      expect((await signIn(org, 'grace', PW)).status).toBe(401);
    });

    it('an unreachable or empty directory deactivates nobody', async () => {
      const org = await ldapOrg();
      const heidi = cookieFrom(await signIn(org, 'heidi', PW));
      await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: org.owner, json: settings(await closedPort()) });
      const down = await (await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/ldap/sync`, { cookie: org.owner })).json();
      expect(down).toMatchObject({ ok: false, deactivated: 0, error: expect.stringContaining('Cannot connect') });
      // A base that exists but holds no one (a moved OU) is treated as a failure too.
      await t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: org.owner, json: settings(slapd.url, { userBase: `ou=services,${SUFFIX}` }) });
      const empty = await (await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/ldap/sync`, { cookie: org.owner })).json();
      expect(empty).toMatchObject({ ok: false, deactivated: 0, error: expect.stringContaining('nobody was deactivated') });
      expect((await t().request('GET', '/api/v1/me', { cookie: heidi })).status).toBe(200);
      const p = await (await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: org.owner })).json();
      expect(p.lastSyncResult).toMatchObject({ ok: false });
      expect(p.lastSyncAt).toBe(t().clock.now().toISOString());
    });

    it('the schedule queues one sync job per organization when due, and the job runs the sync', async () => {
      const org = await ldapOrg();
      expect((await signIn(org, 'ivan', PW)).status).toBe(303);
      await t().ctx.db.updateTable('identity_provider').set({ last_sync_at: null }).where('kind', '=', 'ldap').execute();
      // Every organization with directory sign-in on is due; this test looks at its own.
      const queued = await enqueueDueLdapSyncs(t().ctx);
      expect(queued).toContain(org.id);
      expect(await enqueueDueLdapSyncs(t().ctx)).toEqual([]);
      // The runner works on the real clock; earlier tests moved the test clock ahead.
      await t().ctx.db.updateTable('job').set({ run_at: new Date().toISOString() }).where('type', '=', LDAP_SYNC_JOB).execute();
      await t().drainJobs({ timeoutMs: 60_000 });
      const job = await t().ctx.db.selectFrom('job').select(['status']).where('type', '=', LDAP_SYNC_JOB).where('org_id', '=', org.id).executeTakeFirstOrThrow();
      expect(job.status).toBe('succeeded');
      const p = await (await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: org.owner })).json();
      expect(p.lastSyncResult).toMatchObject({ ok: true, checked: 1, deactivated: 0 });
      // Not due again until auth.ldapSyncMinutes have passed.
      expect(await enqueueDueLdapSyncs(t().ctx)).not.toContain(org.id);
      t().clock.advance(61 * 60_000);
      expect(await enqueueDueLdapSyncs(t().ctx)).toContain(org.id);
    }, 90_000);
  });

  describe.skipIf(!HAS_SLAPD)(`LDAP over TLS (${dialect})`, () => {
    const t = useTestApp(dialect);
    let slapd: Slapd;
    let certs: Awaited<ReturnType<typeof makeTestCertificates>>;
    beforeAll(async () => {
      certs = await makeTestCertificates();
      slapd = await startSlapd({ ldif: DIRECTORY, tls: certs.tls });
    }, 60_000);
    afterAll(async () => {
      await slapd?.stop();
      certs?.cleanup();
    });

    it('ldaps:// and StartTLS work with the CA certificate, and a wrong CA is refused clearly', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const owner = await sessionCookie(t().ctx, ownerId);
      const put = (json: unknown) => t().request('PUT', `/api/v1/orgs/${org.slug}/sign-in/ldap`, { cookie: owner, json });
      const test = async () => (await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/ldap/test`, { cookie: owner, json: { username: 'alice' } })).json();

      expect((await put(settings(slapd.ldapsUrl!, { caCertificate: certs.caPem }))).status).toBe(200);
      expect(await test()).toMatchObject({ ok: true, testUser: { found: true, email: 'alice@example.org' } });
      expect((await t().request('POST', `/sso/${org.slug}/ldap`, { form: { username: 'alice', password: PW, next: '/' } })).status).toBe(303);

      await put(settings(slapd.ldapsUrl!, { caCertificate: certs.otherCaPem }));
      expect(await test()).toMatchObject({ ok: false, error: { reason: 'tls', message: expect.stringContaining('secure connection to the directory failed') } });
      await put(settings(slapd.ldapsUrl!, { caCertificate: '' }));
      expect(await test()).toMatchObject({ ok: false, error: { reason: 'tls' } });
      const refused = await t().request('POST', `/sso/${org.slug}/ldap`, { form: { username: 'alice', password: PW, next: '/' } });
      expect(refused.status).toBe(401);

      await put(settings(slapd.url, { startTls: true, caCertificate: certs.caPem }));
      expect(await test()).toMatchObject({ ok: true, testUser: { found: true } });
      await put(settings(slapd.url, { startTls: true, caCertificate: certs.otherCaPem }));
      expect(await test()).toMatchObject({ ok: false, error: { reason: 'tls' } });
    }, 30_000);
  });
}
