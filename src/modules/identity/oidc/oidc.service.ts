import { timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import { z } from 'zod';
import { type Actor, authorize } from '../../../authz';
import type { Org, Role, User } from '../../../platform/db/schema';
import type { Ctx } from '../../../shared/context';
import { AppError } from '../../../shared/errors';
import { recordAudit } from '../../audit/audit.service';
import { findOrgBySlugOrId } from '../../orgs/org.repository';
import { startFlow, takeFlow } from '../flows';
import { loadProvider, type ProviderConfig, saveProvider } from '../provider.service';
import { NOT_ALLOWED, provisionExternalUser } from '../provision';

/** An organization's OpenID Connect settings as stored (the client secret is sealed apart). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  tokenAuthMethod: 'client_secret_basic' | 'client_secret_post';
  scopes: string;
  emailClaim: string;
  nameClaim: string;
  groupsClaim: string;
  defaultRole: Exclude<Role, 'owner'>;
  /** Let in people whose provider says `email_verified: false`. */
  allowUnverifiedEmail: boolean;
  /** Accept an `http://` issuer that is not on this machine (tests and labs only). */
  allowInsecureHttp: boolean;
}

export interface OidcSecrets extends Record<string, string | undefined> {
  clientSecret?: string;
}

type OidcProvider = ProviderConfig<OidcSettings, OidcSecrets>;

export const DEFAULT_SCOPES = 'openid email profile';
const FLOW_KIND = 'oidc';
const FLOW_TTL_SECONDS = 600;
const DISCOVERY_TTL_MS = 5 * 60 * 1000;
const DISCOVERY_TIMEOUT_SECONDS = 10;

const claimName = (label: string, fallback: string) =>
  z
    .string()
    .trim()
    .max(200)
    .regex(/^\S*$/, `${label} is one claim name without spaces`)
    .optional()
    .transform((v) => v || fallback);

const bool = z.union([z.boolean(), z.literal('on'), z.literal('true'), z.literal('false'), z.literal('')]).optional().transform((v) => v === true || v === 'on' || v === 'true');

/** The settings form and the API body: everything but the secret is stored as given. */
export const ZOidcInput = z
  .object({
    enabled: bool,
    issuer: z.string().trim().max(500).default(''),
    clientId: z.string().trim().max(500).default(''),
    clientSecret: z.string().max(4000).optional(),
    tokenAuthMethod: z.enum(['client_secret_basic', 'client_secret_post'], { message: 'Choose client_secret_basic or client_secret_post' }).default('client_secret_basic'),
    scopes: z.string().trim().max(500).optional().transform((v) => (v || DEFAULT_SCOPES).split(/\s+/).filter(Boolean).join(' ')),
    emailClaim: claimName('The email claim', 'email'),
    nameClaim: claimName('The name claim', 'name'),
    groupsClaim: claimName('The groups claim', 'groups'),
    defaultRole: z.enum(['viewer', 'member', 'admin'], { message: 'The default role is viewer, member or admin' }).default('member'),
    allowUnverifiedEmail: bool,
    allowInsecureHttp: bool,
  })
  .superRefine((v, ctx) => {
    if (v.issuer || v.enabled) {
      const problem = issuerProblem(v.issuer, v.allowInsecureHttp);
      if (problem) ctx.addIssue({ code: 'custom', path: ['issuer'], message: problem });
    }
    if (v.enabled && !v.clientId) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'Enter the client id the provider gave Folio' });
    if (!v.scopes.split(' ').includes('openid')) ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'The scopes must include openid' });
  });
export type TOidcInput = z.input<typeof ZOidcInput>;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Why an issuer URL cannot be used, or undefined when it can. Plain http sends the client
 * secret and the tokens unencrypted, so it is accepted only for a provider on this machine
 * (loopback) or when the administrator explicitly allows it for a test or lab setup.
 */
export function issuerProblem(issuer: string, allowInsecureHttp: boolean): string | undefined {
  if (!issuer) return 'Enter the issuer URL, e.g. https://keycloak.example/realms/corp';
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'The issuer is not a URL; enter it like https://keycloak.example/realms/corp';
  }
  if (url.username || url.password) return 'The issuer URL must not contain a user name or password';
  if (url.search || url.hash) return 'The issuer URL has no query or fragment (copy it from the provider\'s "issuer" value)';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return 'The issuer URL starts with https://';
  if (LOOPBACK.test(url.hostname) || allowInsecureHttp) return undefined;
  return 'The issuer URL must use https://. Plain http is accepted only for a provider on this machine, or with "Allow insecure HTTP" for tests and labs.';
}

/** What the settings page and the API show (never the client secret). */
export interface PresentedOidc extends OidcSettings {
  enabled: boolean;
  configured: boolean;
  hasClientSecret: boolean;
  redirectUri: string;
}

export function defaults(): OidcSettings {
  return {
    issuer: '',
    clientId: '',
    tokenAuthMethod: 'client_secret_basic',
    scopes: DEFAULT_SCOPES,
    emailClaim: 'email',
    nameClaim: 'name',
    groupsClaim: 'groups',
    defaultRole: 'member',
    allowUnverifiedEmail: false,
    allowInsecureHttp: false,
  };
}

/** The address the provider sends people back to; administrators register it at the provider. */
export function redirectUriFor(origin: string, slug: string): string {
  return `${origin.replace(/\/$/, '')}/sso/${slug}/oidc/callback`;
}

/** The organization's OpenID Connect settings (administrators). */
export async function getOidcSettings(ctx: Ctx, actor: Actor, org: Pick<Org, 'slug'>, origin: string): Promise<PresentedOidc> {
  authorize(actor, 'signin.manage');
  const p = await loadProvider<OidcSettings, OidcSecrets>(ctx, actor.orgId, 'oidc');
  return {
    ...defaults(),
    ...p?.settings,
    enabled: p?.enabled ?? false,
    configured: !!p,
    hasClientSecret: !!p?.secrets.clientSecret,
    redirectUri: redirectUriFor(origin, org.slug),
  };
}

/**
 * Saves the settings. An empty client secret keeps the stored one; turning sign-in on needs
 * an issuer, a client id and a secret. The organization's cached discovery is dropped.
 */
export async function saveOidcSettings(ctx: Ctx, actor: Actor, input: z.output<typeof ZOidcInput>): Promise<void> {
  authorize(actor, 'signin.manage');
  const existing = await loadProvider<OidcSettings, OidcSecrets>(ctx, actor.orgId, 'oidc');
  const secret = input.clientSecret?.trim();
  if (input.enabled && !secret && !existing?.secrets.clientSecret) {
    throw new AppError('validation_failed', 'clientSecret: Enter the client secret the provider gave Folio', { details: [{ field: 'clientSecret', message: 'Enter the client secret the provider gave Folio' }] });
  }
  const { enabled, clientSecret: _omit, ...settings } = input;
  await saveProvider<OidcSettings, OidcSecrets>(ctx, actor, 'oidc', { enabled, settings, secrets: { clientSecret: secret || undefined } });
  discoveryCache.delete(actor.orgId);
}

// ---- discovery ----

/** What "check issuer" reports. */
export interface IssuerCheck {
  ok: boolean;
  message: string;
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  userinfoEndpoint?: string;
  jwksUri?: string;
  scopesSupported?: string[];
}

const discoveryCache = new Map<string, { key: string; at: number; config: client.Configuration }>();

function insecure(issuer: string) {
  return new URL(issuer).protocol === 'http:';
}

async function discover(issuer: string, clientId: string, secret: string, method: OidcSettings['tokenAuthMethod']): Promise<client.Configuration> {
  const auth = method === 'client_secret_post' ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret);
  return client.discovery(new URL(issuer), clientId, { client_secret: secret }, auth, {
    timeout: DISCOVERY_TIMEOUT_SECONDS,
    // openid-client trusts TLS for ID tokens from the token endpoint and skips their signature
    // unless asked; Folio always verifies it against the provider's published keys (JWKS).
    // http issuers are refused by openid-client unless allowed; the settings allow them only
    // for loopback or by explicit choice.
    execute: [client.enableNonRepudiationChecks, ...(insecure(issuer) ? [client.allowInsecureRequests] : [])],
  });
}

/** The client configuration for an organization, discovered once and reused for a few minutes. */
async function clientConfig(ctx: Ctx, p: OidcProvider): Promise<client.Configuration> {
  const s = p.settings;
  const key = JSON.stringify([s.issuer, s.clientId, s.tokenAuthMethod, s.allowInsecureHttp, p.secrets.clientSecret]);
  const now = ctx.clock.now().getTime();
  const hit = discoveryCache.get(p.orgId);
  if (hit && hit.key === key && now - hit.at < DISCOVERY_TTL_MS && now >= hit.at) return hit.config;
  const config = await discover(s.issuer, s.clientId, p.secrets.clientSecret ?? '', s.tokenAuthMethod);
  if (discoveryCache.size > 1000) discoveryCache.clear();
  discoveryCache.set(p.orgId, { key, at: now, config });
  return config;
}

/** An explanation of a failed discovery an administrator can act on. */
export function describeDiscoveryError(err: unknown, issuer: string): string {
  const e = err as { code?: string; message?: string; cause?: unknown; name?: string };
  const where = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `The provider did not answer within ${DISCOVERY_TIMEOUT_SECONDS} seconds at ${where}.`;
  if (e instanceof TypeError && e.message === 'fetch failed') {
    const cause = e.cause as { code?: string; message?: string } | undefined;
    const code = cause?.code ?? '';
    if (code === 'ECONNREFUSED') return `Nothing is listening at ${new URL(issuer).host} (connection refused).`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `The host ${new URL(issuer).hostname} was not found.`;
    if (/CERT|SSL|TLS/i.test(code)) return `The TLS connection to ${new URL(issuer).host} failed (${code}): check the certificate, or that the server speaks https.`;
    return `Could not connect to ${new URL(issuer).host}${code ? ` (${code})` : ''}.`;
  }
  switch ((err as { code?: string })?.code) {
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED': {
      const said = (e.cause as { body?: { issuer?: unknown } } | undefined)?.body?.issuer;
      return `The provider calls itself ${typeof said === 'string' ? `"${said.slice(0, 300)}"` : 'by another name'}, not "${issuer}". Enter the issuer exactly as the discovery document states it.`;
    }
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM': {
      const status = (e.cause as { status?: number } | undefined)?.status;
      return `The provider answered ${status ? `HTTP ${status}` : 'with an error'} at ${where}: check the issuer URL.`;
    }
    case 'OAUTH_RESPONSE_IS_NOT_JSON':
    case 'OAUTH_PARSE_ERROR':
      return `${where} did not return a JSON discovery document: check the issuer URL.`;
    case 'OAUTH_HTTP_REQUEST_FORBIDDEN':
      return 'The provider sent an http:// address; only https is allowed for this issuer.';
    default:
      return `The discovery document at ${where} is not usable: ${String(e?.message ?? err).slice(0, 300)}`;
  }
}

/**
 * Runs discovery against an issuer (the given one, else the stored one) and reports its
 * endpoints or what went wrong. Nothing is saved.
 */
export async function checkIssuer(ctx: Ctx, actor: Actor, draft?: { issuer?: string; allowInsecureHttp?: boolean }): Promise<IssuerCheck> {
  authorize(actor, 'signin.manage');
  const stored = await loadProvider<OidcSettings, OidcSecrets>(ctx, actor.orgId, 'oidc');
  const issuer = (draft?.issuer ?? stored?.settings.issuer ?? '').trim();
  const allow = draft?.allowInsecureHttp ?? stored?.settings.allowInsecureHttp ?? false;
  const problem = issuerProblem(issuer, allow);
  if (problem) return { ok: false, message: problem };
  try {
    const config = await discover(issuer, stored?.settings.clientId || 'folio', stored?.secrets.clientSecret ?? '', 'client_secret_basic');
    const m = config.serverMetadata();
    const missing = [!m.authorization_endpoint && 'authorization_endpoint', !m.token_endpoint && 'token_endpoint', !m.jwks_uri && 'jwks_uri'].filter(Boolean);
    return {
      ok: missing.length === 0,
      message: missing.length ? `The discovery document lacks ${missing.join(', ')}; Folio cannot sign in with this provider.` : 'Discovery succeeded.',
      issuer: m.issuer,
      authorizationEndpoint: m.authorization_endpoint,
      tokenEndpoint: m.token_endpoint,
      userinfoEndpoint: m.userinfo_endpoint,
      jwksUri: m.jwks_uri,
      scopesSupported: m.scopes_supported,
    };
  } catch (err) {
    return { ok: false, message: describeDiscoveryError(err, issuer) };
  }
}

// ---- sign-in ----

/** Data kept server-side between the redirect to the provider and the callback (keyed by state). */
interface FlowData {
  verifier: string;
  nonce: string;
  next: string;
  redirectUri: string;
}

const MSG = {
  notEnabled: 'Single sign-on with OpenID Connect is not set up for this organization.',
  unreachable: "The organization's identity provider cannot be reached right now. Try again later, or contact your administrator.",
  state: 'This sign-in has expired or was already used. Start again.',
  browser: 'This sign-in was started in another browser or tab. Start again from this one.',
  cancelled: 'Sign-in was cancelled at the identity provider.',
  refused: 'The identity provider did not complete the sign-in. Try again, or contact your administrator.',
  invalid: "The identity provider's answer could not be verified. Try again, or contact your administrator.",
  noEmail: 'The identity provider did not send an email address for you. Contact your administrator.',
  unverified: 'Your identity provider has not verified your email address. Verify it there, or contact your administrator.',
};

/** Records a failed OIDC sign-in with its reason, then throws the error the person sees. */
async function fail(ctx: Ctx, orgId: string, reason: string, message: string, code: 'sso_failed' | 'bad_request' = 'sso_failed', extra: Record<string, unknown> = {}): Promise<never> {
  await recordAudit(ctx.db, ctx.clock, ctx.meta, { action: 'auth.login_failed', orgId, actorId: null, data: { method: 'oidc', reason, ...extra } });
  throw new AppError(code, message, { details: { reason } });
}

async function enabledProvider(ctx: Ctx, slug: string): Promise<{ org: Org; provider: OidcProvider }> {
  const org = /^[a-z0-9-]{1,60}$/.test(slug) ? await findOrgBySlugOrId(ctx.db, slug) : undefined;
  if (!org) throw new AppError('not_found', 'Organization not found');
  const provider = await loadProvider<OidcSettings, OidcSecrets>(ctx, org.id, 'oidc');
  if (!provider?.enabled) return fail(ctx, org.id, 'not_enabled', MSG.notEnabled, 'bad_request');
  return { org, provider };
}

async function configOrFail(ctx: Ctx, org: Org, p: OidcProvider): Promise<client.Configuration> {
  try {
    return await clientConfig(ctx, p);
  } catch (err) {
    ctx.log.warn({ orgId: org.id, issuer: p.settings.issuer, problem: describeDiscoveryError(err, p.settings.issuer) }, 'OpenID Connect discovery failed');
    return fail(ctx, org.id, 'issuer_unreachable', MSG.unreachable);
  }
}

/**
 * Starts an authorization code flow with PKCE (S256): random state and nonce kept
 * server-side under the state for ten minutes. Returns the provider's authorization URL and
 * the state, which the caller also binds to the browser with a cookie.
 */
export async function startOidcLogin(ctx: Ctx, slug: string, origin: string, next: string): Promise<{ url: string; state: string; org: Org }> {
  const { org, provider } = await enabledProvider(ctx, slug);
  const config = await configOrFail(ctx, org, provider);
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const redirectUri = redirectUriFor(origin, org.slug);
  await startFlow<FlowData>(ctx, FLOW_KIND, org.id, { verifier, nonce, next, redirectUri }, FLOW_TTL_SECONDS, state);
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: provider.settings.scopes || DEFAULT_SCOPES,
    response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url: url.href, state, org };
}

function sameString(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const SAFE_CODE = /^[\w.-]{1,64}$/;

/** A claim's groups as strings: a list, or one string; anything else means "no groups sent". */
export function groupsFrom(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.trim() ? [value.trim().slice(0, 500)] : [];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && !!g.trim()).map((g) => g.trim().slice(0, 500)).slice(0, 1000);
  return undefined;
}

/** Whether the provider says outright that the email is not verified (`false` or "false"). */
export function emailUnverified(claims: Record<string, unknown>): boolean {
  return claims.email_verified === false || claims.email_verified === 'false';
}

/** Merges ID token claims over userinfo claims: the signed ID token wins where both speak. */
export function profileFrom(claims: Record<string, unknown>, s: Pick<OidcSettings, 'emailClaim' | 'nameClaim' | 'groupsClaim'>) {
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : undefined);
  return { email: str(claims[s.emailClaim]), name: str(claims[s.nameClaim]), groups: groupsFrom(claims[s.groupsClaim]) };
}

function describeTokenError(err: unknown): { reason: string; code: string } {
  if (err instanceof client.ResponseBodyError) return { reason: 'token_request_refused', code: String(err.error).slice(0, 64) };
  if (err instanceof TypeError && err.message === 'fetch failed') return { reason: 'issuer_unreachable', code: 'fetch_failed' };
  const e = err as { code?: string; name?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { reason: 'issuer_unreachable', code: 'timeout' };
  return { reason: 'id_token_rejected', code: String(e?.code ?? e?.name ?? 'unknown').slice(0, 64) };
}

/**
 * Completes the flow at the callback: the state must be known, unused, unexpired, of this
 * organization and match the browser's cookie; the code is exchanged with the PKCE verifier
 * and the ID token's signature, issuer, audience, times and nonce are verified by
 * openid-client. Claims missing from the ID token come from userinfo. Returns the person,
 * provisioned just in time, and where to send them.
 */
export async function finishOidcLogin(ctx: Ctx, slug: string, query: URLSearchParams, cookieState: string | undefined): Promise<{ user: User; org: Org; next: string }> {
  const { org, provider } = await enabledProvider(ctx, slug);
  const state = query.get('state') ?? '';
  const flow = state ? await takeFlow<FlowData>(ctx, FLOW_KIND, state) : undefined;
  const providerError = query.get('error');
  if (providerError) {
    const code = SAFE_CODE.test(providerError) ? providerError : 'invalid_error_code';
    return fail(ctx, org.id, 'provider_error', code === 'access_denied' ? MSG.cancelled : MSG.refused, 'sso_failed', { error: code });
  }
  if (!flow || flow.orgId !== org.id) return fail(ctx, org.id, state ? 'state_unknown_or_used' : 'state_missing', MSG.state, 'bad_request');
  if (!cookieState || !sameString(cookieState, state)) return fail(ctx, org.id, 'state_cookie_mismatch', MSG.browser, 'bad_request');

  const config = await configOrFail(ctx, org, provider);
  const currentUrl = new URL(flow.data.redirectUri);
  currentUrl.search = query.toString();
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: flow.data.verifier,
      expectedNonce: flow.data.nonce,
      expectedState: state,
      idTokenExpected: true,
    });
  } catch (err) {
    const { reason, code } = describeTokenError(err);
    ctx.log.warn({ orgId: org.id, reason, code, err: (err as Error)?.message }, 'OpenID Connect code exchange failed');
    return fail(ctx, org.id, reason, reason === 'issuer_unreachable' ? MSG.unreachable : MSG.invalid, 'sso_failed', { error: code });
  }
  const idClaims = tokens.claims() as Record<string, unknown>;
  const sub = String(idClaims.sub);
  let claims = idClaims;
  const s = provider.settings;
  const wanted = [s.emailClaim, s.nameClaim, s.groupsClaim, 'email_verified'];
  if (wanted.some((k) => idClaims[k] === undefined) && config.serverMetadata().userinfo_endpoint && tokens.access_token) {
    try {
      const info = (await client.fetchUserInfo(config, tokens.access_token, sub)) as Record<string, unknown>;
      claims = { ...info, ...idClaims };
    } catch (err) {
      ctx.log.warn({ orgId: org.id, err: (err as Error)?.message }, 'OpenID Connect userinfo failed');
    }
  }
  const profile = profileFrom(claims, s);
  if (!profile.email) return fail(ctx, org.id, 'no_email', MSG.noEmail, 'sso_failed', { subject: sub.slice(0, 200) });
  if (emailUnverified(claims) && !s.allowUnverifiedEmail) return fail(ctx, org.id, 'email_unverified', MSG.unverified, 'sso_failed', { subject: sub.slice(0, 200) });
  try {
    const user = await provisionExternalUser(ctx, org, 'oidc', { subject: sub, email: profile.email, name: profile.name, groups: profile.groups }, { defaultRole: s.defaultRole });
    return { user, org, next: flow.data.next };
  } catch (err) {
    // Refusals with NOT_ALLOWED are audited by provisioning itself; the rest (an unusable email) here.
    if (err instanceof AppError && err.code === 'sso_failed' && err.message !== NOT_ALLOWED) return fail(ctx, org.id, 'profile_unusable', err.message, 'sso_failed', { subject: sub.slice(0, 200) });
    throw err;
  }
}
