import { type Context, Hono } from 'hono';
import { DangerButton, Field, PageHeader, Time } from '../../../views/components';
import { requireUser } from '../../platform/http/auth';
import { readForm, readJson } from '../../platform/http/input';
import type { AppEnv } from '../../platform/http/types';
import { AppError } from '../../shared/errors';
import { flash, page } from '../web/shell';
import { assertTokenInput, createPersonalToken, listPersonalTokens, revokePersonalToken } from './token.service';

/** JSON API for the caller's personal tokens: `/api/v1/me/tokens`. */
export function tokenRoutes() {
  const app = new Hono<AppEnv>();
  app.use('*', requireUser);
  app.get('/', async (c) => c.json({ tokens: await listPersonalTokens(c.get('ctx'), c.get('user')!.id) }));
  app.post('/', async (c) => {
    const input = assertTokenInput(await readJson(c));
    const { token, record } = await createPersonalToken(c.get('ctx'), c.get('user')!.id, input);
    return c.json({ ...record, token }, 201);
  });
  app.delete('/:id', async (c) => {
    await revokePersonalToken(c.get('ctx'), c.get('user')!.id, c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}

/** The API tokens page under the account menu. */
export function tokenPages() {
  const app = new Hono<AppEnv>();
  app.use('*', requireUser);

  const view = async (c: Context<AppEnv>, fresh?: string) => {
    const tokens = await listPersonalTokens(c.get('ctx'), c.get('user')!.id);
    if (fresh) c.header('Cache-Control', 'no-store');
    return page(c, { title: 'API tokens', status: fresh ? 201 : 200 }, (
      <>
        <PageHeader title="API tokens" />
        <p class="muted">
          Personal tokens act as you in the API: send <code>Authorization: Bearer &lt;token&gt;</code>. They can do everything you can.
        </p>
        {fresh && (
          <div class="card warn">
            <label for="new-token">Your new token. Copy it now: it is not shown again.</label>
            <div class="copybox">
              <input id="new-token" readOnly value={fresh} />
              <button type="button" class="secondary" data-copy="new-token">Copy</button>
            </div>
          </div>
        )}
        <section class="card">
          <form method="post" action="/account/tokens" class="row">
            <Field name="name" label="Name" required hint="What the token is for, e.g. “scanner upload”." />
            <Field name="expiresInDays" label="Expires after (days, optional)" type="number" />
            <button type="submit">Create token</button>
          </form>
        </section>
        <h2>Active tokens</h2>
        {tokens.length === 0 ? (
          <p class="muted">No tokens yet.</p>
        ) : (
          <table>
            <thead><tr><th>Name</th><th>Token</th><th>Created</th><th>Last used</th><th>Expires</th><th><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {tokens.map((t) => (
                <tr>
                  <td>{t.name}</td>
                  <td class="mono">{t.prefix}…</td>
                  <td><Time iso={t.createdAt} /></td>
                  <td><Time iso={t.lastUsedAt} /></td>
                  <td>{t.expiresAt ? <Time iso={t.expiresAt} /> : 'never'}</td>
                  <td>
                    <DangerButton action={`/account/tokens/${t.id}/revoke`} label="Revoke" confirm={`Revoke ${t.name}?`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>
    ));
  };

  app.get('/', (c) => view(c));

  app.post('/', async (c) => {
    const f = await readForm(c);
    const days = f.expiresInDays ? Number(f.expiresInDays) : undefined;
    if (days !== undefined && !Number.isInteger(days)) throw new AppError('validation_failed', 'Expiry must be a whole number of days');
    const input = assertTokenInput({ name: f.name, expiresInDays: days });
    const { token } = await createPersonalToken(c.get('ctx'), c.get('user')!.id, input);
    // Shown in this response only, never put in a URL.
    return view(c, token);
  });

  app.post('/:id/revoke', async (c) => {
    await revokePersonalToken(c.get('ctx'), c.get('user')!.id, c.req.param('id'));
    flash(c, 'Token revoked.');
    return c.redirect('/account/tokens', 303);
  });
  return app;
}
