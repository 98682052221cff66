import { type Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { AuthLayout } from '../../../../views/layout';
import { Field, FormError, PageHeader, Time } from '../../../../views/components';
import { requireUser } from '../../../platform/http/auth';
import { readForm } from '../../../platform/http/input';
import { renderPage } from '../../../platform/http/render';
import type { AppEnv } from '../../../platform/http/types';
import { AppError, statusFor } from '../../../shared/errors';
import { tenant } from '../../orgs/tenant';
import { findUserById } from '../../users/user.repository';
import { flash, page, takeFlash } from '../../web/shell';
import { peekFlow, takeFlow, updateFlow } from '../flows';
import { clearMfaCookie, MFA_COOKIE, MFA_MAX_ATTEMPTS, type MfaChallenge, startSignedInSession } from '../signin';
import {
  auditForUser,
  beginEnrollment,
  confirmEnrollment,
  disableMfa,
  getMfaStatus,
  type MfaStatus,
  regenerateRecoveryCodes,
  resetMfaByAdmin,
  revokeMemberSessions,
  verifyCurrentSession,
  verifySecondFactor,
} from './mfa.service';

const CODE_HINT = 'The six digits your authenticator app shows, or one of your recovery codes.';

function ChallengeForm({ error }: { error?: string }) {
  return (
    <form method="post" action="/login/mfa">
      <h1>Two-factor sign-in</h1>
      <p class="muted">Open your authenticator app and enter the code it shows for Folio.</p>
      <FormError message={error} />
      <Field name="code" label="Code" required autocomplete="one-time-code" autofocus hint={CODE_HINT} />
      <button type="submit" class="block">
        Verify
      </button>
      <p class="muted">
        <a href="/login">Start over</a>
      </p>
    </form>
  );
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <section class="card" id="recovery-codes">
      <h2>Your recovery codes</h2>
      <p>
        Keep these somewhere safe, away from your phone. Each one signs you in once if you lose your authenticator. <strong>They are shown only now.</strong>
      </p>
      <ol class="recovery-codes mono">
        {codes.map((c) => (
          <li>
            <code>{c}</code>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The `required` query value when it looks like an organization's slug. */
function requiredSlug(value: string | undefined | null): string | undefined {
  return value && /^[a-z0-9-]{1,60}$/.test(value) ? value : undefined;
}

/** Two-factor enrollment, the sign-in challenge, recovery codes, and administrators' resets. */
export function mfaPages() {
  const app = new Hono<AppEnv>();

  const challengePage = (c: Context<AppEnv>, error?: string, status = 200) =>
    renderPage(c, <AuthLayout title="Two-factor sign-in" notice={takeFlash(c)}><ChallengeForm error={error} /></AuthLayout>, status);

  const startOver = (c: Context<AppEnv>, message: string) => {
    clearMfaCookie(c);
    flash(c, message);
    return c.redirect('/login', 303);
  };

  app.get('/login/mfa', async (c) => {
    const flow = await peekFlow<MfaChallenge>(c.get('ctx'), 'mfa', getCookie(c, MFA_COOKIE) ?? '');
    if (!flow) return startOver(c, 'Your sign-in timed out. Sign in again.');
    return challengePage(c);
  });

  app.post('/login/mfa', async (c) => {
    const ctx = c.get('ctx');
    const handle = getCookie(c, MFA_COOKIE) ?? '';
    const flow = await peekFlow<MfaChallenge>(ctx, 'mfa', handle);
    if (!flow) return startOver(c, 'Your sign-in timed out. Sign in again.');
    const challenge = flow.data;
    const user = await findUserById(ctx.db, challenge.userId);
    if (!user || !user.is_active) {
      await takeFlow(ctx, 'mfa', handle);
      return startOver(c, 'Sign in again.');
    }
    const f = await readForm(c);
    let used;
    try {
      used = await verifySecondFactor(ctx, user.id, f.code ?? '');
    } catch (err) {
      if (err instanceof AppError && err.code === 'account_locked') return challengePage(c, err.message, statusFor(err.code));
      throw err;
    }
    const audit = { actorId: user.id, targetType: 'user', targetId: user.id } as const;
    if (!used) {
      const attempts = challenge.attempts + 1;
      await auditForUser(ctx, ctx.db, user.id, { ...audit, action: 'mfa.challenge_failed', data: { method: challenge.method, attempts } }, challenge.orgId);
      if (attempts >= MFA_MAX_ATTEMPTS) {
        await takeFlow(ctx, 'mfa', handle);
        return startOver(c, 'Too many wrong codes. Sign in again.');
      }
      await updateFlow(ctx, 'mfa', handle, { ...challenge, attempts });
      const left = MFA_MAX_ATTEMPTS - attempts;
      return challengePage(c, `That code is not valid. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.`, 401);
    }
    // Taking the flow makes the challenge single-use even if two requests passed at once.
    if (!(await takeFlow(ctx, 'mfa', handle))) return startOver(c, 'Your sign-in timed out. Sign in again.');
    clearMfaCookie(c);
    await auditForUser(ctx, ctx.db, user.id, { ...audit, action: 'mfa.challenge_passed', data: { method: challenge.method, factor: used } }, challenge.orgId);
    if (used === 'recovery_code') await auditForUser(ctx, ctx.db, user.id, { ...audit, action: 'mfa.recovery_code_used' }, challenge.orgId);
    return startSignedInSession(c, user, { method: challenge.method, orgId: challenge.orgId, mfa: true }, challenge.next);
  });

  const securityPage = async (c: Context<AppEnv>, o: { error?: string; codes?: string[]; status?: number } = {}) => {
    const ctx = c.get('ctx');
    const user = c.get('user')!;
    const session = c.get('session');
    const status: MfaStatus = await getMfaStatus(ctx, user);
    const slug = requiredSlug(c.req.query('required'));
    const requiring = slug ? status.requiredBy.find((r) => r.slug === slug) : undefined;
    const needsVerify = status.enrolled && !!session && !session.mfa_at;
    const action = (path: string) => `/account/security/${path}${slug ? `?required=${slug}` : ''}`;
    return page(c, { title: 'Two-factor sign-in', status: o.status ?? (o.error ? 400 : 200) }, (
      <>
        <PageHeader title="Two-factor sign-in" />
        {requiring && !status.enrolled && (
          <p class="alert" role="alert">
            {requiring.name} requires two-factor sign-in. Set it up below to continue.
          </p>
        )}
        {requiring && needsVerify && (
          <p class="alert" role="alert">
            {requiring.name} requires two-factor sign-in. Enter a code to continue.
          </p>
        )}
        <FormError message={o.error} />
        {o.codes && <RecoveryCodes codes={o.codes} />}
        {o.codes && slug && (
          <p>
            <a class="button" href={`/o/${slug}`}>Continue</a>
          </p>
        )}
        {status.enrolled ? (
          <>
            <section class="card">
              <h2>On</h2>
              <p>
                Signing in asks for a code from your authenticator app since <Time iso={status.enrolledAt} />. Recovery codes left: <strong>{status.recoveryCodesLeft}</strong>.
              </p>
              {needsVerify && (
                <form method="post" action={action('verify')}>
                  <p class="muted">This session was started without a code.</p>
                  <Field name="code" label="Code" required autocomplete="one-time-code" hint={CODE_HINT} />
                  <button type="submit">Verify this session</button>
                </form>
              )}
            </section>
            <section class="card">
              <h2>New recovery codes</h2>
              <p class="muted">Replaces all your recovery codes, used or not.</p>
              <form method="post" action={action('recovery-codes')} class="row">
                <Field name="code" label="Current code from your app" required autocomplete="one-time-code" />
                <button type="submit" class="secondary">Make new codes</button>
              </form>
            </section>
            <section class="card">
              <h2>Turn off</h2>
              {status.requiredBy.length ? (
                <p class="muted">Required by {status.requiredBy.map((r) => r.name).join(', ')}: it cannot be turned off.</p>
              ) : (
                <form method="post" action={action('disable')} class="row">
                  <Field name="code" label="Current code or a recovery code" required autocomplete="one-time-code" />
                  <button type="submit" class="danger">Turn off two-factor sign-in</button>
                </form>
              )}
            </section>
          </>
        ) : status.pending ? (
          <section class="card">
            <h2>Set up your authenticator</h2>
            <p>Scan this code with an authenticator app (FreeOTP, Aegis, Google Authenticator, 1Password, …):</p>
            <p>
              <img src={status.pending.qr} alt={`QR code for ${user.email}`} width="240" height="240" class="qr" />
            </p>
            <p>
              Or type this key into the app: <code class="mono" id="totp-secret">{status.pending.secret}</code>
            </p>
            <form method="post" action={action('totp/confirm')}>
              <Field name="code" label="Code the app shows" required autocomplete="one-time-code" autofocus hint="Six digits." />
              <button type="submit">Turn on</button>
            </form>
          </section>
        ) : (
          <section class="card">
            <h2>Off</h2>
            <p>With two-factor sign-in, signing in also asks for a code from an app on your phone, whichever way you sign in.</p>
            <form method="post" action={action('totp')}>
              <button type="submit">Set up two-factor sign-in</button>
            </form>
          </section>
        )}
      </>
    ));
  };

  /** Runs an action; a user-facing error redisplays the page with its message. */
  const attempt = async (c: Context<AppEnv>, fn: () => Promise<Response>) => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError && err.code !== 'internal_error' && err.code !== 'not_found') return securityPage(c, { error: err.message, status: statusFor(err.code) });
      throw err;
    }
  };
  const back = (c: Context<AppEnv>) => {
    const slug = requiredSlug(c.req.query('required'));
    return `/account/security${slug ? `?required=${slug}` : ''}`;
  };

  app.get('/account/security', requireUser, (c) => securityPage(c));

  app.post('/account/security/totp', requireUser, (c) =>
    attempt(c, async () => {
      await beginEnrollment(c.get('ctx'), c.get('user')!);
      return c.redirect(back(c), 303);
    }),
  );

  app.post('/account/security/totp/confirm', requireUser, async (c) => {
    const f = await readForm(c);
    return attempt(c, async () => {
      const codes = await confirmEnrollment(c.get('ctx'), c.get('user')!, f.code ?? '', c.get('session')?.id);
      c.header('Cache-Control', 'no-store');
      return securityPage(c, { codes });
    });
  });

  app.post('/account/security/recovery-codes', requireUser, async (c) => {
    const f = await readForm(c);
    return attempt(c, async () => {
      const codes = await regenerateRecoveryCodes(c.get('ctx'), c.get('user')!, f.code ?? '');
      c.header('Cache-Control', 'no-store');
      return securityPage(c, { codes });
    });
  });

  app.post('/account/security/disable', requireUser, async (c) => {
    const f = await readForm(c);
    return attempt(c, async () => {
      await disableMfa(c.get('ctx'), c.get('user')!, f.code ?? '');
      flash(c, 'Two-factor sign-in is off.');
      return c.redirect('/account/security', 303);
    });
  });

  app.post('/account/security/verify', requireUser, async (c) => {
    const f = await readForm(c);
    const session = c.get('session');
    if (!session) throw new AppError('bad_request', 'Only a browser session can be verified.');
    return attempt(c, async () => {
      await verifyCurrentSession(c.get('ctx'), c.get('user')!, session.id, f.code ?? '');
      const slug = requiredSlug(c.req.query('required'));
      flash(c, 'Verified.');
      return c.redirect(slug ? `/o/${slug}` : '/account/security', 303);
    });
  });

  // Administrators: a member lost their phone (reset), or their sessions must end now.
  app.post('/o/:org/members/:userId/mfa/reset', requireUser, tenant, async (c) => {
    const { sessionsEnded } = await resetMfaByAdmin(c.get('ctx'), c.get('actor')!, c.req.param('userId'));
    flash(c, `Two-factor sign-in reset; ${sessionsEnded} ${sessionsEnded === 1 ? 'session' : 'sessions'} ended.`);
    return c.redirect(`/o/${c.get('org')!.slug}/members`, 303);
  });

  app.post('/o/:org/members/:userId/sessions/revoke', requireUser, tenant, async (c) => {
    const { sessionsEnded } = await revokeMemberSessions(c.get('ctx'), c.get('actor')!, c.req.param('userId'));
    flash(c, `${sessionsEnded} ${sessionsEnded === 1 ? 'session' : 'sessions'} ended.`);
    return c.redirect(`/o/${c.get('org')!.slug}/members`, 303);
  });

  app.post('/api/v1/orgs/:org/members/:userId/mfa/reset', requireUser, tenant, async (c) =>
    c.json(await resetMfaByAdmin(c.get('ctx'), c.get('actor')!, c.req.param('userId'))),
  );

  app.post('/api/v1/orgs/:org/members/:userId/sessions/revoke', requireUser, tenant, async (c) =>
    c.json(await revokeMemberSessions(c.get('ctx'), c.get('actor')!, c.req.param('userId'))),
  );

  return app;
}
