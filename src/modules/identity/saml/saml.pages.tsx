import { type Context, Hono } from 'hono';
import { Check, DefaultRoleSelect, Field, FormError, PageHeader, TextArea, Time } from '../../../../views/components';
import { requireUser } from '../../../platform/http/auth';
import { readJson, validate } from '../../../platform/http/input';
import { baseUrl } from '../../../platform/http/request';
import type { AppEnv } from '../../../platform/http/types';
import { AppError, statusFor } from '../../../shared/errors';
import { safeNext } from '../../auth/auth.pages';
import { tenant } from '../../orgs/tenant';
import { flash, page } from '../../web/shell';
import { renderOrgSignIn } from '../identity.pages';
import { provisionExternalUser } from '../provision';
import { completeSignIn } from '../signin';
import { MAX_METADATA_BYTES } from './saml.metadata';
import { consumeSamlResponse, SamlRejectedError, serviceProviderMetadata, startSamlLogin } from './saml.service';
import { getSamlSettings, type PresentedSamlSettings, type TSamlSettingsInput, updateSamlSettings, ZSamlSettingsInput } from './saml.settings';

/** Where identity providers post SAML responses (the assertion consumer service). */
export const SAML_ACS_PATH = /^\/sso\/[^/]+\/saml\/acs$/;

function SpInfo({ s }: { s: PresentedSamlSettings }) {
  const sp = s.serviceProvider;
  return (
    <section class="card">
      <h2>Give these to your identity provider</h2>
      <dl>
        <dt>Identifier (entity id, audience)</dt>
        <dd class="mono" id="sp-entity-id">{s.spEntityId}</dd>
        <dt>Reply URL (assertion consumer service, HTTP-POST)</dt>
        <dd class="mono" id="sp-acs-url">{sp.acsUrl}</dd>
        <dt>Metadata URL</dt>
        <dd class="mono">
          <a href={sp.metadataUrl} id="sp-metadata-url">{sp.metadataUrl}</a>
        </dd>
        <dt>Sign-on URL (where people start)</dt>
        <dd class="mono">{sp.signInUrl}</dd>
      </dl>
      <p class="muted">
        The identity provider must sign its assertions (SHA-256) and send the email address; a groups attribute is optional and
        drives the group mappings.
      </p>
    </section>
  );
}



async function settingsPage(c: Context<AppEnv>, opts: { error?: string; values?: Partial<Record<string, string>> } = {}) {
  const ctx = c.get('ctx');
  const org = c.get('org')!;
  const s = await getSamlSettings(ctx, c.get('actor')!, org, baseUrl(c, ctx.config));
  const v = opts.values;
  const pick = (k: string, stored: string) => (v && v[k] !== undefined ? v[k]! : stored);
  return page(c, { title: 'SAML sign-in', active: 'signin', status: opts.error ? 400 : 200 }, (
    <>
      <PageHeader title="SAML 2.0 sign-in" />
      <p class="muted">
        <a href={`/o/${org.slug}/settings/sign-in`}>Sign-in &amp; security</a> · <a href={`/o/${org.slug}/settings/sign-in/groups`}>Group mappings</a>
      </p>
      <SpInfo s={s} />
      {!!s.certificates.length && (
        <section class="card">
          <h2>Trusted signing certificates</h2>
          <ul>
            {s.certificates.map((cert) => (
              <li>
                <span class="mono">{cert.subject}</span>, valid until <Time iso={cert.notAfter} />
                {cert.expired && <strong> (expired)</strong>}
                <br />
                <small class="muted mono">SHA-256 {cert.sha256}</small>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="card">
        <form method="post" action={`/o/${org.slug}/settings/sign-in/saml`} enctype="multipart/form-data">
          <FormError message={opts.error} />
          <Check name="enabled" label="Turn SAML sign-in on" checked={v ? v.enabled === 'on' : s.enabled} />
          <h2>Identity provider</h2>
          <p class="muted">Upload or paste the identity provider’s metadata XML, or fill in its fields by hand. Metadata, when given, replaces the fields below.</p>
          <div class="field">
            <label for="f-metadataFile">Metadata file</label>
            <input id="f-metadataFile" type="file" name="metadataFile" accept=".xml,application/xml,text/xml,application/samlmetadata+xml" />
          </div>
          <TextArea name="metadataXml" label="Or paste the metadata XML" value={v?.metadataXml} rows={4} />
          <Field name="idpEntityId" label="Identity provider entity id (Issuer)" value={pick('idpEntityId', s.idpEntityId)} />
          <Field name="ssoUrl" label="Single sign-on URL (HTTP-Redirect)" value={pick('ssoUrl', s.ssoUrl)} />
          <TextArea name="certificates" label="Signing certificate (PEM or base64; several for a rollover)" value={pick('certificates', s.certificates.map((x) => x.pem).join('\n'))} />
          <h2>Folio</h2>
          <Field name="spEntityId" label="Folio’s entity id" value={pick('spEntityId', s.spEntityId)} hint="What the identity provider calls Folio (Azure AD: Identifier). Change it only to match an existing configuration." />
          <Field name="emailAttribute" label="Email attribute" value={pick('emailAttribute', s.attributes.email)} />
          <Field name="nameAttribute" label="Name attribute" value={pick('nameAttribute', s.attributes.name)} />
          <Field name="groupsAttribute" label="Groups attribute" value={pick('groupsAttribute', s.attributes.groups)} />
          <DefaultRoleSelect value={pick('defaultRole', s.defaultRole)} />
          <Check
            name="ssoOnly"
            label="SAML only: members enter this organization only through SAML"
            checked={v ? v.ssoOnly === 'on' : s.ssoOnly}
            hint="Password and other sessions are refused for this organization. Owners keep their password as a way in if the identity provider fails."
          />
          <button type="submit">Save</button>
        </form>
      </section>
    </>
  ));
}

/** The form's fields as the service's input (every field present: a form always sends them all). */
function formInput(f: Record<string, string>): TSamlSettingsInput {
  return {
    enabled: f.enabled === 'on',
    metadataXml: f.metadataXml ?? '',
    idpEntityId: f.idpEntityId ?? '',
    ssoUrl: f.ssoUrl ?? '',
    certificates: f.certificates ?? '',
    spEntityId: f.spEntityId ?? '',
    attributes: { email: f.emailAttribute ?? '', name: f.nameAttribute ?? '', groups: f.groupsAttribute ?? '' },
    defaultRole: (f.defaultRole || undefined) as TSamlSettingsInput['defaultRole'],
    ssoOnly: f.ssoOnly === 'on',
  };
}

/** SAML 2.0 service provider: metadata, login, assertion consumer and settings. */
export function samlPages() {
  const app = new Hono<AppEnv>();

  app.get('/sso/:org/saml/metadata', async (c) => {
    const ctx = c.get('ctx');
    const xml = await serviceProviderMetadata(ctx, c.req.param('org'), baseUrl(c, ctx.config));
    return c.body(xml, 200, { 'Content-Type': 'application/samlmetadata+xml; charset=utf-8', 'Content-Disposition': 'inline; filename="folio-saml-metadata.xml"' });
  });

  app.get('/sso/:org/saml/login', async (c) => {
    const ctx = c.get('ctx');
    const url = await startSamlLogin(ctx, c.req.param('org'), baseUrl(c, ctx.config), safeNext(c.req.query('next')));
    c.header('Cache-Control', 'no-store');
    return c.redirect(url, 302);
  });

  app.post('/sso/:org/saml/acs', async (c) => {
    const ctx = c.get('ctx');
    const slug = c.req.param('org');
    let samlResponse: string | undefined;
    try {
      const body = await c.req.parseBody();
      samlResponse = typeof body.SAMLResponse === 'string' ? body.SAMLResponse : undefined;
    } catch {
      samlResponse = undefined;
    }
    try {
      const signIn = await consumeSamlResponse(ctx, slug, baseUrl(c, ctx.config), samlResponse);
      const user = await provisionExternalUser(ctx, signIn.org, 'saml', signIn.profile, { defaultRole: signIn.defaultRole });
      return await completeSignIn(c, user, { method: 'saml', orgId: signIn.org.id }, signIn.next);
    } catch (err) {
      if (err instanceof SamlRejectedError || (err instanceof AppError && err.code === 'sso_failed')) {
        return renderOrgSignIn(c, slug, { next: '/', error: err.message, status: statusFor(err.code) });
      }
      throw err;
    }
  });

  app.get('/o/:org/settings/sign-in/saml', requireUser, tenant, (c) => settingsPage(c));

  app.post('/o/:org/settings/sign-in/saml', requireUser, tenant, async (c) => {
    const ctx = c.get('ctx');
    const body = await c.req.parseBody();
    const f: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string') f[k] = v;
    try {
      const file = body.metadataFile;
      if (file instanceof File && file.size > 0) {
        if (file.size > MAX_METADATA_BYTES) throw new AppError('validation_failed', `The metadata file is larger than the limit of ${MAX_METADATA_BYTES / 1024} KB.`);
        f.metadataXml = await file.text();
      }
      await updateSamlSettings(ctx, c.get('actor')!, c.get('org')!, baseUrl(c, ctx.config), validate(ZSamlSettingsInput, formInput(f)));
    } catch (err) {
      if (err instanceof AppError && statusFor(err.code) === 400) return settingsPage(c, { error: err.message, values: { ...f, metadataXml: '' } });
      throw err;
    }
    flash(c, 'SAML settings saved.');
    return c.redirect(`/o/${c.get('org')!.slug}/settings/sign-in/saml`, 303);
  });

  app.get('/api/v1/orgs/:org/sign-in/saml', requireUser, tenant, async (c) => {
    const ctx = c.get('ctx');
    return c.json(await getSamlSettings(ctx, c.get('actor')!, c.get('org')!, baseUrl(c, ctx.config)));
  });

  app.put('/api/v1/orgs/:org/sign-in/saml', requireUser, tenant, async (c) => {
    const ctx = c.get('ctx');
    const input = validate(ZSamlSettingsInput, await readJson(c));
    return c.json(await updateSamlSettings(ctx, c.get('actor')!, c.get('org')!, baseUrl(c, ctx.config), input));
  });

  return app;
}
