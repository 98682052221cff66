import { type Context, Hono } from 'hono';
import { DangerButton, Field, FormError, PageHeader, Time } from '../../../../views/components';
import { authorize } from '../../../authz';
import { requireUser } from '../../../platform/http/auth';
import { readForm, readJson, validate } from '../../../platform/http/input';
import { baseUrl } from '../../../platform/http/request';
import type { AppEnv } from '../../../platform/http/types';
import { AppError, statusFor } from '../../../shared/errors';
import { tenant } from '../../orgs/tenant';
import { flash, page } from '../../web/shell';
import { createScimToken, listScimTokens, revokeScimToken, ZCreateScimToken } from './scim.token.service';

/** The SCIM endpoint of the organization in the request, as clients must be given it. */
function endpointOf(c: Context<AppEnv>): string {
  return `${baseUrl(c, c.get('ctx').config)}/scim/v2/${c.get('org')!.slug}`;
}

/**
 * SCIM token management for administrators: the page `/o/:org/settings/scim` and the JSON
 * API `/api/v1/orgs/:org/sign-in/scim/tokens`. A new token is shown once, in the response
 * that created it; only its SHA-256 is stored.
 */
export function scimPages() {
  const app = new Hono<AppEnv>();

  const view = async (c: Context<AppEnv>, opts: { fresh?: string; error?: string; name?: string } = {}) => {
    const ctx = c.get('ctx');
    const actor = c.get('actor')!;
    const slug = c.get('org')!.slug;
    const tokens = await listScimTokens(ctx, actor);
    if (opts.fresh) c.header('Cache-Control', 'no-store');
    return page(c, { title: 'SCIM provisioning', active: 'signin', status: opts.error ? 400 : opts.fresh ? 201 : 200 }, (
      <>
        <PageHeader title="SCIM provisioning" />
        <p class="muted">
          Okta, Azure AD (Microsoft Entra ID) and other SCIM 2.0 clients create, update and deactivate this organization's members and
          teams. Give the client this base URL (tenant URL) and a token below.
        </p>
        <section class="card">
          <label for="scim-url">SCIM base URL</label>
          <div class="copybox">
            <input id="scim-url" readOnly value={endpointOf(c)} />
            <button type="button" class="secondary" data-copy="scim-url">Copy</button>
          </div>
          <p class="muted">
            Users are members (userName is their email address); Groups are teams. Deactivating a user in the client ends their sessions
            at once. <a href={`/o/${slug}/settings/sign-in/groups`}>Group mappings</a> give roles to members of mapped groups.
          </p>
        </section>
        {opts.fresh && (
          <div class="card warn">
            <label for="new-scim-token">Your new SCIM token. Copy it now: it is not shown again.</label>
            <div class="copybox">
              <input id="new-scim-token" readOnly value={opts.fresh} />
              <button type="button" class="secondary" data-copy="new-scim-token">Copy</button>
            </div>
          </div>
        )}
        <section class="card">
          <form method="post" action={`/o/${slug}/settings/scim`} class="row">
            <FormError message={opts.error} />
            <Field name="name" label="Name" value={opts.name} required hint="Which client uses it, e.g. “Okta”." />
            <button type="submit">Create token</button>
          </form>
        </section>
        <h2>Active tokens</h2>
        {tokens.length === 0 ? (
          <p class="muted">No tokens yet.</p>
        ) : (
          <table>
            <thead>
              <tr><th>Name</th><th>Token</th><th>Created</th><th>Last used</th><th><span class="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr>
                  <td>{t.name}</td>
                  <td class="mono">{t.prefix}…</td>
                  <td><Time iso={t.createdAt} /></td>
                  <td><Time iso={t.lastUsedAt} /></td>
                  <td>
                    <DangerButton action={`/o/${slug}/settings/scim/${t.id}/revoke`} label="Revoke" confirm={`Revoke ${t.name}? The client stops provisioning at once.`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>
    ));
  };

  const manage = async (c: Context<AppEnv>, next: () => Promise<void>) => {
    authorize(c.get('actor')!, 'signin.manage');
    await next();
  };

  app.get('/o/:org/settings/scim', requireUser, tenant, manage, (c) => view(c));

  app.post('/o/:org/settings/scim', requireUser, tenant, manage, async (c) => {
    const f = await readForm(c);
    try {
      const { token } = await createScimToken(c.get('ctx'), c.get('actor')!, validate(ZCreateScimToken, { name: f.name }));
      // Shown in this response only, never put in a URL.
      return view(c, { fresh: token });
    } catch (err) {
      if (err instanceof AppError && statusFor(err.code) === 400) return view(c, { error: err.message, name: f.name });
      throw err;
    }
  });

  app.post('/o/:org/settings/scim/:id/revoke', requireUser, tenant, manage, async (c) => {
    await revokeScimToken(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    flash(c, 'SCIM token revoked.');
    return c.redirect(`/o/${c.get('org')!.slug}/settings/scim`, 303);
  });

  // JSON API
  const api = '/api/v1/orgs/:org/sign-in/scim/tokens';
  app.get(api, requireUser, tenant, async (c) => c.json({ endpoint: endpointOf(c), tokens: await listScimTokens(c.get('ctx'), c.get('actor')!) }));
  app.post(api, requireUser, tenant, async (c) => {
    const input = validate(ZCreateScimToken, await readJson(c));
    const { token, record } = await createScimToken(c.get('ctx'), c.get('actor')!, input);
    c.header('Cache-Control', 'no-store');
    return c.json({ ...record, token, endpoint: endpointOf(c) }, 201);
  });
  app.delete(`${api}/:id`, requireUser, tenant, async (c) => {
    await revokeScimToken(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
