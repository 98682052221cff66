import { describe, expect, it } from 'vitest';
import { createScimToken } from '../../src/modules/identity/scim/scim.token.service';
import { newId, sha256Hex } from '../../src/shared/ids';
import { DIALECTS } from '../support/db';
import { useTestApp } from '../support/app';
import { buildMember, buildOrg, sessionCookie } from '../support/factories';

const SCIM_TYPE = 'application/scim+json';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

for (const dialect of DIALECTS) {
  describe(`SCIM 2.0 provisioning (${dialect})`, () => {
    const t = useTestApp(dialect);

    /** An organization with its owner and a SCIM token; `scim()` calls its endpoint as a client would. */
    async function setup() {
      const { org, ownerId } = await buildOrg(t().ctx);
      const { token } = await createScimToken(t().ctx, { userId: ownerId, orgId: org.id, role: 'owner' }, { name: 'IdP' });
      const base = `/scim/v2/${org.slug}`;
      const scim = (method: string, path: string, body?: unknown, o: { token?: string; raw?: string; headers?: Record<string, string> } = {}) =>
        t().request(method, `${base}${path}`, {
          headers: { Authorization: `Bearer ${o.token ?? token}`, Accept: SCIM_TYPE, ...(body !== undefined || o.raw !== undefined ? { 'Content-Type': `${SCIM_TYPE}; charset=utf-8` } : {}), ...o.headers },
          body: o.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
        });
      return { org, ownerId, token, base, scim };
    }

    const audits = (orgId: string, action: string) =>
      t().ctx.db.selectFrom('audit_event').selectAll().where('org_id', '=', orgId).where('action', '=', action).orderBy('created_at').execute();

    const signedIn = async (cookie: string) => (await t().request('GET', '/api/v1/me', { cookie })).status === 200;

    it('an administrator creates a token shown once (only its SHA-256 kept), lists and revokes it', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const cookie = await sessionCookie(t().ctx, ownerId);
      const page = await t().request('GET', `/o/${org.slug}/settings/scim`, { cookie });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`/scim/v2/${org.slug}`);
      const created = await t().request('POST', `/o/${org.slug}/settings/scim`, { cookie, form: { name: 'Okta' } });
      expect(created.status).toBe(201);
      const token = /value="(folio_scim_[^"]+)"/.exec(await created.text())![1];
      const row = await t().ctx.db.selectFrom('scim_token').selectAll().where('org_id', '=', org.id).executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(sha256Hex(token));
      expect(JSON.stringify(row)).not.toContain(token);
      const list = await (await t().request('GET', `/o/${org.slug}/settings/scim`, { cookie })).text();
      expect(list).toContain(row.prefix);
      expect(list).not.toContain(token);
      expect((await t().request('GET', `/scim/v2/${org.slug}/Users`, { token })).status).toBe(200);

      // A plain member may not manage tokens.
      const member = await buildMember(t().ctx, org.id, 'member');
      expect((await t().request('GET', `/o/${org.slug}/settings/scim`, { cookie: await sessionCookie(t().ctx, member.id) })).status).toBe(403);

      const revoked = await t().request('POST', `/o/${org.slug}/settings/scim/${row.id}/revoke`, { cookie });
      expect(revoked.status).toBe(303);
      const after = await t().request('GET', `/scim/v2/${org.slug}/Users`, { token });
      expect(after.status).toBe(401);
      expect(await after.json()).toMatchObject({ schemas: [ERROR], status: '401' });
      expect((await audits(org.id, 'scim.token_created')).length).toBe(1);
      expect((await audits(org.id, 'scim.token_revoked')).length).toBe(1);

      // The JSON API does the same.
      const api = await t().request('POST', `/api/v1/orgs/${org.slug}/sign-in/scim/tokens`, { cookie, json: { name: 'Azure AD' } });
      expect(api.status).toBe(201);
      const body = await api.json();
      expect(body.token).toMatch(/^folio_scim_/);
      expect(body.endpoint).toMatch(new RegExp(`/scim/v2/${org.slug}$`));
      expect((await (await t().request('GET', `/api/v1/orgs/${org.slug}/sign-in/scim/tokens`, { cookie })).json()).tokens.map((x: { name: string }) => x.name)).toEqual(['Azure AD']);
    });

    it('Azure AD: looks the user up, creates, updates with Replace operations, disables (sessions end), enables, deletes', async () => {
      const { org, scim } = await setup();
      const userName = `Test_User_${newId(6)}@contoso.test`;
      const lookup = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
      expect(lookup.status).toBe(200);
      expect(lookup.headers.get('Content-Type')).toContain(SCIM_TYPE);
      expect(await lookup.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, Resources: [], startIndex: 1 });

      const create = await scim('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: userName }],
        meta: { resourceType: 'User' },
        name: { formatted: 'Grace Hopper', familyName: 'Hopper', givenName: 'Grace' },
        roles: [],
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Navy' },
      });
      expect(create.status).toBe(201);
      const user = await create.json();
      expect(user).toMatchObject({ userName: userName.toLowerCase(), externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef', active: true, name: { givenName: 'Grace', familyName: 'Hopper' } });
      expect(create.headers.get('Location')).toMatch(new RegExp(`/scim/v2/${org.slug}/Users/${user.id}$`));
      const member = await t().ctx.db.selectFrom('org_member').selectAll().where('org_id', '=', org.id).where('user_id', '=', user.id).executeTakeFirstOrThrow();
      expect(member).toMatchObject({ role: 'member', external_id: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef', deactivated_at: null });
      expect((await audits(org.id, 'user.provisioned')).map((e) => e.target_id)).toContain(user.id);

      const found = await (await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName.toUpperCase()}"`)}`)).json();
      expect(found.totalResults).toBe(1);
      expect(found.Resources[0].id).toBe(user.id);

      const patched = await scim('PATCH', `/Users/${user.id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'grace.hopper@contoso.test' },
          { op: 'Replace', path: 'name.familyName', value: 'Murray Hopper' },
          { op: 'Add', path: 'displayName', value: 'Amazing Grace' },
          { op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Computing' },
        ],
      });
      expect(patched.status).toBe(200);
      const afterPatch = await (await scim('GET', `/Users/${user.id}`)).json();
      expect(afterPatch).toMatchObject({ displayName: 'Amazing Grace', name: { familyName: 'Murray Hopper' }, emails: [{ value: 'grace.hopper@contoso.test', type: 'work' }] });
      expect((await t().ctx.db.selectFrom('user').select('name').where('id', '=', user.id).executeTakeFirstOrThrow()).name).toBe('Amazing Grace');

      // Disabling ends the person's sessions on the next request.
      const cookie = await sessionCookie(t().ctx, user.id);
      expect(await signedIn(cookie)).toBe(true);
      const disable = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
      expect(disable.status).toBe(200);
      expect((await disable.json()).active).toBe(false);
      expect(await signedIn(cookie)).toBe(false);
      expect((await audits(org.id, 'user.deprovisioned')).map((e) => e.target_id)).toContain(user.id);
      const inactive = await (await scim('GET', `/Users?filter=${encodeURIComponent('active eq false')}`)).json();
      expect(inactive.Resources.map((r: { id: string }) => r.id)).toEqual([user.id]);

      const enable = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] });
      expect((await enable.json()).active).toBe(true);
      expect(await signedIn(await sessionCookie(t().ctx, user.id))).toBe(true);
      expect((await t().request('GET', `/o/${org.slug}`, { cookie: await sessionCookie(t().ctx, user.id) })).status).toBe(200);

      const del = await scim('DELETE', `/Users/${user.id}`);
      expect(del.status).toBe(204);
      const gone = await scim('GET', `/Users/${user.id}`);
      expect(gone.status).toBe(404);
      expect(await gone.json()).toMatchObject({ schemas: [ERROR], status: '404' });
      expect((await (await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).json()).totalResults).toBe(0);
      // The account belonged to this organization only, so it is off as a whole.
      const deleted = await t().request('GET', `/o/${org.slug}`, { cookie: await sessionCookie(t().ctx, user.id) });
      expect(deleted.headers.get('Location')).toMatch(/^\/login/);

      // Assigned again later: the same account comes back.
      const again = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true, name: { givenName: 'Grace', familyName: 'Hopper' } });
      expect(again.status).toBe(201);
      expect((await again.json()).id).toBe(user.id);
    });

    it('Okta: looks the user up with paging, creates, reads, refuses a duplicate, replaces with PUT, deactivates with a value object', async () => {
      const { org, scim } = await setup();
      const userName = `okta.user.${newId(5)}@example.test`;
      const lookup = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);
      expect(await lookup.json()).toMatchObject({ totalResults: 0, Resources: [], startIndex: 1, itemsPerPage: 0 });

      const body = {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: userName, type: 'work' }],
        displayName: 'Test User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        password: '1mz050nq',
        active: true,
      };
      const create = await scim('POST', '/Users', body);
      expect(create.status).toBe(201);
      const user = await create.json();
      // The password Okta sends is not kept: provisioned people sign in through the organization's provider.
      expect((await t().ctx.db.selectFrom('user').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()).password_hash).toBeNull();

      const read = await scim('GET', `/Users/${user.id}`);
      expect(await read.json()).toMatchObject({ id: user.id, userName, displayName: 'Test User', active: true, externalId: '00ujl29u0le5T6Aj10h7' });
      const listed = await (await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`)).json();
      expect(listed.Resources.map((r: { id: string }) => r.id)).toEqual([user.id]);

      const dup = await scim('POST', '/Users', body);
      expect(dup.status).toBe(409);
      expect(await dup.json()).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });

      const put = await scim('PUT', `/Users/${user.id}`, { ...body, id: user.id, name: { givenName: 'Tess', familyName: 'Userton' }, displayName: 'Tess Userton' });
      expect(put.status).toBe(200);
      expect(await put.json()).toMatchObject({ displayName: 'Tess Userton', name: { givenName: 'Tess', familyName: 'Userton' }, active: true });

      const cookie = await sessionCookie(t().ctx, user.id);
      expect(await signedIn(cookie)).toBe(true);
      const off = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      expect(off.status).toBe(200);
      expect((await off.json()).active).toBe(false);
      expect(await signedIn(cookie)).toBe(false);
      const member = await t().ctx.db.selectFrom('org_member').select('deactivated_at').where('org_id', '=', org.id).where('user_id', '=', user.id).executeTakeFirstOrThrow();
      expect(member.deactivated_at).not.toBeNull();

      const on = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
      expect((await on.json()).active).toBe(true);
      expect((await t().request('GET', `/o/${org.slug}`, { cookie: await sessionCookie(t().ctx, user.id) })).status).toBe(200);
    });

    it('pages with startIndex and count, and lists members Folio already had', async () => {
      const { org, ownerId, scim } = await setup();
      for (let i = 0; i < 4; i++) await buildMember(t().ctx, org.id, 'member');
      const page = await (await scim('GET', '/Users?startIndex=2&count=2')).json();
      expect(page).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
      const all = await (await scim('GET', '/Users?count=100')).json();
      expect(all.Resources.map((r: { id: string }) => r.id)).toContain(ownerId);
      expect(all.Resources[1].id).toBe(page.Resources[0].id);
      expect((await (await scim('GET', '/Users?count=0')).json()).Resources).toEqual([]);
      expect((await scim('GET', '/Users?startIndex=abc')).status).toBe(400);
    });

    it('adds an existing Folio account to the organization; its email is not the client\'s to change while it belongs elsewhere', async () => {
      const { scim } = await setup();
      const other = await buildOrg(t().ctx);
      const person = await buildMember(t().ctx, other.org.id, 'member', { name: 'Kept Name' });
      const res = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: person.email, name: { givenName: 'New', familyName: 'Name' }, active: true });
      expect(res.status).toBe(201);
      const user = await res.json();
      expect(user.id).toBe(person.id);
      expect((await t().ctx.db.selectFrom('user').select('name').where('id', '=', person.id).executeTakeFirstOrThrow()).name).toBe('Kept Name');
      const rename = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: 'taken.over@evil.test' }] });
      expect(rename.status).toBe(400);
      expect(await rename.json()).toMatchObject({ scimType: 'mutability' });
      expect((await t().ctx.db.selectFrom('user').select('email').where('id', '=', person.id).executeTakeFirstOrThrow()).email).toBe(person.email);
    });

    it('refuses to deactivate the last active owner', async () => {
      const { ownerId, scim } = await setup();
      const res = await scim('PATCH', `/Users/${ownerId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      expect(res.status).toBe(400);
      expect((await res.json()).detail).toMatch(/last active owner/);
      expect((await scim('DELETE', `/Users/${ownerId}`)).status).toBe(400);
      expect((await (await scim('GET', `/Users/${ownerId}`)).json()).active).toBe(true);
    });

    it('Azure AD groups: create, find by displayName without members, rename, add and remove members, delete', async () => {
      const { org, scim } = await setup();
      const alice = await buildMember(t().ctx, org.id, 'member');
      const create = await scim('POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group', 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        displayName: 'Sales',
        meta: { resourceType: 'Group' },
      });
      expect(create.status).toBe(201);
      const group = await create.json();
      expect(group).toMatchObject({ displayName: 'Sales', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', members: [] });
      expect((await t().ctx.db.selectFrom('team').select(['name', 'external_id']).where('id', '=', group.id).executeTakeFirstOrThrow())).toEqual({ name: 'Sales', external_id: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159' });

      const byName = await (await scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "sales"')}`)).json();
      expect(byName.totalResults).toBe(1);
      expect(byName.Resources[0]).not.toHaveProperty('members');

      const rename = await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'Sales EMEA' }] });
      expect(rename.status).toBe(204);
      const add = await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: alice.id }] }] });
      expect(add.status).toBe(204);
      const withMember = await (await scim('GET', `/Groups/${group.id}`)).json();
      expect(withMember).toMatchObject({ displayName: 'Sales EMEA', members: [{ value: alice.id, display: alice.email }] });
      const check = await (await scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`id eq "${group.id}" and members.value eq "${alice.id}"`)}`)).json();
      expect(check.totalResults).toBe(1);
      expect((await (await scim('GET', `/Users/${alice.id}`)).json()).groups).toEqual([expect.objectContaining({ value: group.id, display: 'Sales EMEA' })]);

      const remove = await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `members[value eq "${alice.id}"]` }] });
      expect(remove.status).toBe(204);
      expect((await (await scim('GET', `/Groups/${group.id}`)).json()).members).toEqual([]);

      expect((await scim('DELETE', `/Groups/${group.id}`)).status).toBe(204);
      expect((await scim('GET', `/Groups/${group.id}`)).status).toBe(404);
      expect(await t().ctx.db.selectFrom('team').select('id').where('id', '=', group.id).executeTakeFirst()).toBeUndefined();
      expect((await audits(org.id, 'team.deleted')).length).toBe(1);
    });

    it('Okta groups: push with members, add, rename with a value object, replace and remove members, replace with PUT', async () => {
      const { org, scim } = await setup();
      const [a, b, c] = [await buildMember(t().ctx, org.id, 'member'), await buildMember(t().ctx, org.id, 'member'), await buildMember(t().ctx, org.id, 'member')];
      const create = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Test SCIMv2', members: [{ value: a.id, display: a.email }] });
      expect(create.status).toBe(201);
      const group = await create.json();
      const members = async () => ((await (await scim('GET', `/Groups/${group.id}`)).json()).members as { value: string }[]).map((m) => m.value).sort();

      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: b.id, display: b.email }] }] });
      expect(await members()).toEqual([a.id, b.id].sort());
      const rename = await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: group.id, displayName: 'Test SCIMv2 renamed' } }] });
      expect(rename.status).toBe(204);
      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'members', value: [{ value: c.id }] }] });
      expect(await members()).toEqual([c.id]);
      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members', value: [{ value: c.id }] }] });
      expect(await members()).toEqual([]);

      const put = await scim('PUT', `/Groups/${group.id}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: group.id, displayName: 'Test SCIMv2 final', members: [{ value: a.id }, { value: c.id }] });
      expect(put.status).toBe(200);
      expect(await put.json()).toMatchObject({ displayName: 'Test SCIMv2 final' });
      expect(await members()).toEqual([a.id, c.id].sort());

      const dupName = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'test scimv2 FINAL' });
      expect(dupName.status).toBe(409);
      expect((await dupName.json()).scimType).toBe('uniqueness');
    });

    it('group mappings give roles and teams to members of mapped groups, and take them back when they leave', async () => {
      const { org, scim } = await setup();
      const person = await buildMember(t().ctx, org.id, 'member');
      const now = t().clock.now().toISOString();
      const extra = { id: newId(), org_id: org.id, parent_id: null, name: 'Reviewers', created_at: now, external_id: null };
      await t().ctx.db.insertInto('team').values(extra).execute();
      await t().ctx.db.insertInto('group_mapping').values({ id: newId(), org_id: org.id, group_name: 'Folio Admins', team_id: extra.id, role: 'admin', created_at: now }).execute();
      const role = async () => (await t().ctx.db.selectFrom('org_member').select('role').where('org_id', '=', org.id).where('user_id', '=', person.id).executeTakeFirstOrThrow()).role;
      const inExtra = async () => !!(await t().ctx.db.selectFrom('team_member').select('user_id').where('team_id', '=', extra.id).where('user_id', '=', person.id).executeTakeFirst());

      const group = await (await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Folio Admins' })).json();
      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: person.id }] }] });
      expect(await role()).toBe('admin');
      expect(await inExtra()).toBe(true);
      expect((await t().request('GET', `/o/${org.slug}/settings/scim`, { cookie: await sessionCookie(t().ctx, person.id) })).status).toBe(200);

      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `members[value eq "${person.id}"]` }] });
      expect(await role()).toBe('member');
      expect(await inExtra()).toBe(false);

      // Renaming a group away from the mapped name takes the role back too.
      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: person.id }] }] });
      expect(await role()).toBe('admin');
      await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'Former Admins' }] });
      expect(await role()).toBe('member');
    });

    it('a token works only on its own organization\'s URL; missing, wrong and revoked tokens get 401 and no data', async () => {
      const a = await setup();
      const b = await setup();
      const bob = await buildMember(t().ctx, b.org.id, 'member');
      const cross = await t().request('GET', `${b.base}/Users`, { token: a.token });
      expect(cross.status).toBe(401);
      const body = await cross.json();
      expect(body).toMatchObject({ schemas: [ERROR], status: '401' });
      expect(JSON.stringify(body)).not.toContain(bob.email);
      expect(cross.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
      expect((await t().request('GET', `${b.base}/Users/${bob.id}`, { token: a.token })).status).toBe(401);
      expect((await t().request('GET', `${b.base}/Users`)).status).toBe(401);
      expect((await t().request('GET', `${b.base}/Users`, { token: 'folio_scim_not-a-token' })).status).toBe(401);
      expect((await t().request('GET', '/scim/v2/no-such-org/Users', { token: a.token })).status).toBe(401);
      // A personal API token is not a SCIM token.
      expect((await t().request('GET', `${b.base}/Users`, { token: 'folio_pat_abc' })).status).toBe(401);
    });

    it('another organization\'s users and groups are not found on this organization\'s URL', async () => {
      const a = await setup();
      const b = await setup();
      const bob = await buildMember(t().ctx, b.org.id, 'member');
      const bGroup = await (await b.scim('POST', '/Groups', { displayName: 'B team', members: [{ value: bob.id }] })).json();
      expect((await a.scim('GET', `/Users/${bob.id}`)).status).toBe(404);
      expect((await a.scim('PATCH', `/Users/${bob.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })).status).toBe(404);
      expect((await a.scim('PUT', `/Users/${bob.id}`, { userName: bob.email })).status).toBe(404);
      expect((await a.scim('DELETE', `/Users/${bob.id}`)).status).toBe(404);
      expect((await a.scim('GET', `/Groups/${bGroup.id}`)).status).toBe(404);
      expect((await a.scim('DELETE', `/Groups/${bGroup.id}`)).status).toBe(404);
      const aGroup = await (await a.scim('POST', '/Groups', { displayName: 'A team' })).json();
      const add = await a.scim('PATCH', `/Groups/${aGroup.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: bob.id }] }] });
      expect(add.status).toBe(400);
      expect(await add.json()).toMatchObject({ scimType: 'invalidValue' });
      expect((await (await a.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${bob.email}"`)}`)).json()).totalResults).toBe(0);
      expect(await t().ctx.db.selectFrom('org_member').select('deactivated_at').where('user_id', '=', bob.id).executeTakeFirstOrThrow()).toEqual({ deactivated_at: null });
    });

    it('bad requests get SCIM errors that say what is wrong, never a stack', async () => {
      const { scim } = await setup();
      const bad = async (res: Response, status: number, scimType?: string) => {
        expect(res.status).toBe(status);
        expect(res.headers.get('Content-Type')).toContain(SCIM_TYPE);
        const body = await res.json();
        expect(body).toMatchObject({ schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}) });
        expect(body.detail).toBeTruthy();
        expect(JSON.stringify(body)).not.toMatch(/\bat \w+ \(|node_modules|\.ts:\d+/);
        return body.detail as string;
      };
      expect(await bad(await scim('GET', `/Users?filter=${encodeURIComponent('userName sw "a"')}`), 400, 'invalidFilter')).toMatch(/sw operator/);
      expect(await bad(await scim('GET', `/Users?filter=${encodeURIComponent('title eq "x"')}`), 400, 'invalidFilter')).toMatch(/title/);
      await bad(await scim('GET', `/Users?filter=${encodeURIComponent('userName eq ')}`), 400, 'invalidFilter');
      await bad(await scim('GET', `/Groups?filter=${encodeURIComponent('userName eq "x"')}`), 400, 'invalidFilter');
      expect(await bad(await scim('POST', '/Users', undefined, { raw: '{"userName": "x@y.test",' }), 400, 'invalidSyntax')).toMatch(/not valid JSON/);
      await bad(await scim('POST', '/Users', undefined, { raw: '' }), 400, 'invalidSyntax');
      await bad(await scim('POST', '/Users', { userName: 42 }), 400, 'invalidValue');
      expect(await bad(await scim('POST', '/Users', { userName: 'not-an-email' }), 400, 'invalidValue')).toMatch(/email address/);
      await bad(await scim('POST', '/Users', { userName: 'a@b.test', active: 'sometimes' }), 400, 'invalidValue');
      await bad(await scim('POST', '/Users', ['not', 'an', 'object']), 400, 'invalidSyntax');
      await bad(await scim('PATCH', '/Users/nope', { Operations: [] }), 400, 'invalidSyntax');
      await bad(await scim('POST', '/Users', undefined, { raw: 'userName=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 415, 'invalidSyntax');
      await bad(await scim('GET', '/Users/does-not-exist'), 404);
      await bad(await scim('GET', '/Nothing'), 404);
      expect(await bad(await scim('GET', '//Users'), 404)).toMatch(/must not end with a slash/);
      const huge = JSON.stringify({ userName: 'big@example.test', displayName: 'x'.repeat(2 * 1024 * 1024) });
      expect(await bad(await scim('POST', '/Users', undefined, { raw: huge }), 413)).toMatch(/larger than the limit/);
      const created = await (await scim('POST', '/Users', { userName: 'p@example.test' })).json();
      await bad(await scim('PATCH', `/Users/${created.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'shoeSize', value: 44 }] }), 400, 'invalidPath');
      await bad(await scim('PATCH', `/Users/${created.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove' }] }), 400, 'noTarget');
    });

    it('rejected requests are audited without letting a bad client flood the log', async () => {
      const { org, base } = await setup();
      for (let i = 0; i < 25; i++) await t().request('GET', `${base}/Users`, { token: 'folio_scim_wrong' });
      const first = await audits(org.id, 'scim.request_rejected');
      expect(first.length).toBe(1);
      expect(JSON.parse(first[0].data!)).toMatchObject({ status: 401, method: 'GET' });
      t().clock.advance(61_000);
      await t().request('GET', `${base}/Users`, { token: 'folio_scim_wrong' });
      const second = await audits(org.id, 'scim.request_rejected');
      expect(second.length).toBe(2);
      expect(JSON.parse(second[1].data!)).toMatchObject({ suppressedBefore: 24 });
    });

    it('describes itself: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
      const { scim } = await setup();
      const config = await (await scim('GET', '/ServiceProviderConfig')).json();
      expect(config).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 200 }, bulk: { supported: false }, authenticationSchemes: [{ type: 'oauthbearertoken' }] });
      const types = await (await scim('GET', '/ResourceTypes')).json();
      expect(types.Resources.map((r: { endpoint: string }) => r.endpoint)).toEqual(['/Users', '/Groups']);
      const schemas = await (await scim('GET', '/Schemas')).json();
      expect(schemas.Resources.map((s: { id: string }) => s.id)).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:core:2.0:Group']);
      expect((await scim('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User')).status).toBe(200);
    });
  });
}
