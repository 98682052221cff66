import { Hono } from 'hono';
import { AuthLayout } from '../../../views/layout';
import { DangerButton, Field, FormError, PageHeader } from '../../../views/components';
import { authorize } from '../../authz';
import { requireUser } from '../../platform/http/auth';
import { readForm, validate } from '../../platform/http/input';
import { renderPage } from '../../platform/http/render';
import type { AppEnv } from '../../platform/http/types';
import { AppError, statusFor } from '../../shared/errors';
import { tenant } from '../orgs/tenant';
import { listOrgTeams } from '../teams/team.service';
import { flash, page, takeFlash } from '../web/shell';
import { safeNext } from '../auth/auth.pages';
import { addMapping, listMappings, orgSignIn, removeMapping, ZGroupMapping } from './identity.service';
import { listProviders, findSecurityPolicy } from './identity.repository';

/** The form an organization's sign-in page shows for its directory (LDAP). */
function DirectoryForm({ slug, next, username, error }: { slug: string; next: string; username?: string; error?: string }) {
  return (
    <form method="post" action={`/sso/${slug}/ldap`}>
      <FormError message={error} />
      <input type="hidden" name="next" value={next} />
      <Field name="username" label="Directory username" value={username} required autocomplete="username" autofocus />
      <Field name="password" label="Password" type="password" required autocomplete="current-password" />
      <button type="submit" class="block">
        Sign in with the directory
      </button>
    </form>
  );
}

/** An organization's own sign-in page: its directory form and single sign-on buttons. */
export async function renderOrgSignIn(c: import('hono').Context<AppEnv>, slug: string, opts: { next: string; error?: string; username?: string; status?: number }) {
  const info = await orgSignIn(c.get('ctx'), slug);
  const { org, methods } = info;
  const next = opts.next;
  return renderPage(
    c,
    <AuthLayout title={`Sign in to ${org.name}`} notice={takeFlash(c)}>
      <h1>Sign in to {org.name}</h1>
      {opts.error && !methods.includes('ldap') && <FormError message={opts.error} />}
      {methods.includes('saml') && (
        <p>
          <a class="button block" href={`/sso/${org.slug}/saml/login?next=${encodeURIComponent(next)}`}>
            Sign in with single sign-on (SAML)
          </a>
        </p>
      )}
      {methods.includes('oidc') && (
        <p>
          <a class="button block" href={`/sso/${org.slug}/oidc/login?next=${encodeURIComponent(next)}`}>
            Sign in with single sign-on (OpenID Connect)
          </a>
        </p>
      )}
      {methods.includes('ldap') && <DirectoryForm slug={org.slug} next={next} username={opts.username} error={opts.error} />}
      {!methods.length && <p class="muted">This organization has no single sign-on set up.</p>}
      {info.passwordAllowed && (
        <p class="muted">
          <a href={`/login?next=${encodeURIComponent(next)}`}>Sign in with email and password instead</a>
        </p>
      )}
    </AuthLayout>,
    opts.status,
  );
}

const KINDS = [
  { key: 'ldap', label: 'LDAP / Active Directory', href: 'sign-in/ldap' },
  { key: 'saml', label: 'SAML 2.0', href: 'sign-in/saml' },
  { key: 'oidc', label: 'OpenID Connect', href: 'sign-in/oidc' },
] as const;

/** Organization sign-in pages (public) and the sign-in settings overview and group mappings (admins). */
export function identityPages() {
  const app = new Hono<AppEnv>();

  // The login page's "organization sign-in" form sends the slug here.
  app.get('/sso', (c) => {
    const slug = (c.req.query('org') ?? '').trim().toLowerCase();
    const next = safeNext(c.req.query('next'));
    if (!slug) return c.redirect('/login');
    return c.redirect(`/sso/${encodeURIComponent(slug)}?next=${encodeURIComponent(next)}`);
  });

  app.get('/sso/:org', async (c) => renderOrgSignIn(c, c.req.param('org'), { next: safeNext(c.req.query('next')) }));

  app.get('/o/:org/settings/sign-in', requireUser, tenant, async (c) => {
    const ctx = c.get('ctx');
    const actor = c.get('actor')!;
    authorize(actor, 'signin.manage');
    const slug = c.get('org')!.slug;
    const [providers, policy] = await Promise.all([listProviders(ctx.db, actor.orgId), findSecurityPolicy(ctx.db, actor.orgId)]);
    const state = (k: string) => {
      const p = providers.find((x) => x.kind === k);
      return p ? (p.enabled ? 'On' : 'Configured, off') : 'Not set up';
    };
    return page(c, { title: 'Sign-in & security', active: 'signin' }, (
      <>
        <PageHeader title="Sign-in & security" />
        <p class="muted">
          People of this organization sign in at <a href={`/sso/${slug}`} class="mono">/sso/{slug}</a>.
        </p>
        <section class="card">
          <h2>Identity providers</h2>
          <table>
            <thead>
              <tr><th>Method</th><th>State</th></tr>
            </thead>
            <tbody>
              {KINDS.map((k) => (
                <tr>
                  <td><a href={`/o/${slug}/settings/${k.href}`}>{k.label}</a></td>
                  <td>{state(k.key)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card">
          <h2>More</h2>
          <ul>
            <li><a href={`/o/${slug}/settings/sign-in/groups`}>Group mappings</a>: provider groups to teams and roles.</li>
            <li>
              <a href={`/o/${slug}/settings/security`}>Security policy</a>: two-factor requirement ({policy?.mfa_required ?? 'off'}), session limits, IP allowlist.
            </li>
            <li><a href={`/o/${slug}/settings/scim`}>SCIM provisioning</a>: tokens for Okta, Azure AD and other provisioning clients.</li>
          </ul>
        </section>
      </>
    ));
  });

  const groupsPage = async (c: import('hono').Context<AppEnv>, error?: string, values: Record<string, string> = {}) => {
    const ctx = c.get('ctx');
    const actor = c.get('actor')!;
    const slug = c.get('org')!.slug;
    const [mappings, teams] = await Promise.all([listMappings(ctx, actor), listOrgTeams(ctx, actor)]);
    const teamName = new Map(teams.map((t) => [t.id, t.name]));
    return page(c, { title: 'Group mappings', active: 'signin', status: error ? 400 : 200 }, (
      <>
        <PageHeader title="Group mappings" />
        <p class="muted">
          When someone signs in through LDAP, SAML or OpenID Connect, or is provisioned by SCIM, the groups their provider reports
          put them in these teams and give them the highest of these roles. Group names are compared without regard to case; for
          LDAP use the group's common name or its full DN.
        </p>
        <section class="card">
          <form method="post" action={`/o/${slug}/settings/sign-in/groups`}>
            <FormError message={error} />
            <Field name="groupName" label="Group" value={values.groupName} required />
            <div class="field">
              <label for="f-teamId">Team</label>
              <select id="f-teamId" name="teamId">
                <option value="">No team</option>
                {teams.map((t) => (
                  <option value={t.id} selected={values.teamId === t.id}>{t.name}</option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="f-role">Role</label>
              <select id="f-role" name="role">
                <option value="">Leave the role alone</option>
                {['viewer', 'member', 'admin'].map((r) => (
                  <option value={r} selected={values.role === r}>{r}</option>
                ))}
              </select>
            </div>
            <button type="submit">Add mapping</button>
          </form>
        </section>
        <table>
          <thead>
            <tr><th>Group</th><th>Team</th><th>Role</th><th><span class="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {mappings.map((m) => (
              <tr id={`mapping-${m.id}`}>
                <td class="mono">{m.groupName}</td>
                <td>{m.teamId ? teamName.get(m.teamId) ?? '—' : '—'}</td>
                <td>{m.role ?? '—'}</td>
                <td><DangerButton action={`/o/${slug}/settings/sign-in/groups/${m.id}/delete`} label="Remove" swapTarget={`#mapping-${m.id}`} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    ));
  };

  app.get('/o/:org/settings/sign-in/groups', requireUser, tenant, (c) => groupsPage(c));

  app.post('/o/:org/settings/sign-in/groups', requireUser, tenant, async (c) => {
    const f = await readForm(c);
    try {
      await addMapping(c.get('ctx'), c.get('actor')!, validate(ZGroupMapping, f));
    } catch (err) {
      if (err instanceof AppError && statusFor(err.code) === 400) return groupsPage(c, err.message, f);
      throw err;
    }
    flash(c, 'Mapping added.');
    return c.redirect(`/o/${c.get('org')!.slug}/settings/sign-in/groups`, 303);
  });

  app.post('/o/:org/settings/sign-in/groups/:id/delete', requireUser, tenant, async (c) => {
    await removeMapping(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    if (c.req.header('HX-Request') === 'true') return c.body(null, 200);
    flash(c, 'Mapping removed.');
    return c.redirect(`/o/${c.get('org')!.slug}/settings/sign-in/groups`, 303);
  });

  return app;
}
