import { type Context, Hono } from 'hono';
import { Check, Field, FormError, PageHeader, TextArea, Time } from '../../../../views/components';
import { requireUser } from '../../../platform/http/auth';
import { readForm, readJson, validate } from '../../../platform/http/input';
import type { AppEnv } from '../../../platform/http/types';
import { AppError } from '../../../shared/errors';
import { safeNext } from '../../auth/auth.pages';
import { tenant } from '../../orgs/tenant';
import { flash, page } from '../../web/shell';
import { renderOrgSignIn } from '../identity.pages';
import { completeSignIn } from '../signin';
import { DEFAULT_GROUP_FILTER, DEFAULT_USER_FILTER, type LdapSettings, ZLdapInput, ZLdapTest } from './ldap.schemas';
import { getLdapSettings, type LdapTestResult, type PresentedLdap, saveLdapSettings, signInWithDirectory, testLdapConnection } from './ldap.service';
import { syncDirectoryNow } from './ldap.sync';

const DEFAULTS: LdapSettings = {
  url: '',
  startTls: false,
  rejectUnauthorized: true,
  caCertificate: '',
  bindDn: '',
  userBase: '',
  userFilter: DEFAULT_USER_FILTER,
  usernameAttribute: 'uid',
  emailAttribute: 'mail',
  nameAttribute: 'cn',
  uniqueIdAttribute: 'entryUUID',
  disabledFilter: '',
  groupMode: 'search',
  groupBase: '',
  groupFilter: DEFAULT_GROUP_FILTER,
  groupNameAttribute: 'cn',
  groupNestingDepth: 5,
  defaultRole: 'member',
  connectTimeoutSeconds: 5,
  timeoutSeconds: 10,
};

const CHECKBOXES = ['enabled', 'startTls', 'rejectUnauthorized'] as const;

/** The settings form's fields as the JSON input: checkboxes to booleans (an unticked box is absent). */
function fromForm(f: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...f };
  for (const k of CHECKBOXES) out[k] = f[k] === 'on';
  return out;
}



function Select(p: { name: string; label: string; value: string; options: [string, string][]; hint?: string }) {
  return (
    <div class="field">
      <label for={`f-${p.name}`}>{p.label}</label>
      <select id={`f-${p.name}`} name={p.name}>
        {p.options.map(([v, label]) => (
          <option value={v} selected={p.value === v}>{label}</option>
        ))}
      </select>
      {p.hint && <small class="hint">{p.hint}</small>}
    </div>
  );
}

function TestReport({ r }: { r: LdapTestResult }) {
  if (!r.ok) {
    return (
      <section class="card" id="ldap-test-result">
        <h2>Connection test failed</h2>
        <p class="alert" role="alert">{r.error!.message}</p>
      </section>
    );
  }
  const u = r.testUser;
  return (
    <section class="card" id="ldap-test-result">
      <h2>Connection test succeeded</h2>
      <p>Bound as the service account. The user filter finds {r.userCount} {r.userCount === 1 ? 'person' : 'people'} under the user base.</p>
      {u && !u.found && <p class="alert">{u.message}</p>}
      {u && u.found && (
        <dl>
          <dt>DN</dt>
          <dd class="mono">{u.dn}</dd>
          <dt>Username</dt>
          <dd>{u.username || '—'}</dd>
          <dt>Email</dt>
          <dd>{u.email || 'none (this person cannot sign in: an email address is required)'}</dd>
          <dt>Name</dt>
          <dd>{u.name || '—'}</dd>
          <dt>Unique id</dt>
          <dd class="mono">{u.uniqueId || 'none (this person cannot sign in: check the unique id attribute)'}</dd>
          <dt>Account</dt>
          <dd>{u.disabled ? 'disabled in the directory' : 'active'}</dd>
          <dt>Groups</dt>
          <dd>{u.groups.length ? u.groups.join(', ') : 'none'}</dd>
        </dl>
      )}
    </section>
  );
}

async function settingsPage(c: Context<AppEnv>, opts: { error?: string; values?: Record<string, string>; test?: LdapTestResult; testUsername?: string } = {}) {
  const ctx = c.get('ctx');
  const org = c.get('org')!;
  const s: PresentedLdap = await getLdapSettings(ctx, c.get('actor')!);
  const stored = s.settings ?? DEFAULTS;
  const v = opts.values;
  const val = (k: keyof LdapSettings) => (v && v[k] !== undefined ? v[k] : String(stored[k]));
  const checked = (k: (typeof CHECKBOXES)[number]) => (v ? v[k] === 'on' : k === 'enabled' ? s.enabled : Boolean(stored[k as keyof LdapSettings]));
  const base = `/o/${org.slug}/settings/sign-in/ldap`;
  const last = s.lastSyncResult;
  return page(c, { title: 'LDAP sign-in', active: 'signin', status: opts.error ? 400 : 200 }, (
    <>
      <PageHeader title="LDAP / Active Directory sign-in" />
      <p class="muted">
        <a href={`/o/${org.slug}/settings/sign-in`}>Sign-in &amp; security</a> · <a href={`/o/${org.slug}/settings/sign-in/groups`}>Group mappings</a> · People sign in at{' '}
        <a href={`/sso/${org.slug}`} class="mono">/sso/{org.slug}</a>
      </p>
      {opts.test && <TestReport r={opts.test} />}
      <section class="card">
        <form method="post" action={base}>
          <FormError message={opts.error} />
          <Check name="enabled" label="Directory sign-in is on" checked={checked('enabled')} />
          <h2>Server</h2>
          <Field name="url" label="Server URL" value={val('url')} required hint="ldaps://dc1.corp.example:636 or ldap://ldap.example.org:389" />
          <Check name="startTls" label="Use StartTLS (ldap:// URLs)" checked={checked('startTls')} />
          <Check name="rejectUnauthorized" label="Verify the server certificate" checked={checked('rejectUnauthorized')} hint="Leave on. Off accepts any server that answers at this address." />
          <TextArea name="caCertificate" label="CA certificate (PEM, optional)" value={val('caCertificate')} hint="The authority that signed the directory's certificate, when it is not publicly trusted." />
          <Field name="bindDn" label="Service account DN" value={val('bindDn')} required hint="CN=svc-folio,OU=Service Accounts,DC=corp,DC=example" />
          <Field
            name="bindPassword"
            label="Service account password"
            type="password"
            autocomplete="new-password"
            hint={s.bindPasswordSet ? 'A password is stored. Leave empty to keep it.' : 'Required before sign-in can be turned on.'}
          />
          <h2>People</h2>
          <Field name="userBase" label="User search base" value={val('userBase')} required hint="ou=people,dc=example,dc=org" />
          <Field name="userFilter" label="User filter" value={val('userFilter')} required hint="{username} is replaced by the escaped name the person types." />
          <Field name="usernameAttribute" label="Username attribute" value={val('usernameAttribute')} hint="uid (OpenLDAP) or sAMAccountName (Active Directory)" />
          <Field name="emailAttribute" label="Email attribute" value={val('emailAttribute')} />
          <Field name="nameAttribute" label="Display name attribute" value={val('nameAttribute')} hint="cn or displayName" />
          <Field name="uniqueIdAttribute" label="Unique id attribute" value={val('uniqueIdAttribute')} hint="entryUUID (OpenLDAP) or objectGUID (Active Directory): never changes, even when a person is renamed or moved." />
          <Field name="disabledFilter" label="Disabled filter (optional)" value={val('disabledFilter')} hint="People this filter matches cannot sign in, e.g. (employeeType=disabled). Active Directory's disabled flag and OpenLDAP's pwdAccountLockedTime always apply." />
          <h2>Groups</h2>
          <Select
            name="groupMode"
            label="How groups are found"
            value={val('groupMode')}
            options={[
              ['search', 'Search groups that list the person (nested groups followed)'],
              ['memberof', "Read the person's memberOf attribute (nested groups followed)"],
              ['in_chain', 'Active Directory: LDAP_MATCHING_RULE_IN_CHAIN (the server resolves nesting)'],
              ['none', 'No groups'],
            ]}
          />
          <Field name="groupBase" label="Group search base" value={val('groupBase')} hint="ou=groups,dc=example,dc=org" />
          <Field name="groupFilter" label="Group filter" value={val('groupFilter')} hint="{dn} is replaced by the member's DN (the person, then each group for nesting)." />
          <Field name="groupNameAttribute" label="Group name attribute" value={val('groupNameAttribute')} />
          <Field name="groupNestingDepth" label="Nesting levels to follow" type="number" value={val('groupNestingDepth')} hint="0 for direct groups only; cycles are detected." />
          <Select name="defaultRole" label="Role of new members without a mapped group" value={val('defaultRole')} options={[['viewer', 'viewer'], ['member', 'member'], ['admin', 'admin']]} />
          <h2>Time limits</h2>
          <Field name="connectTimeoutSeconds" label="Connect time-out (seconds)" type="number" value={val('connectTimeoutSeconds')} />
          <Field name="timeoutSeconds" label="Operation time-out (seconds)" type="number" value={val('timeoutSeconds')} />
          <button type="submit">Save</button>
        </form>
      </section>
      {s.configured && (
        <section class="card">
          <h2>Test the connection</h2>
          <form method="post" action={`${base}/test`} class="row">
            <Field name="username" label="Look up a username (optional)" value={opts.testUsername} />
            <button type="submit" class="secondary">Test connection</button>
          </form>
        </section>
      )}
      {s.configured && (
        <section class="card">
          <h2>Directory sync</h2>
          <p class="muted">
            Everyone who signed in through the directory is checked regularly: people removed or disabled in the directory lose
            access at once, and group changes update teams and roles.
          </p>
          <p id="ldap-last-sync">
            {s.lastSyncAt ? (
              <>
                Last sync <Time iso={s.lastSyncAt} />:{' '}
                {last?.ok
                  ? `${last.checked} checked, ${last.deactivated} deactivated, ${last.reactivated} reactivated, ${last.updated} updated.`
                  : `failed: ${last?.error ?? 'unknown error'}`}
              </>
            ) : (
              'Not synced yet.'
            )}
          </p>
          <form method="post" action={`${base}/sync`}>
            <button type="submit" class="secondary">Sync now</button>
          </form>
        </section>
      )}
    </>
  ));
}

/** LDAP sign-in (`POST /sso/:org/ldap`), its settings page and JSON API, and the manual directory sync. */
export function ldapPages() {
  const app = new Hono<AppEnv>();

  app.post('/sso/:org/ldap', async (c) => {
    const f = await readForm(c);
    const slug = c.req.param('org');
    const next = safeNext(f.next);
    const username = (f.username ?? '').slice(0, 256);
    try {
      const { user, org } = await signInWithDirectory(c.get('ctx'), slug, f.username ?? '', f.password ?? '');
      return completeSignIn(c, user, { method: 'ldap', orgId: org.id }, next);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'sso_failed' || err.code === 'account_locked')) {
        return renderOrgSignIn(c, slug, { next, error: err.message, username: username.replace(/[\u0000-\u001f\u007f]/g, ''), status: err.code === 'sso_failed' ? 401 : 429 });
      }
      throw err;
    }
  });

  const settingsPath = '/o/:org/settings/sign-in/ldap';
  app.get(settingsPath, requireUser, tenant, (c) => settingsPage(c));

  app.post(settingsPath, requireUser, tenant, async (c) => {
    const f = await readForm(c);
    try {
      await saveLdapSettings(c.get('ctx'), c.get('actor')!, validate(ZLdapInput, fromForm(f)));
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') {
        const { bindPassword: _secret, ...values } = f;
        return settingsPage(c, { error: err.message, values });
      }
      throw err;
    }
    flash(c, 'Directory settings saved.');
    return c.redirect(`/o/${c.get('org')!.slug}/settings/sign-in/ldap`, 303);
  });

  app.post(`${settingsPath}/test`, requireUser, tenant, async (c) => {
    const f = await readForm(c);
    const username = (f.username ?? '').slice(0, 256);
    const test = await testLdapConnection(c.get('ctx'), c.get('actor')!, username);
    return settingsPage(c, { test, testUsername: username });
  });

  app.post(`${settingsPath}/sync`, requireUser, tenant, async (c) => {
    const r = await syncDirectoryNow(c.get('ctx'), c.get('actor')!);
    flash(c, r.ok ? `Directory synced: ${r.checked} checked, ${r.deactivated} deactivated, ${r.reactivated} reactivated, ${r.updated} updated.` : `Directory sync failed, nobody was changed: ${r.error}`);
    return c.redirect(`/o/${c.get('org')!.slug}/settings/sign-in/ldap`, 303);
  });

  // JSON API
  const api = '/api/v1/orgs/:org/sign-in/ldap';
  app.get(api, requireUser, tenant, async (c) => c.json(await getLdapSettings(c.get('ctx'), c.get('actor')!)));
  app.put(api, requireUser, tenant, async (c) => c.json(await saveLdapSettings(c.get('ctx'), c.get('actor')!, validate(ZLdapInput, await readJson(c)))));
  app.post(`${api}/test`, requireUser, tenant, async (c) => {
    const body = c.req.header('Content-Type') ? await readJson(c) : {};
    const input = validate(ZLdapTest, body);
    return c.json(await testLdapConnection(c.get('ctx'), c.get('actor')!, input.username));
  });
  app.post(`${api}/sync`, requireUser, tenant, async (c) => c.json(await syncDirectoryNow(c.get('ctx'), c.get('actor')!)));

  return app;
}
