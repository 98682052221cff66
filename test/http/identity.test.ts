import { describe, expect, it } from 'vitest';
import { deactivateMember, NOT_ALLOWED, provisionExternalUser, reactivateMember } from '../../src/modules/identity/provision';
import { loadProvider, saveProvider } from '../../src/modules/identity/provider.service';
import { createTeam } from '../../src/modules/teams/team.service';
import { AppError } from '../../src/shared/errors';
import { DIALECTS } from '../support/db';
import { useTestApp } from '../support/app';
import { buildMember, buildOrg, sessionCookie } from '../support/factories';

for (const dialect of DIALECTS) {
  describe(`identity provisioning and group mappings (${dialect})`, () => {
    const t = useTestApp(dialect);

    async function orgWithTeam() {
      const { org, ownerId } = await buildOrg(t().ctx);
      const owner = { userId: ownerId, orgId: org.id, role: 'owner' as const };
      const team = await createTeam(t().ctx, owner, { name: 'Finance' });
      return { org, ownerId, owner, team };
    }

    async function teamsOf(orgId: string, userId: string) {
      const rows = await t().ctx.db.selectFrom('team_member').select('team_id').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
      return rows.map((r) => r.team_id);
    }

    it('a first sign-in creates the account and membership; groups map to teams and the highest mapped role', async () => {
      const { org, ownerId, team } = await orgWithTeam();
      const cookie = await sessionCookie(t().ctx, ownerId);
      const add = (form: Record<string, string>) => t().request('POST', `/o/${org.slug}/settings/sign-in/groups`, { cookie, form });
      expect((await add({ groupName: 'CN=Finance,OU=Groups,DC=corp', teamId: team.id })).status).toBe(303);
      expect((await add({ groupName: 'folio-admins', role: 'admin' })).status).toBe(303);
      const bad = await add({ groupName: 'owners', role: 'owner' });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('viewer, member or admin');
      const none = await add({ groupName: 'nothing' });
      expect(await none.text()).toContain('Choose a team, a role, or both');

      const user = await provisionExternalUser(t().ctx, org, 'saml', {
        subject: 'nameid-1',
        email: 'New.Person@Corp.test',
        name: 'New Person',
        groups: ['cn=finance,ou=groups,dc=corp', 'FOLIO-ADMINS', 'unmapped'],
      });
      expect(user.email).toBe('new.person@corp.test');
      expect(user.password_hash).toBeNull();
      const member = await t().ctx.db.selectFrom('org_member').selectAll().where('org_id', '=', org.id).where('user_id', '=', user.id).executeTakeFirstOrThrow();
      expect(member.role).toBe('admin');
      expect(await teamsOf(org.id, user.id)).toEqual([team.id]);

      // The same subject signs in again without those groups: same account, team left, admin role gone.
      const again = await provisionExternalUser(t().ctx, org, 'saml', { subject: 'nameid-1', email: 'new.person@corp.test', groups: [] }, { defaultRole: 'viewer' });
      expect(again.id).toBe(user.id);
      expect(await teamsOf(org.id, user.id)).toEqual([]);
      const demoted = await t().ctx.db.selectFrom('org_member').select('role').where('org_id', '=', org.id).where('user_id', '=', user.id).executeTakeFirstOrThrow();
      expect(demoted.role).toBe('viewer');
      // A provider that sends no groups at all leaves teams and role alone.
      await provisionExternalUser(t().ctx, org, 'saml', { subject: 'nameid-1', email: 'new.person@corp.test', groups: ['folio-admins'] });
      await provisionExternalUser(t().ctx, org, 'saml', { subject: 'nameid-1', email: 'new.person@corp.test' });
      const kept = await t().ctx.db.selectFrom('org_member').select('role').where('org_id', '=', org.id).where('user_id', '=', user.id).executeTakeFirstOrThrow();
      expect(kept.role).toBe('admin');
      const events = await t().ctx.db.selectFrom('audit_event').select(['action', 'org_id']).where('target_id', 'in', [user.id, team.id]).execute();
      expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['user.provisioned', 'member.added', 'team.member_added', 'team.member_removed', 'member.role_changed']));
      expect(events.every((e) => e.org_id === org.id)).toBe(true);

      const page = await (await t().request('GET', `/o/${org.slug}/settings/sign-in/groups`, { cookie })).text();
      expect(page).toContain('CN=Finance,OU=Groups,DC=corp');
      expect(page).toContain('folio-admins');
    });

    it("one organization's provider cannot take over an account that is not its member", async () => {
      const { org: other } = await buildOrg(t().ctx);
      const victim = await buildMember(t().ctx, other.id, 'owner');
      const { org } = await orgWithTeam();
      const attempt = provisionExternalUser(t().ctx, org, 'oidc', { subject: 'evil', email: victim.email });
      await expect(attempt).rejects.toThrow(NOT_ALLOWED);
      const links = await t().ctx.db.selectFrom('external_identity').select('user_id').where('user_id', '=', victim.id).execute();
      expect(links).toEqual([]);
      // An existing member with that email is linked instead of duplicated.
      const colleague = await buildMember(t().ctx, org.id, 'member');
      const linked = await provisionExternalUser(t().ctx, org, 'oidc', { subject: 'sub-colleague', email: colleague.email });
      expect(linked.id).toBe(colleague.id);
    });

    it('refuses a profile without a usable email, with a message and no account', async () => {
      const { org } = await orgWithTeam();
      for (const email of ['', 'not-an-email', 'a@b']) {
        const err = await provisionExternalUser(t().ctx, org, 'saml', { subject: `s-${email}`, email }).catch((e) => e);
        expect(err).toBeInstanceOf(AppError);
        expect(err.message).toContain('usable email');
      }
    });

    it('a deactivated member loses every session at once and cannot sign in through the provider until reactivated', async () => {
      const { org } = await orgWithTeam();
      const user = await provisionExternalUser(t().ctx, org, 'ldap', { subject: 'uid=ann', email: 'ann@corp.test' });
      const cookie = await sessionCookie(t().ctx, user.id);
      expect((await t().request('GET', `/o/${org.slug}`, { cookie })).status).toBe(200);
      expect(await deactivateMember(t().ctx, t().ctx.db, org.id, user.id, 'test')).toBe(true);
      const after = await t().request('GET', `/o/${org.slug}`, { cookie });
      expect(after.status).toBe(302);
      expect(after.headers.get('Location')).toContain('/login');
      await expect(provisionExternalUser(t().ctx, org, 'ldap', { subject: 'uid=ann', email: 'ann@corp.test' })).rejects.toThrow(NOT_ALLOWED);
      expect(await reactivateMember(t().ctx, t().ctx.db, org.id, user.id, 'test')).toBe(true);
      const back = await provisionExternalUser(t().ctx, org, 'ldap', { subject: 'uid=ann', email: 'ann@corp.test' });
      expect(back.id).toBe(user.id);
    });

    it('stores provider secrets sealed, keeps a secret left blank, and shows the settings to no other organization', async () => {
      const { org, owner } = await orgWithTeam();
      await saveProvider(t().ctx, owner, 'ldap', { enabled: true, settings: { url: 'ldap://127.0.0.1:1' }, secrets: { bindPassword: 'hunter2-secret' } });
      const row = await t().ctx.db.selectFrom('identity_provider').selectAll().where('org_id', '=', org.id).executeTakeFirstOrThrow();
      expect(row.secret).not.toContain('hunter2');
      await saveProvider(t().ctx, owner, 'ldap', { enabled: true, settings: { url: 'ldap://127.0.0.1:2' }, secrets: { bindPassword: '' } });
      const loaded = await loadProvider<{ url: string }, { bindPassword: string }>(t().ctx, org.id, 'ldap');
      expect(loaded).toMatchObject({ enabled: true, settings: { url: 'ldap://127.0.0.1:2' }, secrets: { bindPassword: 'hunter2-secret' } });
      const member = { userId: (await buildMember(t().ctx, org.id, 'member')).id, orgId: org.id, role: 'member' as const };
      await expect(saveProvider(t().ctx, member, 'ldap', { enabled: false, settings: {}, secrets: {} })).rejects.toThrow(/permission/);

      const { org: other, ownerId: otherOwner } = await buildOrg(t().ctx);
      const otherCookie = await sessionCookie(t().ctx, otherOwner);
      expect((await t().request('GET', `/o/${org.slug}/settings/sign-in`)).status).toBe(302);
      expect((await t().request('GET', `/o/${org.slug}/settings/sign-in`, { cookie: otherCookie })).status).toBe(404);
      expect((await t().request('GET', `/o/${other.slug}/settings/sign-in`, { cookie: otherCookie })).status).toBe(200);
    });

    it("the organization's sign-in page lists its methods; the login page leads there", async () => {
      const { org, owner } = await orgWithTeam();
      await saveProvider(t().ctx, owner, 'saml', { enabled: true, settings: {}, secrets: {} });
      const login = await (await t().request('GET', '/login')).text();
      expect(login).toContain('action="/sso"');
      const go = await t().request('GET', `/sso?org=${org.slug.toUpperCase()}&next=/o/${org.slug}/documents`);
      expect(go.headers.get('Location')).toBe(`/sso/${org.slug}?next=${encodeURIComponent(`/o/${org.slug}/documents`)}`);
      const page = await (await t().request('GET', `/sso/${org.slug}?next=/o/${org.slug}/documents`)).text();
      expect(page).toContain(`/sso/${org.slug}/saml/login?next=${encodeURIComponent(`/o/${org.slug}/documents`)}`);
      expect(page).not.toContain('/oidc/login');
      expect(page).not.toContain('Directory username');
      expect((await t().request('GET', '/sso/no-such-org')).status).toBe(404);
      expect((await t().request('GET', '/sso/..%2F..%2Fetc')).status).toBe(404);
    });
  });
}
