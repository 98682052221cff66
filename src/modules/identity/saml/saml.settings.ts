import { z } from 'zod';
import { type Actor, authorize } from '../../../authz';
import type { Org } from '../../../platform/db/schema';
import type { Ctx } from '../../../shared/context';
import { AppError } from '../../../shared/errors';
import { recordAudit } from '../../audit/audit.service';
import { loadProvider, saveProvider } from '../provider.service';
import * as repo from './saml.repository';
import { type CertificateInfo, describeCertificate, isHttpUrl, normalizeCertificates, parseIdpMetadata } from './saml.metadata';

/** An organization's SAML identity provider, as stored in `identity_provider.settings` (nothing secret). */
export interface SamlSettings {
  idpEntityId: string;
  /** Where AuthnRequests go, with the HTTP-Redirect binding. */
  ssoUrl: string;
  /** Trusted signing certificates (PEM); several during a key rollover. */
  certificates: string[];
  /** Folio's entity id towards this IdP; fixed when first saved so a changed host name does not break sign-in. */
  spEntityId: string;
  attributes: { email: string; name: string; groups: string };
  defaultRole: 'viewer' | 'member' | 'admin';
}

/** Attribute names Azure AD (Entra ID) sends; other providers' usual names are tried after these. */
export const DEFAULT_ATTRIBUTES: SamlSettings['attributes'] = {
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  name: 'http://schemas.microsoft.com/identity/claims/displayname',
  groups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
};

/** The addresses an identity provider needs to know about Folio for one organization. */
export interface ServiceProviderInfo {
  entityId: string;
  acsUrl: string;
  metadataUrl: string;
  signInUrl: string;
}

/** Folio's SAML endpoints for an organization, under `base` (the public URL or the request's origin). */
export function serviceProvider(base: string, slug: string, settings?: Pick<SamlSettings, 'spEntityId'> | null): ServiceProviderInfo {
  const root = `${base.replace(/\/$/, '')}/sso/${encodeURIComponent(slug)}`;
  return {
    entityId: settings?.spEntityId || `${root}/saml/metadata`,
    acsUrl: `${root}/saml/acs`,
    metadataUrl: `${root}/saml/metadata`,
    signInUrl: root,
  };
}

export interface PresentedSamlSettings {
  enabled: boolean;
  idpEntityId: string;
  ssoUrl: string;
  certificates: (CertificateInfo & { pem: string })[];
  spEntityId: string;
  attributes: SamlSettings['attributes'];
  defaultRole: SamlSettings['defaultRole'];
  /** True when members may enter the organization only through SAML (owners keep a password way in). */
  ssoOnly: boolean;
  serviceProvider: ServiceProviderInfo;
}

/** The organization's SAML settings for its administrators (defaults when never configured). */
export async function getSamlSettings(ctx: Ctx, actor: Actor, org: Pick<Org, 'id' | 'slug'>, base: string): Promise<PresentedSamlSettings> {
  authorize(actor, 'signin.manage');
  const p = await loadProvider<SamlSettings, Record<string, string>>(ctx, org.id, 'saml');
  const sp = serviceProvider(base, org.slug, p?.settings);
  const s = p?.settings;
  const now = ctx.clock.now();
  return {
    enabled: p?.enabled ?? false,
    idpEntityId: s?.idpEntityId ?? '',
    ssoUrl: s?.ssoUrl ?? '',
    certificates: (s?.certificates ?? []).map((pem) => ({ pem, ...describeCertificate(pem, now) })),
    spEntityId: sp.entityId,
    attributes: { ...DEFAULT_ATTRIBUTES, ...(s?.attributes ?? {}) },
    defaultRole: s?.defaultRole ?? 'member',
    ssoOnly: (await repo.findSsoOnly(ctx.db, org.id)) === 'saml',
    serviceProvider: sp,
  };
}

const optText = (max: number) => z.string().trim().max(max, `At most ${max} characters`).optional();

/**
 * A change to the SAML settings. Fields left out keep their stored value. When metadata is
 * given, the identity provider's entity id, sign-on URL and certificates come from it.
 */
export const ZSamlSettingsInput = z.object({
  enabled: z.boolean().optional(),
  metadataXml: z.string().max(600 * 1024, 'The metadata is larger than the limit of 512 KB.').optional(),
  idpEntityId: optText(1000),
  ssoUrl: optText(2000),
  certificates: z.union([z.string().max(100_000), z.array(z.string().max(20_000)).max(10)]).optional(),
  spEntityId: optText(1000),
  attributes: z
    .object({ email: optText(500), name: optText(500), groups: optText(500) })
    .partial()
    .optional(),
  defaultRole: z.enum(['viewer', 'member', 'admin'], 'The default role is viewer, member or admin').optional(),
  ssoOnly: z.boolean().optional(),
});
export type TSamlSettingsInput = z.infer<typeof ZSamlSettingsInput>;

/**
 * Saves the organization's SAML settings (admins): merges the input over what is stored,
 * checks that an enabled provider is complete, and records "SAML only" in the security
 * policy (`sso_only = 'saml'`), which the session policy enforces.
 */
export async function updateSamlSettings(ctx: Ctx, actor: Actor, org: Pick<Org, 'id' | 'slug'>, base: string, input: TSamlSettingsInput): Promise<PresentedSamlSettings> {
  authorize(actor, 'signin.manage');
  const existing = await loadProvider<SamlSettings, Record<string, string>>(ctx, org.id, 'saml');
  const prev = existing?.settings;
  const next: SamlSettings = {
    idpEntityId: prev?.idpEntityId ?? '',
    ssoUrl: prev?.ssoUrl ?? '',
    certificates: prev?.certificates ?? [],
    spEntityId: prev?.spEntityId || serviceProvider(base, org.slug).entityId,
    attributes: { ...DEFAULT_ATTRIBUTES, ...(prev?.attributes ?? {}) },
    defaultRole: prev?.defaultRole ?? 'member',
  };
  if (input.metadataXml?.trim()) {
    const meta = parseIdpMetadata(input.metadataXml);
    next.idpEntityId = meta.entityId;
    // The CSP (form-action 'self') lets the browser leave Folio by redirect only, so requests use HTTP-Redirect.
    if (!meta.ssoRedirectUrl) throw new AppError('validation_failed', 'The metadata offers no single sign-on URL for the HTTP-Redirect binding, which Folio uses to send sign-in requests.');
    next.ssoUrl = meta.ssoRedirectUrl;
    next.certificates = meta.certificates;
  } else {
    if (input.idpEntityId !== undefined) next.idpEntityId = input.idpEntityId;
    if (input.ssoUrl !== undefined) next.ssoUrl = input.ssoUrl;
    if (input.certificates !== undefined) {
      const raw = Array.isArray(input.certificates) ? input.certificates.join('\n') : input.certificates;
      next.certificates = normalizeCertificates(raw);
    }
  }
  if (input.spEntityId) next.spEntityId = input.spEntityId;
  for (const k of ['email', 'name', 'groups'] as const) {
    const v = input.attributes?.[k];
    if (v !== undefined) next.attributes[k] = v || DEFAULT_ATTRIBUTES[k];
  }
  if (input.defaultRole) next.defaultRole = input.defaultRole;
  const enabled = input.enabled ?? existing?.enabled ?? false;

  if (next.ssoUrl && !isHttpUrl(next.ssoUrl)) throw new AppError('validation_failed', 'The single sign-on URL must be an http or https address.');
  if (enabled) {
    const missing = [
      !next.idpEntityId && 'the identity provider’s entity id',
      !next.ssoUrl && 'its single sign-on URL',
      !next.certificates.length && 'its signing certificate',
    ].filter(Boolean);
    if (missing.length) throw new AppError('validation_failed', `To turn SAML sign-in on, enter ${missing.join(', ')} (or import its metadata).`);
  }
  const currentSsoOnly = await repo.findSsoOnly(ctx.db, org.id);
  const wantSsoOnly = input.ssoOnly ?? currentSsoOnly === 'saml';
  if (wantSsoOnly && !enabled) throw new AppError('validation_failed', '“SAML only” needs SAML sign-in turned on.');

  await saveProvider(ctx, actor, 'saml', { enabled, settings: next, secrets: {} });
  await setSamlOnly(ctx, actor, wantSsoOnly);
  return getSamlSettings(ctx, actor, org, base);
}

/**
 * Turns "members sign in only through SAML" on or off by storing `sso_only = 'saml'` in the
 * organization's security policy. Turning it off clears only a SAML requirement, never one
 * another method set. Audited as a security policy change.
 */
export async function setSamlOnly(ctx: Ctx, actor: Actor, on: boolean): Promise<void> {
  authorize(actor, 'signin.manage');
  const current = await repo.findSsoOnly(ctx.db, actor.orgId);
  const value = on ? 'saml' : current === 'saml' ? null : current;
  if (value === current) return;
  await ctx.db.transaction().execute(async (trx) => {
    await repo.setSsoOnly(trx, actor.orgId, value, ctx.clock.now().toISOString());
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'security.policy_changed', orgId: actor.orgId, actorId: actor.userId, targetType: 'org_security_policy', targetId: actor.orgId, data: { ssoOnly: { from: current, to: value } } });
  });
}
