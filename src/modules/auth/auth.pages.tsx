import { Hono } from 'hono';
import { AuthLayout } from '../../../views/layout';
import { DangerButton, Field, FormError, PageHeader, Time } from '../../../views/components';
import { clearSessionCookie, requireUser, setSessionCookie } from '../../platform/http/auth';
import { readForm } from '../../platform/http/input';
import { renderPage } from '../../platform/http/render';
import type { AppEnv } from '../../platform/http/types';
import { AppError, statusFor } from '../../shared/errors';
import { listMyOrgs } from '../orgs/org.service';
import { flash, page, takeFlash } from '../web/shell';
import { completeSignIn } from '../identity/signin';
import { createAccountWithOrg, login, needsSetup } from './auth.service';
import { createSession, invalidateSession, listMySessions, revokeMySession } from './session.service';

/** Only local paths are followed after sign-in, never another site. */
export function safeNext(next: string | undefined | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

const METHOD_LABEL: Record<string, string> = { password: 'Password', ldap: 'Directory (LDAP)', saml: 'Single sign-on (SAML)', oidc: 'Single sign-on (OpenID Connect)' };

type SetupValues = { orgName?: string; name?: string; email?: string };

function SetupForm({ values, error }: { values: SetupValues; error?: string }) {
  return (
    <form method="post" action="/setup">
      <h1>Set up Folio</h1>
      <p class="muted">Create your organization and its owner account. You can invite everyone else afterwards.</p>
      <FormError message={error} />
      <Field name="orgName" label="Organization name" value={values.orgName} required autofocus />
      <Field name="name" label="Your name" value={values.name} required autocomplete="name" />
      <Field name="email" label="Email" type="email" value={values.email} required autocomplete="email" />
      <Field name="password" label="Password" type="password" required autocomplete="new-password" hint="At least 10 characters; common passwords are refused." />
      <button type="submit" class="block">
        Create organization
      </button>
    </form>
  );
}

function LoginForm({ email, next, error }: { email?: string; next: string; error?: string }) {
  return (
    <form method="post" action="/login">
      <h1>Sign in</h1>
      <FormError message={error} />
      <input type="hidden" name="next" value={next} />
      <Field name="email" label="Email" type="email" value={email} required autocomplete="username" autofocus />
      <Field name="password" label="Password" type="password" required autocomplete="current-password" />
      <button type="submit" class="block">
        Sign in
      </button>
    </form>
  );
}

/** Sends people whose organization uses a directory or single sign-on to its own sign-in page. */
function OrgSignInForm({ next }: { next: string }) {
  return (
    <form method="get" action="/sso" class="org-signin">
      <input type="hidden" name="next" value={next} />
      <Field name="org" label="Or sign in through your organization (its short name)" autocomplete="organization" />
      <button type="submit" class="secondary block">
        Continue to single sign-on
      </button>
    </form>
  );
}

/** Setup, sign-in, sign-out and the account's session list. */
export function authPages() {
  const app = new Hono<AppEnv>();

  app.get('/', async (c) => {
    const ctx = c.get('ctx');
    if (await needsSetup(ctx)) return c.redirect('/setup');
    const user = c.get('user');
    if (!user) return c.redirect('/login');
    const orgs = await listMyOrgs(ctx, user.id);
    if (orgs.length) return c.redirect(`/o/${orgs[0].slug}`);
    return page(c, { title: 'Welcome' }, (
      <section class="card">
        <h1>You are not in any organization yet</h1>
        <p>Ask an administrator for an invitation link, or create an organization of your own.</p>
        <a class="button" href="/orgs/new">
          Create an organization
        </a>
      </section>
    ));
  });

  app.get('/setup', async (c) => {
    if (!(await needsSetup(c.get('ctx')))) return c.redirect('/login');
    return renderPage(c, <AuthLayout title="Set up Folio"><SetupForm values={{}} /></AuthLayout>);
  });

  app.post('/setup', async (c) => {
    const ctx = c.get('ctx');
    const f = await readForm(c);
    try {
      const { user, org } = await createAccountWithOrg(
        ctx,
        { orgName: f.orgName ?? '', name: f.name ?? '', email: f.email ?? '', password: f.password ?? '' },
        { firstOnly: true },
      );
      const { token, session } = await createSession(ctx, user.id);
      setSessionCookie(c, ctx.config, token, session.expires_at);
      flash(c, `Welcome to Folio. ${org.name} is ready.`);
      return c.redirect(`/o/${org.slug}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'setup_done') return c.redirect('/login', 303);
      if (err instanceof AppError && err.code !== 'internal_error') {
        return renderPage(c, <AuthLayout title="Set up Folio"><SetupForm values={f} error={err.message} /></AuthLayout>, statusFor(err.code));
      }
      throw err;
    }
  });

  app.get('/login', async (c) => {
    if (await needsSetup(c.get('ctx'))) return c.redirect('/setup');
    const next = safeNext(c.req.query('next'));
    if (c.get('user')) return c.redirect(next);
    return renderPage(c, <AuthLayout title="Sign in" notice={takeFlash(c)}><LoginForm next={next} /><OrgSignInForm next={next} /></AuthLayout>);
  });

  app.post('/login', async (c) => {
    const ctx = c.get('ctx');
    const f = await readForm(c);
    const next = safeNext(f.next);
    try {
      const { user } = await login(ctx, f.email ?? '', f.password ?? '');
      return await completeSignIn(c, user, { method: 'password', orgId: null }, next);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'invalid_credentials' || err.code === 'account_locked')) {
        const status = err.code === 'account_locked' ? 429 : 401;
        return renderPage(c, <AuthLayout title="Sign in"><LoginForm email={f.email} next={next} error={err.message} /></AuthLayout>, status);
      }
      throw err;
    }
  });

  app.post('/logout', async (c) => {
    const session = c.get('session');
    if (session) await invalidateSession(c.get('ctx'), session);
    clearSessionCookie(c);
    flash(c, 'You are signed out.');
    return c.redirect('/login', 303);
  });

  app.get('/account/sessions', requireUser, async (c) => {
    const sessions = await listMySessions(c.get('ctx'), c.get('user')!.id, c.get('session')?.id);
    return page(c, { title: 'Your sessions' }, (
      <>
        <PageHeader title="Your sessions" />
        <p class="muted">Every browser signed in to your account. Revoke any you do not recognize.</p>
        <table>
          <thead>
            <tr><th>Device</th><th>IP address</th><th>Method</th><th>Signed in</th><th>Last active</th><th><span class="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr id={`session-${s.id}`}>
                <td>{s.userAgent ?? 'Unknown device'} {s.current && <span class="badge badge--owner">this browser</span>}</td>
                <td class="mono">{s.ip ?? '—'}</td>
                <td>{METHOD_LABEL[s.method] ?? s.method}{s.mfa && ' + two-factor'}</td>
                <td><Time iso={s.createdAt} /></td>
                <td><Time iso={s.lastSeenAt} /></td>
                <td>
                  {!s.current && (
                    <DangerButton action={`/account/sessions/${s.id}/revoke`} label="Revoke" swapTarget={`#session-${s.id}`} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    ));
  });

  app.post('/account/sessions/:id/revoke', requireUser, async (c) => {
    await revokeMySession(c.get('ctx'), c.get('user')!.id, c.req.param('id'));
    if (c.req.header('HX-Request') === 'true') return c.body(null, 200);
    flash(c, 'Session revoked.');
    return c.redirect('/account/sessions', 303);
  });

  return app;
}
