import { beforeAll, describe, expect, it } from 'vitest';
import { createTestIdp, type TestIdp } from '../../../../test/support/saml-idp';
import type { Profile } from '@node-saml/node-saml';
import { describeCertificate, MAX_METADATA_BYTES, normalizeCertificates, parseIdpMetadata } from './saml.metadata';
import { profileFromAssertion } from './saml.service';
import { DEFAULT_ATTRIBUTES } from './saml.settings';

let idp: TestIdp;
let other: TestIdp;
beforeAll(() => {
  idp = createTestIdp({ cn: 'Microsoft Azure Federated SSO Certificate' });
  other = createTestIdp({ cn: 'Accounts' });
});

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** Shaped like the federation metadata Entra ID (Azure AD) publishes for an enterprise application. */
function azureMetadata(cert: string, stsCert: string) {
  return `<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_5e2b7d5f-6c3c-4a3b-9b2e-0d1f6b3f4a10" entityID="https://sts.windows.net/${TENANT}/" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#" /><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" /><Reference URI="#_5e2b7d5f-6c3c-4a3b-9b2e-0d1f6b3f4a10"><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature" /><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#" /></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256" /><DigestValue>d2VsbCBoZWxsbw==</DigestValue></Reference></SignedInfo><SignatureValue>c2lnbmF0dXJl</SignatureValue><KeyInfo><X509Data><X509Certificate>${stsCert}</X509Certificate></X509Data></KeyInfo></Signature><RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${stsCert}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><fed:ClaimTypesOffered><auth:ClaimType Uri="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name" xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706"><auth:DisplayName>Name</auth:DisplayName></auth:ClaimType></fed:ClaimTypesOffered><fed:PassiveRequestorEndpoint><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>https://login.microsoftonline.com/${TENANT}/wsfed</wsa:Address></wsa:EndpointReference></fed:PassiveRequestorEndpoint></RoleDescriptor><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${cert}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/${TENANT}/saml2" /><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/${TENANT}/saml2" /><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://login.microsoftonline.com/${TENANT}/saml2" /></IDPSSODescriptor></EntityDescriptor>`;
}

/** Shaped like Keycloak's realm descriptor (/realms/<realm>/protocol/saml/descriptor). */
function keycloakMetadata(cert: string) {
  return `<md:EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://keycloak.acme.test/realms/acme">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo>
        <ds:KeyName>b6JpFfw2V1q3qv1S9L1pXvX8P6nC5yQyYwLzjZ0v0zA</ds:KeyName>
        <ds:X509Data>
          <ds:X509Certificate>
${cert.match(/.{1,76}/g)!.join('\n')}
          </ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:ArtifactResolutionService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="https://keycloak.acme.test/realms/acme/protocol/saml/resolve" index="0"></md:ArtifactResolutionService>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://keycloak.acme.test/realms/acme/protocol/saml"></md:SingleLogoutService>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://keycloak.acme.test/realms/acme/protocol/saml"></md:SingleSignOnService>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://keycloak.acme.test/realms/acme/protocol/saml"></md:SingleSignOnService>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="https://keycloak.acme.test/realms/acme/protocol/saml"></md:SingleSignOnService>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

describe('identity provider metadata', () => {
  it('reads Entra ID (Azure AD) federation metadata: the SAML signing certificate, not the WS-Federation one', () => {
    const meta = parseIdpMetadata(azureMetadata(idp.certBase64, other.certBase64));
    expect(meta.entityId).toBe(`https://sts.windows.net/${TENANT}/`);
    expect(meta.ssoRedirectUrl).toBe(`https://login.microsoftonline.com/${TENANT}/saml2`);
    expect(meta.ssoPostUrl).toBe(`https://login.microsoftonline.com/${TENANT}/saml2`);
    expect(meta.certificates).toEqual(normalizeCertificates(idp.certPem));
    expect(describeCertificate(meta.certificates[0], new Date()).subject).toContain('Microsoft Azure Federated SSO Certificate');
  });

  it('reads Keycloak realm metadata with a line-wrapped certificate and several bindings', () => {
    const meta = parseIdpMetadata(keycloakMetadata(idp.certBase64));
    expect(meta).toMatchObject({
      entityId: 'https://keycloak.acme.test/realms/acme',
      ssoRedirectUrl: 'https://keycloak.acme.test/realms/acme/protocol/saml',
      ssoPostUrl: 'https://keycloak.acme.test/realms/acme/protocol/saml',
    });
    expect(meta.certificates).toEqual(normalizeCertificates(idp.certPem));
  });

  it('takes every signing certificate during a key rollover and skips encryption keys', () => {
    const xml = keycloakMetadata(idp.certBase64).replace(
      '<md:ArtifactResolutionService',
      `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${other.certBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${other.certBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:ArtifactResolutionService`,
    );
    expect(parseIdpMetadata(xml).certificates).toHaveLength(2);
  });

  it('reads the one identity provider of an EntitiesDescriptor', () => {
    const inner = keycloakMetadata(idp.certBase64);
    const xml = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${inner.replace(/<md:EntityDescriptor xmlns="[^"]+" /, '<md:EntityDescriptor ')}</md:EntitiesDescriptor>`;
    expect(parseIdpMetadata(xml).entityId).toBe('https://keycloak.acme.test/realms/acme');
  });

  it('refuses DOCTYPEs and entity declarations (XXE, billion laughs) before parsing', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&xxe;"/>`;
    expect(() => parseIdpMetadata(xxe)).toThrow(/DOCTYPE or entity declaration/);
    const laughs = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`;
    expect(() => parseIdpMetadata(laughs)).toThrow(/DOCTYPE or entity declaration/);
  });

  it('refuses what is not identity provider metadata, with a message saying why', () => {
    expect(() => parseIdpMetadata('')).toThrow(/Paste or upload/);
    expect(() => parseIdpMetadata('<html><body>Sign in</body></html>')).toThrow(/not SAML metadata/);
    expect(() => parseIdpMetadata('<md:EntityDescriptor xmlns:md="x" entityID="a">')).toThrow(/not well-formed/);
    const sp = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.test"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>`;
    expect(() => parseIdpMetadata(sp)).toThrow(/no identity provider/);
    const noCert = keycloakMetadata(idp.certBase64).replace(/<md:KeyDescriptor[\s\S]*?<\/md:KeyDescriptor>/, '');
    expect(() => parseIdpMetadata(noCert)).toThrow(/no signing certificate/);
    const badCert = keycloakMetadata('QUJDRA==');
    expect(() => parseIdpMetadata(badCert)).toThrow(/X\.509/);
  });

  it('refuses oversized input', () => {
    const big = keycloakMetadata(idp.certBase64).replace('</md:EntityDescriptor>', `<!-- ${'x'.repeat(MAX_METADATA_BYTES)} --></md:EntityDescriptor>`);
    expect(() => parseIdpMetadata(big)).toThrow(/larger than the limit/);
  });

  it('accepts certificates as PEM or bare base64 and refuses other PEM', () => {
    expect(normalizeCertificates(idp.certBase64)).toEqual(normalizeCertificates(idp.certPem));
    expect(normalizeCertificates(`${idp.certPem}\n${other.certPem}`)).toHaveLength(2);
    expect(() => normalizeCertificates(idp.privateKeyPem)).toThrow(/certificate/);
  });
});

describe('attribute mapping', () => {
  const profile = (attributes: Record<string, unknown>, nameID = 'a1b2c3'): Profile => ({ issuer: 'x', nameID, nameIDFormat: 'persistent', attributes }) as Profile;

  it('reads Azure AD claims by default', () => {
    const p = profileFromAssertion(
      profile({
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'ada@acme.test',
        'http://schemas.microsoft.com/identity/claims/displayname': 'Ada Lovelace',
        'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': ['Finance', 'Staff'],
      }),
      DEFAULT_ATTRIBUTES,
    );
    expect(p).toEqual({ subject: 'a1b2c3', email: 'ada@acme.test', name: 'Ada Lovelace', groups: ['Finance', 'Staff'] });
  });

  it('uses configured names, falls back to common ones, and leaves groups alone when none are sent', () => {
    const p = profileFromAssertion(profile({ mail: 'bob@acme.test', givenName: 'Bob', sn: 'Builder' }), { email: 'userEmail', name: 'fullName', groups: 'roles' });
    expect(p).toEqual({ subject: 'a1b2c3', email: 'bob@acme.test', name: 'Bob Builder', groups: undefined });
    const q = profileFromAssertion(profile({ userEmail: 'c@acme.test', roles: 'Admins' }, 'c@acme.test'), { email: 'userEmail', name: 'fullName', groups: 'roles' });
    expect(q.email).toBe('c@acme.test');
    expect(q.groups).toEqual(['Admins']);
    expect(profileFromAssertion(profile({}, 'dee@acme.test'), DEFAULT_ATTRIBUTES).email).toBe('dee@acme.test');
  });
});
