import { X509Certificate } from 'node:crypto';
import { type CacheProvider, type Profile, SAML, SamlStatusError, ValidateInResponseTo } from '@node-saml/node-saml';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Org } from '../../../platform/db/schema';
import type { Ctx } from '../../../shared/context';
import { AppError, notFound } from '../../../shared/errors';
import { newSecret, sha256Hex } from '../../../shared/ids';
import { recordAudit } from '../../audit/audit.service';
import { findOrgBySlugOrId } from '../../orgs/org.repository';
import { startFlow, takeFlow } from '../flows';
import type { ExternalProfile } from '../provision';
import { loadProvider } from '../provider.service';
import * as repo from './saml.repository';
import { SAFE_XML } from './saml.metadata';
import { DEFAULT_ATTRIBUTES, type SamlSettings, serviceProvider } from './saml.settings';

/** How long an AuthnRequest waits for its response. */
export const REQUEST_TTL_SECONDS = 10 * 60;
/** How far the identity provider's clock may be off from ours. */
export const CLOCK_SKEW_MS = 60_000;
/** Larger SAMLResponse fields are refused unread (a response with many groups is tens of kilobytes). */
export const MAX_RESPONSE_BASE64 = 400 * 1024;

const FLOW = 'saml';

/** Why a SAML response was refused; recorded as `reason` of `auth.login_failed`. */
export type SamlRejection =
  | 'unsigned'
  | 'bad_signature'
  | 'tampered'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'wrong_recipient'
  | 'wrong_issuer'
  | 'replayed'
  | 'unknown_request'
  | 'wrapping'
  | 'malformed'
  | 'idp_refused';

const MESSAGES: Record<SamlRejection, string> = {
  unsigned: 'Single sign-on failed: the identity provider’s response is not signed. Ask your administrator to have the identity provider sign its assertions.',
  bad_signature: 'Single sign-on failed: Folio could not verify the identity provider’s signature. Ask your administrator to check the signing certificate.',
  tampered: 'Single sign-on failed: the identity provider’s response was changed after it was signed.',
  expired: 'Single sign-on failed: the identity provider’s response has expired. Sign in again; if this keeps happening, check the clocks of Folio and the identity provider.',
  not_yet_valid: 'Single sign-on failed: the identity provider’s response is not valid yet. Check the clocks of Folio and the identity provider.',
  wrong_audience: 'Single sign-on failed: the response was issued for a different service. Ask your administrator to check the identifier (entity id) configured at the identity provider.',
  wrong_recipient: 'Single sign-on failed: the response was addressed to a different URL. Ask your administrator to check the reply (ACS) URL configured at the identity provider.',
  wrong_issuer: 'Single sign-on failed: the response came from an identity provider this organization does not use.',
  replayed: 'Single sign-on failed: this sign-in response was already used. Start again from the sign-in page.',
  unknown_request: 'Single sign-on failed: Folio did not ask for this sign-in, or the request has expired. Start again from the sign-in page.',
  wrapping: 'Single sign-on failed: the identity provider’s response has an unexpected structure and was refused.',
  malformed: 'Single sign-on failed: the identity provider’s response could not be read.',
  idp_refused: 'The identity provider did not sign you in. Try again, or contact your administrator.',
};

const IDP_INITIATED = 'Single sign-on must start at Folio: open this organization’s sign-in page and choose single sign-on.';

/** A refused SAML response: shown to the person with `message` only, audited with `reason`. */
export class SamlRejectedError extends AppError {
  constructor(
    readonly reason: SamlRejection,
    message = MESSAGES[reason],
  ) {
    super(reason === 'malformed' ? 'bad_request' : 'sso_failed', message, { details: { reason } });
  }
}

interface SamlFlow {
  next: string;
}

type Provider = { org: Org; settings: SamlSettings };

/** The organization named in a public `/sso/:org/...` URL; an unknown or odd slug is not found. */
async function orgBySlug(ctx: Ctx, slug: string): Promise<Org> {
  const org = /^[a-z0-9-]{1,60}$/.test(slug) ? await findOrgBySlugOrId(ctx.db, slug) : undefined;
  if (!org) throw notFound('Organization');
  return org;
}

async function enabledProvider(ctx: Ctx, slug: string): Promise<Provider> {
  const org = await orgBySlug(ctx, slug);
  const p = await loadProvider<SamlSettings, Record<string, string>>(ctx, org.id, 'saml');
  if (!p?.enabled || !p.settings.certificates?.length || !p.settings.ssoUrl) throw new AppError('not_found', 'This organization has not turned on SAML sign-in.');
  return { org, settings: p.settings };
}

/** node-saml configured for one organization: signed assertions only, SHA-256, our audience and ACS. */
function samlFor(settings: SamlSettings | null, sp: { entityId: string; acsUrl: string }, extra: { requestId?: string; cache?: CacheProvider } = {}) {
  return new SAML({
    entryPoint: settings?.ssoUrl || undefined,
    issuer: sp.entityId,
    audience: sp.entityId,
    callbackUrl: sp.acsUrl,
    idpCert: settings?.certificates?.length ? settings.certificates : 'none',
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    signatureAlgorithm: 'sha256',
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: REQUEST_TTL_SECONDS * 1000,
    cacheProvider: extra.cache ?? nullCache,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    ...(extra.requestId ? { generateUniqueId: () => extra.requestId! } : {}),
  });
}

/** Folio keeps request ids in `auth_flow`; node-saml's own cache is not used for storage. */
const nullCache: CacheProvider = {
  saveAsync: async () => null,
  getAsync: async () => null,
  removeAsync: async () => null,
};

/** Folio's SAML service provider metadata for the organization, for the identity provider to import. */
export async function serviceProviderMetadata(ctx: Ctx, slug: string, base: string): Promise<string> {
  const org = await orgBySlug(ctx, slug);
  const p = await loadProvider<SamlSettings, Record<string, string>>(ctx, org.id, 'saml');
  const sp = serviceProvider(base, org.slug, p?.settings);
  return samlFor(p?.settings ?? null, sp).generateServiceProviderMetadata(null, null);
}

/**
 * Starts an SP-initiated sign-in and returns the identity provider URL carrying it
 * (HTTP-Redirect binding): a fresh AuthnRequest whose ID is the handle of a
 * short-lived, single-use flow holding where to go afterwards, so only responses to a
 * request Folio made (InResponseTo) are accepted.
 */
export async function startSamlLogin(ctx: Ctx, slug: string, base: string, next: string): Promise<string> {
  const { org, settings } = await enabledProvider(ctx, slug);
  const sp = serviceProvider(base, org.slug, settings);
  // An xsd:ID must not start with a digit or '-'; base64url of 32 bytes after '_' is one.
  const requestId = `_${newSecret(32)}`;
  await startFlow<SamlFlow>(ctx, FLOW, org.id, { next: next === '/' ? `/o/${org.slug}` : next }, REQUEST_TTL_SECONDS, requestId);
  const saml = samlFor(settings, sp, { requestId });
  return saml.getAuthorizeUrlAsync('', undefined, {});
}

// ---- Reading responses

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ...SAFE_XML,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

function parse(xml: string): Node {
  if (XMLValidator.validate(xml) !== true) throw new Error('not well-formed');
  return parser.parse(xml) as Node;
}

function children(n: Node | undefined, name: string): Node[] {
  const v = n?.[name];
  return Array.isArray(v) ? v.filter((x): x is Node => typeof x === 'object' && x !== null) : [];
}

/** Text of the child elements named `name` (leaf elements parse as strings, others as objects). */
function texts(n: Node | undefined, name: string): string[] {
  const v = n?.[name];
  return Array.isArray(v) ? v.map(textOf) : [];
}

function attr(n: Node | undefined, name: string): string | null {
  const v = n?.[`@_${name}`];
  return typeof v === 'string' ? v : null;
}

function textOf(n: unknown): string {
  if (typeof n === 'string') return n;
  if (n && typeof n === 'object' && '#text' in n) return String((n as Node)['#text']);
  return '';
}

/** Counts elements by local name and collects every ID attribute, anywhere in the document. */
function census(n: unknown, out = { names: new Map<string, number>(), ids: [] as string[] }) {
  if (Array.isArray(n)) {
    for (const x of n) census(x, out);
  } else if (n && typeof n === 'object') {
    for (const [k, v] of Object.entries(n as Node)) {
      if (k === '@_ID' && typeof v === 'string') out.ids.push(v);
      if (k.startsWith('@_') || k === '#text') continue;
      out.names.set(k, (out.names.get(k) ?? 0) + (Array.isArray(v) ? v.length : 1));
      census(v, out);
    }
  }
  return out;
}

/** What can be read from a response before its signature is checked (used to refuse, never to accept). */
interface Outline {
  inResponseTo: string | null;
  destination: string | null;
  assertionId: string | null;
  assertionSigned: boolean;
  responseSigned: boolean;
  signatureCerts: string[];
  subjectNotBefore: string | null;
}

function outline(xml: string): Outline {
  let doc: Node;
  try {
    doc = parse(xml);
  } catch {
    throw new SamlRejectedError('malformed');
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?'));
  if (roots.length !== 1 || roots[0] !== 'Response') throw new SamlRejectedError('malformed');
  const response = children(doc, 'Response')[0];
  const { names, ids } = census(response);
  if ((names.get('EncryptedAssertion') ?? 0) > 0) {
    throw new SamlRejectedError('malformed', 'Single sign-on failed: the identity provider encrypted the assertion, which Folio does not support. Ask your administrator to turn assertion encryption off (the connection is already protected by HTTPS).');
  }
  const assertions = children(response, 'Assertion');
  // Exactly one assertion in the whole document, directly under Response, and no ID used twice:
  // anything else is how XML signature wrapping hides a forged assertion beside a signed one.
  if ((names.get('Assertion') ?? 0) > 1 || new Set(ids).size !== ids.length) throw new SamlRejectedError('wrapping');
  if ((names.get('Assertion') ?? 0) === 1 && assertions.length !== 1) throw new SamlRejectedError('wrapping');
  const assertion = assertions[0];
  const sig = children(assertion, 'Signature')[0];
  const certs = texts(children(children(sig, 'KeyInfo')[0], 'X509Data')[0], 'X509Certificate').map((c) => c.replace(/\s+/g, ''));
  const confirm = children(children(children(assertion, 'Subject')[0], 'SubjectConfirmation')[0], 'SubjectConfirmationData')[0];
  return {
    inResponseTo: attr(response, 'InResponseTo'),
    destination: attr(response, 'Destination'),
    assertionId: attr(assertion, 'ID'),
    assertionSigned: !!sig,
    responseSigned: children(response, 'Signature').length > 0,
    signatureCerts: certs,
    subjectNotBefore: attr(confirm, 'NotBefore'),
  };
}

/** Maps node-saml's refusal to a reason; the signature cases are told apart by the certificate the signer named. */
function classify(err: unknown, o: Outline, trusted: string[]): SamlRejection {
  if (err instanceof SamlRejectedError) return err.reason;
  if (err instanceof SamlStatusError) return 'idp_refused';
  const m = err instanceof Error ? err.message : String(err);
  if (/multiple assertions|ID cannot refer|Referenced node does not refer|Too many signatures|too many transforms|Only 1 signed reference|quote character/i.test(m)) return 'wrapping';
  if (/^Invalid (document )?signature$|Cannot obtain assertion/i.test(m)) {
    if (!o.assertionSigned) return 'unsigned';
    const trustedRaw = new Set(trusted.map((p) => new X509Certificate(p).raw.toString('base64')));
    return o.signatureCerts.some((c) => trustedRaw.has(c)) ? 'tampered' : 'bad_signature';
  }
  if (/not yet valid/i.test(m)) return 'not_yet_valid';
  if (/expired/i.test(m)) return 'expired';
  if (/No valid subject confirmation/i.test(m)) return o.subjectNotBefore && Date.parse(o.subjectNotBefore) > Date.now() + CLOCK_SKEW_MS ? 'not_yet_valid' : 'expired';
  if (/audience/i.test(m)) return 'wrong_audience';
  if (/InResponseTo/i.test(m)) return 'unknown_request';
  return 'malformed';
}

/** A profile attribute as a list of strings (single values and repeated values alike). */
function values(profile: Profile, name: string): string[] {
  const attrs = (profile.attributes ?? {}) as Record<string, unknown>;
  const v = attrs[name];
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.filter((x): x is string => typeof x === 'string').map((x) => x.trim()).filter(Boolean);
}

function first(profile: Profile, names: string[]): string | undefined {
  for (const n of names) {
    const v = values(profile, n)[0];
    if (v) return v;
  }
  return undefined;
}

const EMAIL_NAMES = ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'email', 'mail', 'emailAddress', 'Email', 'urn:oid:0.9.2342.19200300.100.1.3'];
const NAME_NAMES = ['http://schemas.microsoft.com/identity/claims/displayname', 'displayName', 'name', 'cn', 'urn:oid:2.16.840.1.113730.3.1.241', 'urn:oid:2.5.4.3'];
const GIVEN_NAMES = ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', 'givenName', 'firstName', 'urn:oid:2.5.4.42'];
const SURNAMES = ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', 'sn', 'surname', 'lastName', 'urn:oid:2.5.4.4'];
const GROUP_NAMES = ['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups', 'groups', 'memberOf', 'member', 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1'];

/** The person a verified assertion describes, read through the organization's attribute mapping. */
export function profileFromAssertion(profile: Profile, mapping: SamlSettings['attributes']): ExternalProfile {
  const subject = (profile.nameID ?? '').trim();
  const email = first(profile, [mapping.email, ...EMAIL_NAMES]) ?? (/^[^\s@]+@[^\s@]+$/.test(subject) ? subject : '');
  const given = first(profile, GIVEN_NAMES);
  const sur = first(profile, SURNAMES);
  const name = first(profile, [mapping.name, ...NAME_NAMES]) ?? ([given, sur].filter(Boolean).join(' ') || first(profile, ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name']));
  const groupNames = [mapping.groups || DEFAULT_ATTRIBUTES.groups, ...GROUP_NAMES];
  const hasGroups = groupNames.some((n) => n in ((profile.attributes ?? {}) as object));
  const groups = hasGroups ? [...new Set(groupNames.flatMap((n) => values(profile, n)))].slice(0, 1000) : undefined;
  return { subject, email, name, groups };
}

/** What the signed assertion itself says about where it may be used. */
function checkAssertion(profile: Profile, settings: SamlSettings, acsUrl: string): { assertionId: string; expiresAt: number } {
  const xml = profile.getAssertionXml?.() ?? '';
  let assertion: Node | undefined;
  try {
    assertion = children(parse(xml), 'Assertion')[0];
  } catch {
    throw new SamlRejectedError('malformed');
  }
  if (!assertion) throw new SamlRejectedError('malformed');
  const issuer = (texts(assertion, 'Issuer')[0] ?? '').trim();
  if (settings.idpEntityId && issuer !== settings.idpEntityId) throw new SamlRejectedError('wrong_issuer');
  const confirmations = children(children(assertion, 'Subject')[0], 'SubjectConfirmation')
    .filter((c) => attr(c, 'Method') === 'urn:oasis:names:tc:SAML:2.0:cm:bearer')
    .flatMap((c) => children(c, 'SubjectConfirmationData'));
  if (!confirmations.length || confirmations.some((d) => attr(d, 'Recipient') !== acsUrl)) throw new SamlRejectedError('wrong_recipient');
  const assertionId = attr(assertion, 'ID');
  if (!assertionId) throw new SamlRejectedError('malformed');
  const ends = [attr(children(assertion, 'Conditions')[0], 'NotOnOrAfter'), ...confirmations.map((d) => attr(d, 'NotOnOrAfter'))]
    .map((v) => (v ? Date.parse(v) : NaN))
    .filter((v) => Number.isFinite(v));
  return { assertionId, expiresAt: (ends.length ? Math.max(...ends) : Date.now() + 60 * 60_000) + CLOCK_SKEW_MS };
}

async function reject(ctx: Ctx, orgId: string, err: SamlRejectedError, detail?: string): Promise<never> {
  await recordAudit(ctx.db, ctx.clock, ctx.meta, { action: 'auth.login_failed', orgId, actorId: null, data: { method: 'saml', reason: err.reason } });
  ctx.log.info({ orgId, reason: err.reason, detail }, 'SAML response refused');
  throw err;
}

/** A verified SAML sign-in: who the identity provider vouched for, and where to go next. */
export interface SamlSignIn {
  org: Org;
  profile: ExternalProfile;
  defaultRole: SamlSettings['defaultRole'];
  next: string;
}

function decodeResponse(field: string | undefined): string {
  const b64 = (field ?? '').replace(/\s+/g, '');
  if (!b64 || b64.length > MAX_RESPONSE_BASE64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new SamlRejectedError('malformed');
  const xml = Buffer.from(b64, 'base64').toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new SamlRejectedError('malformed');
  return xml;
}

/**
 * Checks a SAML response posted to the organization's assertion consumer service: it must
 * answer a live request of ours (IdP-initiated responses are refused), be addressed to our
 * ACS, carry exactly one assertion signed by a trusted certificate for our audience, be
 * within its validity window and never have been used before. Every refusal is audited
 * with its reason and thrown as `SamlRejectedError`.
 */
export async function consumeSamlResponse(ctx: Ctx, slug: string, base: string, samlResponse: string | undefined): Promise<SamlSignIn> {
  const { org, settings } = await enabledProvider(ctx, slug);
  const sp = serviceProvider(base, org.slug, settings);
  let o: Outline | undefined;
  try {
    const xml = decodeResponse(samlResponse);
    o = outline(xml);
    const now = ctx.clock.now().toISOString();
    if (o.assertionId && (await repo.wasAssertionSeen(ctx.db, seenKey(org.id, o.assertionId), now))) throw new SamlRejectedError('replayed');
    if (!o.inResponseTo) throw new SamlRejectedError('unknown_request', IDP_INITIATED);
    const flow = await takeFlow<SamlFlow>(ctx, FLOW, o.inResponseTo);
    if (!flow || flow.orgId !== org.id) throw new SamlRejectedError('unknown_request');
    if (o.destination && o.destination !== sp.acsUrl) throw new SamlRejectedError('wrong_recipient');
    const requestId = o.inResponseTo;
    // The flow was just taken (single use); node-saml only needs to hear that this one id is ours.
    const cache: CacheProvider = {
      saveAsync: async () => null,
      getAsync: async (key) => (key === requestId ? new Date().toISOString() : null),
      removeAsync: async () => null,
    };
    const { profile } = await samlFor(settings, sp, { cache }).validatePostResponseAsync({ SAMLResponse: samlResponse!.replace(/\s+/g, '') });
    if (!profile) throw new SamlRejectedError('malformed');
    const { assertionId, expiresAt } = checkAssertion(profile, settings, sp.acsUrl);
    const fresh = await repo.rememberAssertion(ctx.db, { id: seenKey(org.id, assertionId), org_id: org.id, expires_at: new Date(expiresAt).toISOString() });
    if (!fresh) throw new SamlRejectedError('replayed');
    const person = profileFromAssertion(profile, { ...DEFAULT_ATTRIBUTES, ...settings.attributes });
    if (!person.subject) throw new SamlRejectedError('malformed', 'Single sign-on failed: the identity provider did not identify the person (no NameID).');
    return { org, profile: person, defaultRole: settings.defaultRole ?? 'member', next: flow.data.next };
  } catch (err) {
    if (err instanceof SamlRejectedError) return reject(ctx, org.id, err);
    const reason = classify(err, o ?? emptyOutline, settings.certificates);
    return reject(ctx, org.id, new SamlRejectedError(reason), err instanceof Error ? err.message : String(err));
  }
}

const emptyOutline: Outline = { inResponseTo: null, destination: null, assertionId: null, assertionSigned: false, responseSigned: false, signatureCerts: [], subjectNotBefore: null };

function seenKey(orgId: string, assertionId: string): string {
  return sha256Hex(`${orgId}:${assertionId}`);
}
