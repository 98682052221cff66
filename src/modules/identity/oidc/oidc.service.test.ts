import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDiscoveryError, emailUnverified, groupsFrom, issuerProblem, profileFrom, redirectUriFor, ZOidcInput } from './oidc.service';

describe('issuer URLs', () => {
  it('accepts https, and http only on this machine or when insecure HTTP is allowed', () => {
    expect(issuerProblem('https://keycloak.example/realms/corp', false)).toBeUndefined();
    expect(issuerProblem('http://127.0.0.1:8080', false)).toBeUndefined();
    expect(issuerProblem('http://localhost:8080/realms/dev', false)).toBeUndefined();
    expect(issuerProblem('http://[::1]:8080', false)).toBeUndefined();
    expect(issuerProblem('http://idp.lab.test/realms/x', false)).toMatch(/must use https:\/\/.*Allow insecure HTTP/);
    expect(issuerProblem('http://idp.lab.test/realms/x', true)).toBeUndefined();
  });

  it('explains what is wrong with an unusable issuer', () => {
    expect(issuerProblem('', false)).toMatch(/Enter the issuer URL/);
    expect(issuerProblem('keycloak.example', false)).toMatch(/not a URL/);
    expect(issuerProblem('ftp://idp.example', true)).toBe('The issuer URL starts with https://');
    expect(issuerProblem('https://user:pw@idp.example', false)).toMatch(/user name or password/);
    expect(issuerProblem('https://idp.example/?tenant=1', false)).toMatch(/no query/);
  });
});

describe('settings input', () => {
  it('fills the defaults: openid email profile, email/name/groups claims, member, basic auth', () => {
    const v = ZOidcInput.parse({ enabled: false });
    expect(v).toMatchObject({ scopes: 'openid email profile', emailClaim: 'email', nameClaim: 'name', groupsClaim: 'groups', defaultRole: 'member', tokenAuthMethod: 'client_secret_basic', allowInsecureHttp: false, allowUnverifiedEmail: false });
  });

  it('normalizes scopes and refuses scopes without openid, owner as default role, and turning on without issuer or client id', () => {
    expect(ZOidcInput.parse({ scopes: '  openid   email groups ' }).scopes).toBe('openid email groups');
    const owner = ZOidcInput.safeParse({ defaultRole: 'owner' });
    expect(owner.error?.issues.map((i) => i.message)).toEqual(['The default role is viewer, member or admin']);
    const r = ZOidcInput.safeParse({ enabled: true, scopes: 'email' });
    expect(r.success).toBe(false);
    const messages = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'issuer: Enter the issuer URL, e.g. https://keycloak.example/realms/corp',
        'clientId: Enter the client id the provider gave Folio',
        'scopes: The scopes must include openid',
      ]),
    );
    expect(ZOidcInput.safeParse({ emailClaim: 'e mail' }).success).toBe(false);
  });
});

describe('claims', () => {
  it('reads the configured claims, trimmed; groups as a list or a single string', () => {
    const s = { emailClaim: 'mail', nameClaim: 'display', groupsClaim: 'roles' };
    expect(profileFrom({ mail: ' a@b.test ', display: 'Ann', roles: ['x', ' y ', 3, ''] }, s)).toEqual({ email: 'a@b.test', name: 'Ann', groups: ['x', 'y'] });
    expect(profileFrom({ mail: 'a@b.test', roles: 'admins' }, s).groups).toEqual(['admins']);
    expect(profileFrom({ mail: 42 }, s)).toEqual({ email: undefined, name: undefined, groups: undefined });
  });

  it('no groups claim leaves groups undefined (memberships untouched), an empty list clears them', () => {
    expect(groupsFrom(undefined)).toBeUndefined();
    expect(groupsFrom({ a: 1 })).toBeUndefined();
    expect(groupsFrom([])).toEqual([]);
  });

  it('only an explicit email_verified false counts as unverified', () => {
    expect(emailUnverified({ email_verified: false })).toBe(true);
    expect(emailUnverified({ email_verified: 'false' })).toBe(true);
    expect(emailUnverified({ email_verified: true })).toBe(false);
    expect(emailUnverified({})).toBe(false);
  });

  it('the redirect URI is the origin plus /sso/<slug>/oidc/callback', () => {
    expect(redirectUriFor('https://folio.example/', 'acme')).toBe('https://folio.example/sso/acme/oidc/callback');
  });
});

describe('discovery errors an administrator can act on', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/renamed/.well-known/openid-configuration') {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ issuer: 'https://elsewhere.example/realms/corp' }));
      } else if (req.url === '/html/.well-known/openid-configuration') {
        res.setHeader('Content-Type', 'text/html');
        res.end('<html>login</html>');
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const attempt = async (issuer: string) => {
    try {
      await client.discovery(new URL(issuer), 'folio', 'secret', undefined, { timeout: 5, execute: [client.allowInsecureRequests] });
    } catch (err) {
      return describeDiscoveryError(err, issuer);
    }
    throw new Error('discovery unexpectedly worked');
  };

  it('names the issuer the provider states when it differs from the one entered', async () => {
    expect(await attempt(`${base}/renamed`)).toBe(
      `The provider calls itself "https://elsewhere.example/realms/corp", not "${base}/renamed". Enter the issuer exactly as the discovery document states it.`,
    );
  });

  it('says when the discovery document is missing or not JSON', async () => {
    expect(await attempt(`${base}/nothing`)).toBe(`The provider answered HTTP 404 at ${base}/nothing/.well-known/openid-configuration: check the issuer URL.`);
    expect(await attempt(`${base}/html`)).toBe(`${base}/html/.well-known/openid-configuration did not return a JSON discovery document: check the issuer URL.`);
  });

  it('says when nothing listens or the host does not exist', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await attempt(`http://127.0.0.1:${port}`)).toBe(`Nothing is listening at 127.0.0.1:${port} (connection refused).`);
    expect(await attempt('http://no-such-host.invalid')).toBe('The host no-such-host.invalid was not found.');
  });
});
