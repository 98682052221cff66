import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A person the test provider knows. */
export interface OpAccount {
  id: string;
  email: string;
  name?: string;
  emailVerified?: boolean;
  groups?: string[];
}

/** A client registered at the test provider. */
export interface OpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  authMethod?: 'client_secret_basic' | 'client_secret_post';
}

/** Changes the provider makes to the ID token it returns, for tests of what the client refuses. */
export interface IdTokenTamper {
  /** Replaces claims of the ID token (signed again with the provider's own key). */
  claims?: (claims: Record<string, unknown>) => Record<string, unknown>;
  /** Signs the ID token with a key the provider never published (same `kid`). */
  foreignKey?: boolean;
}

/** A real OpenID provider (`oidc-provider`) on 127.0.0.1 with accounts and a non-interactive login. */
export interface TestOp {
  issuer: string;
  addAccount(account: OpAccount): void;
  addClient(client: OpClient): Promise<void>;
  /** Applies to every token response until cleared with `tamperIdToken(undefined)`. */
  tamperIdToken(t: IdTokenTamper | undefined): void;
  /** Every authorization request the provider received (its full URL). */
  authorizeRequests: string[];
  /** Every token request body the provider received (form fields). */
  tokenRequests: Record<string, string>[];
  /**
   * Follows an authorization URL like a browser: signs in as `accountId` (or aborts when it is
   * undefined), grants consent, and returns the URL the provider sends the browser back to.
   */
  login(authorizeUrl: string, accountId: string | undefined): Promise<string>;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function b64url(v: Buffer | string) {
  return Buffer.from(v).toString('base64url');
}

function signJwt(header: Json, claims: Json, key: KeyObject): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
}

function rsaJwk(kid: string) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { jwk: { ...(privateKey.export({ format: 'jwk' }) as Json), kid, use: 'sig', alg: 'RS256' }, key: privateKey };
}

/** The provider's storage: one map per test provider (oidc-provider's own is shared process-wide). */
function memoryAdapter() {
  const store = new Map<string, Json>();
  return class MemoryAdapter {
    constructor(private readonly model: string) {}
    private key(id: string) {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Json) {
      store.set(this.key(id), payload);
      if (payload.uid) store.set(`${this.model}:uid:${String(payload.uid)}`, { ref: id });
      if (payload.userCode) store.set(`${this.model}:userCode:${String(payload.userCode)}`, { ref: id });
    }
    async find(id: string) {
      return store.get(this.key(id));
    }
    async findByUid(uid: string) {
      const ref = store.get(`${this.model}:uid:${uid}`)?.ref as string | undefined;
      return ref ? this.find(ref) : undefined;
    }
    async findByUserCode(code: string) {
      const ref = store.get(`${this.model}:userCode:${code}`)?.ref as string | undefined;
      return ref ? this.find(ref) : undefined;
    }
    async consume(id: string) {
      const p = store.get(this.key(id));
      if (p) p.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [k, v] of store) if (v.grantId === grantId) store.delete(k);
    }
  };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts an OpenID provider for tests. PKCE (S256) is required of every client. Scopes:
 * `openid`, `email` (email, email_verified), `profile` (name), `groups` (groups). Sign-in and
 * consent are small HTTP endpoints (`/interaction/:uid`) that `login()` drives.
 */
export async function startTestOp(): Promise<TestOp> {
  // oidc-provider ships no type declarations; its surface used here is small and typed below.
  const moduleName = 'oidc-provider';
  const { default: Provider } = (await import(moduleName)) as { default: new (issuer: string, config: Json) => ProviderLike };
  const accounts = new Map<string, OpAccount>();
  const clients: Json[] = [];
  const kid = `k-${randomUUID()}`;
  const own = rsaJwk(kid);
  const foreign = rsaJwk(kid);
  let tamper: IdTokenTamper | undefined;
  const authorizeRequests: string[] = [];
  const tokenRequests: Record<string, string>[] = [];

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const adapter = memoryAdapter();
  const cookieKeys = [randomUUID()];
  let provider: ProviderLike;
  let handle: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  const build = () => {
    provider = new Provider(issuer, {
      clients,
      adapter,
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
      jwks: { keys: [own.jwk] },
      cookies: { keys: cookieKeys },
      pkce: { required: () => true },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
      scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx: unknown, id: string) => {
        const a = accounts.get(id);
        if (!a) return undefined;
        return {
          accountId: a.id,
          claims: async () => ({ sub: a.id, email: a.email, email_verified: a.emailVerified ?? true, name: a.name, groups: a.groups }),
        };
      },
      renderError: async (ctx: { type: string; body: string }, out: Json) => {
        ctx.type = 'text/plain';
        ctx.body = `provider error: ${String(out.error)}: ${String(out.error_description ?? '')}`;
      },
    });
    provider.use(async (ctx, next) => {
      if (ctx.path === '/auth') authorizeRequests.push(`${issuer}${ctx.url}`);
      await next();
      if (ctx.oidc?.route === 'token') {
        const params = Object.fromEntries(Object.entries(ctx.oidc.params ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
        tokenRequests.push({ ...params, client_auth: ctx.get('authorization') ? 'client_secret_basic' : 'client_secret_post' });
      }
      const body = ctx.body as Json | undefined;
      if (ctx.oidc?.route === 'token' && tamper && body && typeof body.id_token === 'string') {
        const [h, p] = body.id_token.split('.');
        const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Json;
        let claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Json;
        if (tamper.claims) claims = tamper.claims(claims);
        ctx.body = { ...body, id_token: signJwt(header, claims, tamper.foreignKey ? foreign.key : own.key) };
      }
    });
    handle = provider.callback();
  };
  build();

  const interaction = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`prompt: ${details.prompt.name}`);
        return;
      }
      const form = new URLSearchParams(await readBody(req));
      if (req.url?.endsWith('/abort')) {
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person declined to sign in.' }, { mergeWithLastSubmission: false });
        return;
      }
      if (details.prompt.name === 'login') {
        const accountId = form.get('account') ?? '';
        if (!accounts.has(accountId)) {
          res.writeHead(400, { 'Content-Type': 'text/plain' }).end('unknown account');
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
        return;
      }
      // consent: grant what the client asked for
      const d = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (err) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`interaction failed: ${(err as Error).message}`);
    }
  };

  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) void interaction(req, res);
    else handle(req, res);
  });

  const login: TestOp['login'] = async (authorizeUrl, accountId) => {
    const jar = new Map<string, string>();
    const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const keep = (res: Response) => {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        const name = pair.slice(0, i);
        const value = pair.slice(i + 1);
        if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') jar.delete(name);
        else jar.set(name, value);
      }
    };
    let url = authorizeUrl;
    for (let hop = 0; hop < 20; hop++) {
      if (!url.startsWith(issuer)) return url;
      let res: Response;
      if (new URL(url).pathname.startsWith('/interaction/')) {
        const action = accountId === undefined ? `${url}/abort` : url;
        res = await fetch(action, {
          method: 'POST',
          redirect: 'manual',
          headers: { Cookie: cookieHeader(), 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ account: accountId ?? '' }).toString(),
        });
      } else {
        res = await fetch(url, { redirect: 'manual', headers: { Cookie: cookieHeader() } });
      }
      keep(res);
      const location = res.headers.get('Location');
      if (!location) throw new Error(`the provider answered ${res.status} without a redirect: ${await res.text()}`);
      await res.body?.cancel();
      url = new URL(location, url).toString();
    }
    throw new Error('too many redirects at the provider');
  };

  return {
    issuer,
    authorizeRequests,
    tokenRequests,
    addAccount: (a) => void accounts.set(a.id, a),
    addClient: async (c) => {
      clients.push({
        client_id: c.clientId,
        client_secret: c.clientSecret,
        redirect_uris: c.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: c.authMethod ?? 'client_secret_basic',
      });
      // Clients are static configuration: the provider is rebuilt with the new list (keys stay).
      build();
    },
    tamperIdToken: (t) => void (tamper = t),
    login,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface KoaCtx {
  path: string;
  url: string;
  method: string;
  body: unknown;
  get(header: string): string;
  oidc?: { route?: string; params?: Record<string, unknown> };
}

interface GrantLike {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

interface ProviderLike {
  use(mw: (ctx: KoaCtx, next: () => Promise<void>) => Promise<void>): void;
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<{
    uid: string;
    prompt: { name: string; details: unknown };
    params: { client_id: string };
    session: { accountId: string };
    grantId?: string;
  }>;
  interactionFinished(req: http.IncomingMessage, res: http.ServerResponse, result: Json, opts?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: { new (o: { accountId: string; clientId: string }): GrantLike; find(id: string): Promise<GrantLike> };
}
