import { Hono } from 'hono';
import { AuthLayout } from '../../../views/layout';
import { Field, FormError } from '../../../views/components';
import { setSessionCookie } from '../../platform/http/auth';
import { readForm } from '../../platform/http/input';
import { renderPage } from '../../platform/http/render';
import type { AppEnv } from '../../platform/http/types';
import type { Invitation, Org, User } from '../../platform/db/schema';
import { AppError, statusFor } from '../../shared/errors';
import { createSession } from '../auth/session.service';
import { flash } from '../web/shell';
import { acceptInvitation, acceptInvitationWithNewAccount, getInvitationByToken } from './invitation.service';

function InviteView(p: { token: string; invitation: Invitation; org: Org; user?: User; error?: string; values?: Record<string, string> }) {
  const action = `/invite/${encodeURIComponent(p.token)}`;
  return (
    <AuthLayout title={`Join ${p.org.name}`}>
      <h1>Join {p.org.name}</h1>
      <p class="muted">
        You are invited as <strong>{p.invitation.role}</strong>
        {p.invitation.email && <> ({p.invitation.email})</>}.
      </p>
      <FormError message={p.error} />
      {p.user ? (
        <form method="post" action={action}>
          <input type="hidden" name="intent" value="accept" />
          <p>Signed in as {p.user.email}.</p>
          <button type="submit" class="block">Accept invitation</button>
        </form>
      ) : (
        <>
          <form method="post" action={action}>
            <input type="hidden" name="intent" value="register" />
            <Field name="name" label="Your name" value={p.values?.name} required autocomplete="name" />
            {p.invitation.email ? (
              <p>Email: <strong>{p.invitation.email}</strong></p>
            ) : (
              <Field name="email" label="Email" type="email" value={p.values?.email} required autocomplete="email" />
            )}
            <Field name="password" label="Choose a password" type="password" required autocomplete="new-password" hint="At least 10 characters; common passwords are refused." />
            <button type="submit" class="block">Create account and join</button>
          </form>
          <p class="muted">
            Already have an account? <a href={`/login?next=${encodeURIComponent(action)}`}>Sign in first</a>.
          </p>
        </>
      )}
    </AuthLayout>
  );
}

/** The page behind an invitation link: join with the current account or a new one. */
export function invitationPages() {
  const app = new Hono<AppEnv>();

  app.get('/invite/:token', async (c) => {
    const token = c.req.param('token');
    const { invitation, org } = await getInvitationByToken(c.get('ctx'), token);
    return renderPage(c, <InviteView token={token} invitation={invitation} org={org} user={c.get('user')} />);
  });

  app.post('/invite/:token', async (c) => {
    const ctx = c.get('ctx');
    const token = c.req.param('token');
    const f = await readForm(c);
    const user = c.get('user');
    try {
      if (user) {
        const org = await acceptInvitation(ctx, token, user.id);
        flash(c, `You joined ${org.name}.`);
        return c.redirect(`/o/${org.slug}`, 303);
      }
      const { user: created, org } = await acceptInvitationWithNewAccount(ctx, token, { name: f.name ?? '', email: f.email ?? '', password: f.password ?? '' });
      const { token: sessionToken, session } = await createSession(ctx, created.id);
      setSessionCookie(c, ctx.config, sessionToken, session.expires_at);
      flash(c, `Welcome to ${org.name}.`);
      return c.redirect(`/o/${org.slug}`, 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.code === 'internal_error') throw err;
      const found = await getInvitationByToken(ctx, token).catch(() => null);
      if (!found) throw err;
      const message = err.code === 'conflict' && !user ? 'An account with this email already exists. Sign in first, then open the link again.' : err.message;
      return renderPage(c, <InviteView token={token} invitation={found.invitation} org={found.org} user={user} error={message} values={f} />, statusFor(err.code));
    }
  });

  return app;
}
