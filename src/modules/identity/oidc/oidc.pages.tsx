import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { Check, DefaultRoleSelect, Field, FormError, PageHeader } from '../../../../views/components';
import { requireUser } from '../../../platform/http/auth';
import { readForm, readJson, validate } from '../../../platform/http/input';
import { baseUrl, isHttps } from '../../../platform/http/request';
import type { AppEnv } from '../../../platform/http/types';
import { AppError } from '../../../shared/errors';
import { safeNext } from '../../auth/auth.pages';
import { tenant } from '../../orgs/tenant';
import { flash, page } from '../../web/shell';
import { renderOrgSignIn } from '../identity.pages';
import { completeSignIn } from '../signin';
import { checkIssuer, finishOidcLogin, getOidcSettings, type IssuerCheck, saveOidcSettings, startOidcLogin, ZOidcInput } from './oidc.service';

/** Binds a started flow to the browser that started it (login CSRF): holds the state, only on the OIDC paths. */
const STATE_COOKIE = 'folio_oidc_state';
const cookiePath = (slug: string) => `/sso/${slug}/oidc`;

type C = Context<AppEnv>;


function CheckResult({ r }: { r: IssuerCheck }) {
  return (
    <section class="card" id="issuer-check" aria-live="polite">
      <h2>Issuer check</h2>
      {r.ok ? <p class="notice">{r.message}</p> : <p class="alert" role="alert">{r.message}</p>}
      {r.issuer && (
        <dl class="mono">
          <dt>Issuer</dt>
          <dd>{r.issuer}</dd>
          <dt>Authorization endpoint</dt>
          <dd>{r.authorizationEndpoint ?? '—'}</dd>
          <dt>Token endpoint</dt>
          <dd>{r.tokenEndpoint ?? '—'}</dd>
          <dt>Userinfo endpoint</dt>
          <dd>{r.userinfoEndpoint ?? '—'}</dd>
          <dt>Signing keys (JWKS)</dt>
          <dd>{r.jwksUri ?? '—'}</dd>
          {r.scopesSupported && (
            <>
              <dt>Scopes offered</dt>
              <dd>{r.scopesSupported.join(' ')}</dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}

async function settingsPage(c: C, opts: { error?: string; values?: Record<string, string>; check?: IssuerCheck } = {}) {
  const ctx = c.get('ctx');
  const org = c.get('org')!;
  const s = await getOidcSettings(ctx, c.get('actor')!, org, baseUrl(c, ctx.config));
  const v = opts.values;
  const pick = (k: string, stored: string) => (v && v[k] !== undefined ? v[k] : stored);
  const checked = (k: string, stored: boolean) => (v ? v[k] === 'on' : stored);
  const base = `/o/${org.slug}/settings/sign-in/oidc`;
  return page(c, { title: 'OpenID Connect sign-in', active: 'signin', status: opts.error ? 400 : 200 }, (
    <>
      <PageHeader title="OpenID Connect sign-in" />
      <p class="muted">
        <a href={`/o/${org.slug}/settings/sign-in`}>Sign-in &amp; security</a> · <a href={`/o/${org.slug}/settings/sign-in/groups`}>Group mappings</a>
      </p>
      <section class="card">
        <h2>Register Folio at your provider</h2>
        <p>Create a confidential client (authorization code flow) and register this redirect URI:</p>
        <p class="mono" id="redirect-uri">{s.redirectUri}</p>
        <p class="muted">
          Folio uses PKCE (S256), a nonce and a state bound to the browser. People sign in at <a href={`/sso/${org.slug}`} class="mono">/sso/{org.slug}</a>.
        </p>
      </section>
      {opts.check && <CheckResult r={opts.check} />}
      <section class="card">
        <form method="post" action={base}>
          <FormError message={opts.error} />
          <Check name="enabled" label="Turn OpenID Connect sign-in on" checked={checked('enabled', s.enabled)} />
          <h2>Provider</h2>
          <Field
            name="issuer"
            label="Issuer URL"
            value={pick('issuer', s.issuer)}
            hint="Exactly as the provider's discovery document states it, e.g. https://keycloak.example/realms/corp. Folio reads <issuer>/.well-known/openid-configuration."
          />
          <Check
            name="allowInsecureHttp"
            label="Allow insecure HTTP (tests and labs only)"
            checked={checked('allowInsecureHttp', s.allowInsecureHttp)}
            hint="Plain http sends the client secret and the tokens unencrypted. Without this box http is accepted only for a provider on this machine (localhost, 127.0.0.1, ::1)."
          />
          <Field name="clientId" label="Client id" value={pick('clientId', s.clientId)} />
          <Field
            name="clientSecret"
            label="Client secret"
            type="password"
            autocomplete="off"
            hint={s.hasClientSecret ? 'A secret is stored (sealed). Leave empty to keep it.' : 'Stored sealed; never shown again.'}
          />
          <div class="field">
            <label for="f-tokenAuthMethod">Client authentication</label>
            <select id="f-tokenAuthMethod" name="tokenAuthMethod">
              {(['client_secret_basic', 'client_secret_post'] as const).map((m) => (
                <option value={m} selected={pick('tokenAuthMethod', s.tokenAuthMethod) === m}>{m}</option>
              ))}
            </select>
          </div>
          <Field name="scopes" label="Scopes" value={pick('scopes', s.scopes)} hint="Space-separated; must include openid. Add groups if your provider sends groups under that scope." />
          <h2>Claims</h2>
          <Field name="emailClaim" label="Email claim" value={pick('emailClaim', s.emailClaim)} />
          <Field name="nameClaim" label="Name claim" value={pick('nameClaim', s.nameClaim)} />
          <Field name="groupsClaim" label="Groups claim" value={pick('groupsClaim', s.groupsClaim)} hint="Its values are matched against the group mappings." />
          <DefaultRoleSelect value={pick('defaultRole', s.defaultRole)} />
          <Check
            name="allowUnverifiedEmail"
            label="Accept email addresses the provider has not verified"
            checked={checked('allowUnverifiedEmail', s.allowUnverifiedEmail)}
            hint="Off: a person whose ID token or userinfo says email_verified: false is refused, since an unverified address could claim someone else's account."
          />
          <button type="submit">Save</button> <button type="submit" class="secondary" formaction={`${base}/check`}>Check issuer</button>
        </form>
      </section>
    </>
  ));
}

/** The form's fields as the service's input. */
function formInput(f: Record<string, string>) {
  return {
    enabled: f.enabled === 'on',
    issuer: f.issuer ?? '',
    clientId: f.clientId ?? '',
    clientSecret: f.clientSecret ?? '',
    tokenAuthMethod: f.tokenAuthMethod,
    scopes: f.scopes ?? '',
    emailClaim: f.emailClaim ?? '',
    nameClaim: f.nameClaim ?? '',
    groupsClaim: f.groupsClaim ?? '',
    defaultRole: f.defaultRole,
    allowUnverifiedEmail: f.allowUnverifiedEmail === 'on',
    allowInsecureHttp: f.allowInsecureHttp === 'on',
  };
}

/** The sign-in page of the organization with the failure, in place of a bare error page. */
async function failurePage(c: C, slug: string, err: unknown, next = '/') {
  if (err instanceof AppError && (err.code === 'sso_failed' || err.code === 'bad_request')) {
    return renderOrgSignIn(c, slug, { next, error: err.message, status: err.code === 'bad_request' ? 400 : 401 });
  }
  throw err;
}

/** OpenID Connect: sign-in (`/sso/:org/oidc/*`), the settings page and its JSON API. */
export function oidcPages() {
  const app = new Hono<AppEnv>();
  const admin = [requireUser, tenant] as const;

  app.get('/sso/:org/oidc/login', async (c) => {
    const ctx = c.get('ctx');
    const slug = c.req.param('org');
    const next = safeNext(c.req.query('next'));
    try {
      const { url, state, org } = await startOidcLogin(ctx, slug, baseUrl(c, ctx.config), next);
      setCookie(c, STATE_COOKIE, state, { path: cookiePath(org.slug), httpOnly: true, sameSite: 'Lax', secure: isHttps(c, ctx.config), maxAge: 600 });
      return c.redirect(url, 302);
    } catch (err) {
      return failurePage(c, slug, err, next);
    }
  });

  app.get('/sso/:org/oidc/callback', async (c) => {
    const slug = c.req.param('org');
    const cookieState = getCookie(c, STATE_COOKIE);
    deleteCookie(c, STATE_COOKIE, { path: cookiePath(slug) });
    try {
      const { user, org, next } = await finishOidcLogin(c.get('ctx'), slug, new URL(c.req.url).searchParams, cookieState);
      return await completeSignIn(c, user, { method: 'oidc', orgId: org.id }, next);
    } catch (err) {
      return failurePage(c, slug, err);
    }
  });

  const base = '/o/:org/settings/sign-in/oidc';
  app.get(base, ...admin, (c) => settingsPage(c));

  app.post(base, ...admin, async (c) => {
    const f = await readForm(c);
    try {
      await saveOidcSettings(c.get('ctx'), c.get('actor')!, validate(ZOidcInput, formInput(f)));
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') return settingsPage(c, { error: err.message, values: { ...f, clientSecret: '' } });
      throw err;
    }
    flash(c, 'OpenID Connect settings saved.');
    return c.redirect(`/o/${c.get('org')!.slug}/settings/sign-in/oidc`, 303);
  });

  app.post(`${base}/check`, ...admin, async (c) => {
    const f = await readForm(c);
    const check = await checkIssuer(c.get('ctx'), c.get('actor')!, { issuer: f.issuer ?? '', allowInsecureHttp: f.allowInsecureHttp === 'on' });
    return settingsPage(c, { check, values: { ...f, clientSecret: '' } });
  });

  const api = '/api/v1/orgs/:org/sign-in/oidc';
  app.get(api, ...admin, async (c) => {
    const ctx = c.get('ctx');
    return c.json(await getOidcSettings(ctx, c.get('actor')!, c.get('org')!, baseUrl(c, ctx.config)));
  });

  app.put(api, ...admin, async (c) => {
    const ctx = c.get('ctx');
    await saveOidcSettings(ctx, c.get('actor')!, validate(ZOidcInput, await readJson(c)));
    return c.json(await getOidcSettings(ctx, c.get('actor')!, c.get('org')!, baseUrl(c, ctx.config)));
  });

  app.post(`${api}/check`, ...admin, async (c) => {
    const raw = c.req.header('Content-Type')?.includes('json') ? await readJson(c) : undefined;
    const body = (raw && typeof raw === 'object' ? raw : {}) as { issuer?: unknown; allowInsecureHttp?: unknown };
    const draft = typeof body.issuer === 'string' ? { issuer: body.issuer, allowInsecureHttp: body.allowInsecureHttp === true } : undefined;
    return c.json(await checkIssuer(c.get('ctx'), c.get('actor')!, draft));
  });

  return app;
}
