import { type Context, Hono } from 'hono';
import { Field, FormError, PageHeader, Time } from '../../../../views/components';
import { requireUser } from '../../../platform/http/auth';
import { readForm, readJson, validate } from '../../../platform/http/input';
import type { AppEnv } from '../../../platform/http/types';
import { AppError, statusFor } from '../../../shared/errors';
import { tenant } from '../../orgs/tenant';
import { flash, page } from '../../web/shell';
import { getSecurityPolicy, type PresentedPolicy, saveSecurityPolicy, ZSecurityPolicy } from './policy.service';

const SSO_LABEL: Record<string, string> = { saml: 'SAML', oidc: 'OpenID Connect', ldap: 'LDAP' };

interface FormValues {
  mfaRequired: string;
  idleTimeoutMinutes: string;
  absoluteLifetimeHours: string;
  maxSessions: string;
  ipAllowlist: string;
}

function valuesOf(p: PresentedPolicy): FormValues {
  const s = (n: number | null) => (n === null ? '' : String(n));
  return {
    mfaRequired: p.mfaRequired,
    idleTimeoutMinutes: s(p.idleTimeoutMinutes),
    absoluteLifetimeHours: s(p.absoluteLifetimeHours),
    maxSessions: s(p.maxSessions),
    ipAllowlist: p.ipAllowlist.join('\n'),
  };
}

/** A blank number field means "no limit"; anything not a whole number goes to validation as is. */
function formNumber(v: string | undefined): number | string | null {
  const t = (v ?? '').trim();
  if (!t) return null;
  return /^\d{1,9}$/.test(t) ? Number(t) : t;
}

/** The organization's security policy: MFA requirement, session limits, IP allowlist (page and API). */
export function securityPages() {
  const app = new Hono<AppEnv>();

  const view = async (c: Context<AppEnv>, o: { values?: FormValues; error?: string; lockout?: boolean; status?: number } = {}) => {
    const ctx = c.get('ctx');
    const actor = c.get('actor')!;
    const slug = c.get('org')!.slug;
    const current = await getSecurityPolicy(ctx, actor);
    const v = o.values ?? valuesOf(current);
    const ip = ctx.meta.ip;
    return page(c, { title: 'Security policy', active: 'signin', status: o.status ?? (o.error ? 400 : 200) }, (
      <>
        <PageHeader title="Security policy" />
        <p class="muted">
          Applies to every page and API call of this organization, whichever way people signed in. <a href={`/o/${slug}/settings/sign-in`}>Back to sign-in settings</a>
        </p>
        <section class="card">
          <form method="post" action={`/o/${slug}/settings/security`}>
            <FormError message={o.error} />
            <div class="field">
              <label for="f-mfaRequired">Two-factor sign-in required for</label>
              <select id="f-mfaRequired" name="mfaRequired">
                <option value="off" selected={v.mfaRequired === 'off'}>Nobody (each person chooses)</option>
                <option value="admins" selected={v.mfaRequired === 'admins'}>Administrators and owners</option>
                <option value="all" selected={v.mfaRequired === 'all'}>Everyone</option>
              </select>
              <small class="hint">People without it are sent to set it up before the organization opens; API tokens of people without it stop working here.</small>
            </div>
            <Field name="idleTimeoutMinutes" label="Sign out after this many minutes without activity" type="number" value={v.idleTimeoutMinutes} hint="Blank: no idle timeout. At least 5." />
            <Field name="absoluteLifetimeHours" label="Sign in again after this many hours, active or not" type="number" value={v.absoluteLifetimeHours} hint="Blank: the server's session lifetime applies." />
            <Field name="maxSessions" label="Most sessions per person at once" type="number" value={v.maxSessions} hint="Blank: no limit. A new sign-in ends the oldest sessions beyond it." />
            <div class="field">
              <label for="f-ipAllowlist">IP allowlist</label>
              <textarea id="f-ipAllowlist" name="ipAllowlist" rows={5} class="mono" aria-describedby="f-ipAllowlist-hint">
                {v.ipAllowlist}
              </textarea>
              <small id="f-ipAllowlist-hint" class="hint">
                One network per line, IPv4 or IPv6, like 10.0.0.0/8, 203.0.113.7 or 2001:db8::/32. Blank: every address. Your current address: {ip ?? 'unknown'}.
              </small>
            </div>
            {o.lockout && (
              <div class="field">
                <p class="alert" role="alert">
                  Your current address, {ip ?? '(unknown)'}, is not in this list: once saved, you will not be able to open this organization from here.
                </p>
                <label>
                  <input type="checkbox" name="confirmLockout" value="yes" /> I understand; save the allowlist anyway
                </label>
              </div>
            )}
            <button type="submit">Save policy</button>
          </form>
        </section>
        <section class="card">
          <h2>Single sign-on only</h2>
          <p>
            {current.ssoOnly
              ? `On: members enter only through ${SSO_LABEL[current.ssoOnly] ?? current.ssoOnly}; owners can still use their password as a way back in.`
              : 'Off: members may also sign in with a password.'}{' '}
            Changed on the <a href={`/o/${slug}/settings/sign-in/saml`}>SAML settings</a>.
          </p>
          {current.updatedAt && <p class="muted">Policy last changed <Time iso={current.updatedAt} />.</p>}
        </section>
      </>
    ));
  };

  app.get('/o/:org/settings/security', requireUser, tenant, (c) => view(c));

  app.post('/o/:org/settings/security', requireUser, tenant, async (c) => {
    const f = await readForm(c);
    const values: FormValues = {
      mfaRequired: f.mfaRequired ?? 'off',
      idleTimeoutMinutes: f.idleTimeoutMinutes ?? '',
      absoluteLifetimeHours: f.absoluteLifetimeHours ?? '',
      maxSessions: f.maxSessions ?? '',
      ipAllowlist: f.ipAllowlist ?? '',
    };
    try {
      const input = validate(ZSecurityPolicy, {
        mfaRequired: values.mfaRequired,
        idleTimeoutMinutes: formNumber(values.idleTimeoutMinutes),
        absoluteLifetimeHours: formNumber(values.absoluteLifetimeHours),
        maxSessions: formNumber(values.maxSessions),
        ipAllowlist: values.ipAllowlist,
        confirmLockout: !!f.confirmLockout,
      });
      await saveSecurityPolicy(c.get('ctx'), c.get('actor')!, input);
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') {
        const lockout = Array.isArray(err.details) && err.details.some((d: { field?: string }) => d.field === 'confirmLockout');
        return view(c, { values, error: err.message, lockout, status: statusFor(err.code) });
      }
      throw err;
    }
    flash(c, 'Security policy saved.');
    return c.redirect(`/o/${c.get('org')!.slug}/settings/security`, 303);
  });

  app.get('/api/v1/orgs/:org/security-policy', requireUser, tenant, async (c) => c.json(await getSecurityPolicy(c.get('ctx'), c.get('actor')!)));

  app.put('/api/v1/orgs/:org/security-policy', requireUser, tenant, async (c) => {
    const input = validate(ZSecurityPolicy, await readJson(c));
    return c.json(await saveSecurityPolicy(c.get('ctx'), c.get('actor')!, input));
  });

  return app;
}
