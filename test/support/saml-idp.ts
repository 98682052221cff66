import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

/**
 * A SAML 2.0 identity provider for tests: its own RSA key and self-signed certificate made
 * at test time (node:crypto for the key, `openssl req -x509` for the certificate, since
 * metadata carries certificates), metadata, and responses signed with xml-crypto the way
 * real identity providers sign them.
 */
export interface TestIdp {
  entityId: string;
  ssoUrl: string;
  certPem: string;
  /** The certificate's base64 body, as metadata carries it. */
  certBase64: string;
  privateKeyPem: string;
  metadata(): string;
  response(o: ResponseOptions): string;
}

export interface ResponseOptions {
  /** Where the response is addressed: the SP's ACS URL. */
  destination: string;
  /** SubjectConfirmationData Recipient (defaults to destination). */
  recipient?: string;
  audience: string;
  /** The AuthnRequest ID answered; null for an IdP-initiated response. */
  inResponseTo: string | null;
  nameId: string;
  email?: string;
  name?: string;
  groups?: string[];
  /** Extra attributes by name. */
  attributes?: Record<string, string[]>;
  notBefore?: Date;
  notOnOrAfter?: Date;
  assertionId?: string;
  issuer?: string;
  /** Sign the assertion (default true). */
  signAssertion?: boolean;
  /** Sign the whole response too (default false). */
  signResponse?: boolean;
}

export const AZURE = {
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  name: 'http://schemas.microsoft.com/identity/claims/displayname',
  groups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
};

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A random SAML ID (an NCName). */
export function samlId(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

/** Makes a key pair and a self-signed certificate for it with openssl. */
function makeKeyAndCertificate(cn: string): { privateKeyPem: string; certPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(path.join(tmpdir(), 'folio-saml-idp-'));
  try {
    const keyPath = path.join(dir, 'key.pem');
    const certPath = path.join(dir, 'cert.pem');
    writeFileSync(keyPath, privateKeyPem, { mode: 0o600 });
    execFileSync('openssl', ['req', '-x509', '-new', '-key', keyPath, '-out', certPath, '-days', '2', '-sha256', '-subj', `/CN=${cn}`], { stdio: 'pipe' });
    return { privateKeyPem, certPem: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sign(xml: string, o: { privateKeyPem: string; certPem: string; elementXpath: string; issuerXpath: string }): string {
  const sig = new SignedXml({
    privateKey: o.privateKeyPem,
    publicCert: o.certPem,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  });
  sig.addReference({
    xpath: o.elementXpath,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: o.issuerXpath, action: 'after' } });
  return sig.getSignedXml();
}

const ASSERTION = "//*[local-name(.)='Assertion']";

export function createTestIdp(opts: { entityId?: string; ssoUrl?: string; cn?: string } = {}): TestIdp {
  const { privateKeyPem, certPem } = makeKeyAndCertificate(opts.cn ?? 'Folio Test IdP');
  const certBase64 = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  const entityId = opts.entityId ?? `https://idp.test/${randomBytes(4).toString('hex')}`;
  const ssoUrl = opts.ssoUrl ?? `${entityId}/sso`;

  const idp: TestIdp = {
    entityId,
    ssoUrl,
    certPem,
    certBase64,
    privateKeyPem,
    metadata: () =>
      `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${xmlEscape(entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${xmlEscape(ssoUrl)}"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${xmlEscape(ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`,
    response(o) {
      const now = new Date();
      const notBefore = (o.notBefore ?? new Date(now.getTime() - 60_000)).toISOString();
      const notOnOrAfter = (o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000)).toISOString();
      const issuer = xmlEscape(o.issuer ?? entityId);
      const irt = o.inResponseTo ? ` InResponseTo="${xmlEscape(o.inResponseTo)}"` : '';
      const attrs: Record<string, string[]> = { ...(o.attributes ?? {}) };
      if (o.email !== undefined) attrs[AZURE.email] = [o.email];
      if (o.name !== undefined) attrs[AZURE.name] = [o.name];
      if (o.groups) attrs[AZURE.groups] = o.groups;
      const attributeXml = Object.entries(attrs)
        .map(([name, values]) => `<saml:Attribute Name="${xmlEscape(name)}">${values.map((v) => `<saml:AttributeValue>${xmlEscape(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`)
        .join('');
      const assertion =
        `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.assertionId ?? samlId()}" Version="2.0" IssueInstant="${now.toISOString()}">` +
        `<saml:Issuer>${issuer}</saml:Issuer>` +
        `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${xmlEscape(o.nameId)}</saml:NameID>` +
        `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${irt} NotOnOrAfter="${notOnOrAfter}" Recipient="${xmlEscape(o.recipient ?? o.destination)}"/></saml:SubjectConfirmation></saml:Subject>` +
        `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${xmlEscape(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
        `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${samlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
        (attributeXml ? `<saml:AttributeStatement>${attributeXml}</saml:AttributeStatement>` : '') +
        `</saml:Assertion>`;
      let xml =
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${samlId()}" Version="2.0" IssueInstant="${now.toISOString()}" Destination="${xmlEscape(o.destination)}"${irt}>` +
        `<saml:Issuer>${issuer}</saml:Issuer>` +
        `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
        assertion +
        `</samlp:Response>`;
      if (o.signAssertion !== false) {
        xml = sign(xml, { privateKeyPem, certPem, elementXpath: ASSERTION, issuerXpath: `${ASSERTION}/*[local-name(.)='Issuer']` });
      }
      if (o.signResponse) {
        xml = sign(xml, { privateKeyPem, certPem, elementXpath: "/*[local-name(.)='Response']", issuerXpath: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']" });
      }
      return xml;
    },
  };
  return idp;
}

/** The AuthnRequest carried by an HTTP-Redirect binding URL, with the fields tests look at. */
export function decodeAuthnRequest(location: string): { xml: string; id: string; acsUrl: string | null; issuer: string | null; relayState: string | null } {
  const url = new URL(location);
  const raw = url.searchParams.get('SAMLRequest');
  if (!raw) throw new Error('no SAMLRequest in the redirect');
  const xml = inflateRawSync(Buffer.from(raw, 'base64')).toString('utf8');
  return {
    xml,
    id: /\sID="([^"]+)"/.exec(xml)![1],
    acsUrl: /AssertionConsumerServiceURL="([^"]+)"/.exec(xml)?.[1] ?? null,
    issuer: /<saml:Issuer[^>]*>([^<]+)<\/saml:Issuer>/.exec(xml)?.[1] ?? null,
    relayState: url.searchParams.get('RelayState'),
  };
}

/** Base64 of a response, as the HTTP-POST binding's SAMLResponse field carries it. */
export function encodeResponse(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}
