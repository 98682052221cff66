import { X509Certificate, createHash } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../../../shared/errors';

/** What Folio needs from an identity provider's SAML metadata. */
export interface IdpMetadata {
  entityId: string;
  /** Single sign-on URL for the HTTP-Redirect binding, when offered. */
  ssoRedirectUrl: string | null;
  /** Single sign-on URL for the HTTP-POST binding, when offered. */
  ssoPostUrl: string | null;
  /** Signing certificates as PEM (several during a key rollover). */
  certificates: string[];
}

/** A certificate as the settings page shows it. */
export interface CertificateInfo {
  subject: string;
  notAfter: string;
  expired: boolean;
  sha256: string;
}

/** Metadata larger than this is refused (one entity's metadata is a few kilobytes; Azure's about 20). */
export const MAX_METADATA_BYTES = 512 * 1024;

const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

function invalid(message: string): AppError {
  return new AppError('validation_failed', message);
}

type Node = Record<string, unknown>;

function list(v: unknown): Node[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is Node => typeof x === 'object' && x !== null);
}

function text(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && '#text' in v) return String((v as Node)['#text']);
  return '';
}

/**
 * Refuses XML that could make a parser fetch or expand anything (DOCTYPE, entity
 * declarations, XXE) before any parser sees it, and anything oversized.
 */
export function assertSafeXml(xml: string, what: string, maxBytes: number): void {
  if (Buffer.byteLength(xml, 'utf8') > maxBytes) throw invalid(`The ${what} is larger than the limit of ${Math.round(maxBytes / 1024)} KB.`);
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw invalid(`The ${what} contains a DOCTYPE or entity declaration, which Folio refuses for safety.`);
}

/** How SAML XML is parsed: attributes kept, namespaces dropped, entities and values never expanded or converted. */
export const SAFE_XML = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
} as const;

/**
 * Reads an identity provider's SAML 2.0 metadata (an EntityDescriptor, or an
 * EntitiesDescriptor holding exactly one identity provider): entity id, sign-on URLs and
 * signing certificates. Anything else is refused with a message saying what is wrong.
 */
export function parseIdpMetadata(xml: string): IdpMetadata {
  const source = xml.replace(/^\uFEFF/, '').trim();
  if (!source) throw invalid('Paste or upload the identity provider’s metadata XML.');
  assertSafeXml(source, 'metadata', MAX_METADATA_BYTES);
  if (XMLValidator.validate(source) !== true) throw invalid('The metadata is not well-formed XML.');
  const parser = new XMLParser({ ...SAFE_XML, trimValues: true });
  let doc: Node;
  try {
    doc = parser.parse(source) as Node;
  } catch {
    throw invalid('The metadata is not well-formed XML.');
  }
  let entities = list(doc.EntityDescriptor);
  if (!entities.length && doc.EntitiesDescriptor) entities = list(doc.EntitiesDescriptor).flatMap((e) => list(e.EntityDescriptor));
  if (!entities.length) throw invalid('This XML is not SAML metadata: it has no EntityDescriptor.');
  const idps = entities.filter((e) => list(e.IDPSSODescriptor).length > 0);
  if (!idps.length) throw invalid('The metadata describes no identity provider (no IDPSSODescriptor).');
  if (idps.length > 1) throw invalid('The metadata describes several identity providers; upload the metadata of just one.');
  const entity = idps[0];
  const entityId = String(entity['@_entityID'] ?? '').trim();
  if (!entityId) throw invalid('The metadata’s EntityDescriptor has no entityID.');
  const idp = list(entity.IDPSSODescriptor)[0];
  const protocols = String(idp['@_protocolSupportEnumeration'] ?? '');
  if (protocols && !protocols.includes('urn:oasis:names:tc:SAML:2.0:protocol')) throw invalid('The identity provider does not support SAML 2.0.');

  const services = list(idp.SingleSignOnService);
  const urlFor = (binding: string) => {
    const s = services.find((x) => x['@_Binding'] === binding);
    const url = s ? String(s['@_Location'] ?? '').trim() : '';
    return url && isHttpUrl(url) ? url : null;
  };
  const ssoRedirectUrl = urlFor(BINDING_REDIRECT);
  const ssoPostUrl = urlFor(BINDING_POST);
  if (!ssoRedirectUrl && !ssoPostUrl) throw invalid('The metadata offers no single sign-on URL for the HTTP-Redirect or HTTP-POST binding.');

  const certificates: string[] = [];
  for (const key of list(idp.KeyDescriptor)) {
    const use = String(key['@_use'] ?? 'signing');
    if (use !== 'signing') continue;
    for (const info of list(key.KeyInfo)) {
      for (const data of list(info.X509Data)) {
        const raw = data.X509Certificate;
        for (const c of Array.isArray(raw) ? raw : [raw]) {
          const b64 = text(c).replace(/\s+/g, '');
          if (!b64) continue;
          const pem = normalizeCertificates(b64)[0];
          if (!certificates.includes(pem)) certificates.push(pem);
        }
      }
    }
  }
  if (!certificates.length) throw invalid('The metadata holds no signing certificate for the identity provider.');
  return { entityId, ssoRedirectUrl, ssoPostUrl, certificates };
}

/** True for an absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----`;
}

/**
 * One or more X.509 certificates given as PEM blocks or as bare base64 (as metadata and
 * Azure's "Certificate (Base64)" download hold them), returned as clean PEM. Anything that
 * is not a certificate is refused.
 */
export function normalizeCertificates(input: string): string[] {
  const blocks = [...input.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]);
  const bodies = blocks.length ? blocks : input.trim() ? [input] : [];
  const out: string[] = [];
  for (const body of bodies) {
    const b64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw invalid('The certificate is not a PEM or base64 X.509 certificate.');
    const der = Buffer.from(b64, 'base64');
    try {
      new X509Certificate(der);
    } catch {
      throw invalid('The certificate could not be read as an X.509 certificate.');
    }
    const pem = toPem(der);
    if (!out.includes(pem)) out.push(pem);
  }
  return out;
}

/** Subject, expiry and fingerprint of a PEM certificate, for the settings page. */
export function describeCertificate(pem: string, now: Date): CertificateInfo {
  const cert = new X509Certificate(pem);
  const notAfter = new Date(cert.validTo).toISOString();
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    notAfter,
    expired: new Date(notAfter) <= now,
    sha256: createHash('sha256').update(cert.raw).digest('hex').toUpperCase().match(/.{2}/g)!.join(':'),
  };
}
