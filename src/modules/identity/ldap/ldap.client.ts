/**
 * The directory adapter: one connection to an LDAP server (OpenLDAP, Active Directory, any
 * RFC 4511 server) bound as the organization's service account, over ldapts. Everything
 * the sign-in, the connection test and the sync need from a directory is here, and every
 * failure comes out as a `DirectoryError` with a reason an administrator can act on.
 */
import type { ConnectionOptions } from 'node:tls';
import { Client, type Entry, Filter, InvalidCredentialsError } from 'ldapts';
import { IN_CHAIN_RULE, type LdapSettings } from './ldap.schemas';

/** Why a directory could not be used. */
export type DirectoryFailure = 'connect' | 'tls' | 'bind' | 'base_not_found' | 'timeout' | 'filter' | 'refused';

const MESSAGES: Record<DirectoryFailure, string> = {
  connect: 'Cannot connect to the directory server. Check the URL, the port and that the server is reachable from Folio.',
  tls: 'The secure connection to the directory failed. Check the CA certificate and that the server certificate matches the host name.',
  bind: 'The directory refused the service account: the bind DN or password is wrong.',
  base_not_found: 'A search base does not exist in the directory. Check the user and group base DNs.',
  timeout: 'The directory did not answer in time.',
  filter: 'The directory rejected a search filter. Check the user, group and disabled filters.',
  refused: 'The directory refused the request.',
};

/** A directory failure with its reason; `message` is safe to show to administrators. */
export class DirectoryError extends Error {
  constructor(
    readonly reason: DirectoryFailure,
    readonly detail?: string,
    opts: { cause?: unknown } = {},
  ) {
    super(MESSAGES[reason] + (detail ? ` (${detail})` : ''), { cause: opts.cause });
    this.name = 'DirectoryError';
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET|DEPTH_ZERO|ERR_TLS|ERR_SSL|EPROTO|HOSTNAME|ALTNAME/;

/** Turns whatever ldapts or the socket threw into a `DirectoryError`. */
export function classifyError(err: unknown, stage: 'connect' | 'bind' | 'search'): DirectoryError {
  if (err instanceof DirectoryError) return err;
  const e = err as { code?: unknown; message?: string; name?: string };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.code === 'number' ? e.code : undefined;
  const message = String(e?.message ?? err);
  const short = message.split('\n')[0].slice(0, 200);
  if (err instanceof InvalidCredentialsError) return new DirectoryError('bind', undefined, { cause: err });
  if (typeof code === 'string' && TLS_CODES.test(code)) return new DirectoryError('tls', short, { cause: err });
  if (typeof code !== 'number' && /certificate|tls|ssl|handshake/i.test(message)) return new DirectoryError('tls', short, { cause: err });
  if (/timed? ?out|timeout/i.test(message) || code === 3 || code === 'ETIMEDOUT') return new DirectoryError('timeout', undefined, { cause: err });
  if (typeof code === 'string' && /^E(CONNREFUSED|CONNRESET|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN|ADDRNOTAVAIL|PIPE)$/.test(code)) return new DirectoryError('connect', short, { cause: err });
  if (code === 32) return new DirectoryError('base_not_found', undefined, { cause: err });
  if (code === 13 || code === 8) return new DirectoryError('tls', 'the server requires an encrypted connection', { cause: err });
  if (code === 48 || code === 50) return new DirectoryError(stage === 'bind' ? 'bind' : 'refused', short, { cause: err });
  if (code === 87 || /filter/i.test(message)) return new DirectoryError('filter', short, { cause: err });
  if (/socket|connection closed|connect/i.test(message)) return new DirectoryError('connect', short, { cause: err });
  return new DirectoryError('refused', short, { cause: err });
}

/** A person as the directory describes them. */
export interface DirectoryUser {
  dn: string;
  username: string;
  email: string;
  name: string;
  /** The unique id attribute's value (a GUID string for objectGUID); empty when the entry has none. */
  uniqueId: string;
  disabled: boolean;
}

/** The groups a person belongs to, nested ones included. */
export interface DirectoryGroups {
  names: string[];
  dns: string[];
}

const BINARY_IDS = new Set(['objectguid']);

/** Active Directory's objectGUID bytes as the usual string (the first three parts little-endian). */
export function guidToString(b: Buffer): string {
  if (b.length !== 16) return b.toString('hex');
  const h = (i: number[]) => i.map((x) => b[x].toString(16).padStart(2, '0')).join('');
  return `${h([3, 2, 1, 0])}-${h([5, 4])}-${h([7, 6])}-${h([8, 9])}-${h([10, 11, 12, 13, 14, 15])}`;
}

/** The filter assertion value that matches an objectGUID given as its string form (each byte \\xx). */
export function guidToFilterValue(guid: string): string | undefined {
  const hex = guid.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const b = Buffer.from(hex, 'hex');
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return order.map((i) => `\\${b[i].toString(16).padStart(2, '0')}`).join('');
}

/** Replaces every `{name}` in a filter with the value escaped per RFC 4515, so input is never filter syntax. */
export function fillFilter(template: string, name: 'username' | 'dn', value: string): string {
  const escaped = Filter.escape(value);
  // split/join rather than replace: `$&` and friends in the value are not patterns.
  return template.split(`{${name}}`).join(escaped);
}

/** The filter that finds every person under the base: the user filter with a wildcard for the name. */
export function everyoneFilter(settings: Pick<LdapSettings, 'userFilter'>): string {
  return settings.userFilter.split('{username}').join('*');
}

/** The group search filter of a mode, for a member DN. */
export function groupFilterFor(settings: Pick<LdapSettings, 'groupMode' | 'groupFilter'>, dn: string): string {
  if (settings.groupMode === 'in_chain') return `(member:${IN_CHAIN_RULE}:=${Filter.escape(dn)})`;
  return fillFilter(settings.groupFilter, 'dn', dn);
}

function first(entry: Entry, attr: string): string {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attr.toLowerCase());
  const v = key ? entry[key] : undefined;
  const one = Array.isArray(v) ? v[0] : v;
  if (one === undefined) return '';
  if (Buffer.isBuffer(one)) return BINARY_IDS.has(attr.toLowerCase()) ? guidToString(one) : one.toString('utf8');
  return String(one);
}

function all(entry: Entry, attr: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attr.toLowerCase());
  const v = key ? entry[key] : undefined;
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
}

/** Active Directory's userAccountControl ACCOUNTDISABLE flag. */
const UAC_DISABLED = 0x2;

function tlsOptions(settings: LdapSettings, host: string): ConnectionOptions {
  return {
    rejectUnauthorized: settings.rejectUnauthorized,
    ...(settings.caCertificate ? { ca: [settings.caCertificate] } : {}),
    // Node checks the certificate against servername; an IP address is checked against the IP SANs.
    ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
    minVersion: 'TLSv1.2',
  };
}

/**
 * A connection bound as the service account. Open with `openDirectory`, always `close()`.
 * Every operation has the settings' time limit, so a silent server is a `timeout`, not a hang.
 */
export class Directory {
  private constructor(
    private readonly client: Client,
    readonly settings: LdapSettings,
  ) {}

  /** Connects (with StartTLS when set) and binds as the service account. */
  static async open(settings: LdapSettings, bindPassword: string): Promise<Directory> {
    const client = newClient(settings);
    const dir = new Directory(client, settings);
    try {
      await deadline(connectAndSecure(client, settings), settings, 'connect');
      if (!bindPassword) throw new DirectoryError('bind', 'no service account password is stored');
      try {
        await deadline(client.bind(settings.bindDn, bindPassword), settings, 'bind');
      } catch (err) {
        throw classifyError(err, 'bind');
      }
      return dir;
    } catch (err) {
      await dir.close();
      throw err;
    }
  }

  private attributes(): string[] {
    const s = this.settings;
    return [...new Set([s.usernameAttribute, s.emailAttribute, s.nameAttribute, s.uniqueIdAttribute, 'userAccountControl', 'pwdAccountLockedTime', 'memberOf'])];
  }

  /**
   * One search. With `sizeLimit`, more matches than the limit come back as `sizeLimit + 1`
   * entries without DNs (the server stops at the limit; the caller only needs "too many").
   */
  private async search(base: string, filter: string, opts: { scope?: 'base' | 'sub'; attributes?: string[]; sizeLimit?: number; paged?: boolean } = {}): Promise<Entry[]> {
    const attributes = opts.attributes ?? this.attributes();
    try {
      const res = await deadline(
        this.client.search(base, {
          scope: opts.scope ?? 'sub',
          filter,
          attributes,
          explicitBufferAttributes: attributes.filter((a) => BINARY_IDS.has(a.toLowerCase())),
          sizeLimit: opts.sizeLimit ?? 0,
          timeLimit: this.settings.timeoutSeconds,
          ...(opts.paged ? { paged: { pageSize: 500 } } : {}),
        }),
        this.settings,
        'search',
      );
      return res.searchEntries;
    } catch (err) {
      if (opts.sizeLimit && (err as { code?: unknown }).code === 4) return Array.from({ length: opts.sizeLimit + 1 }, () => ({ dn: '' }));
      throw classifyError(err, 'search');
    }
  }

  private async toUser(entry: Entry): Promise<DirectoryUser> {
    const s = this.settings;
    const uac = Number.parseInt(first(entry, 'userAccountControl') || '0', 10);
    let disabled = (Number.isFinite(uac) && (uac & UAC_DISABLED) !== 0) || !!first(entry, 'pwdAccountLockedTime');
    if (!disabled && s.disabledFilter) disabled = (await this.search(entry.dn, s.disabledFilter, { scope: 'base', attributes: ['1.1'] })).length > 0;
    return {
      dn: entry.dn,
      username: first(entry, s.usernameAttribute),
      email: first(entry, s.emailAttribute),
      name: first(entry, s.nameAttribute),
      uniqueId: first(entry, s.uniqueIdAttribute),
      disabled,
    };
  }

  /**
   * The people the user filter finds for a sign-in name, escaped per RFC 4515 so that
   * `*`, parentheses, backslashes and NUL are plain characters. At most two are returned:
   * the caller needs to know whether exactly one matched.
   */
  async findUsers(username: string): Promise<DirectoryUser[]> {
    const entries = await this.search(this.settings.userBase, fillFilter(this.settings.userFilter, 'username', username), { sizeLimit: 2 });
    if (entries.length !== 1) return entries.map((e) => ({ dn: e.dn, username: '', email: '', name: '', uniqueId: '', disabled: false }));
    return [await this.toUser(entries[0])];
  }

  /** The person whose unique id attribute has this value, under the user base (for the sync). */
  async findByUniqueId(uniqueId: string): Promise<DirectoryUser | undefined> {
    const attr = this.settings.uniqueIdAttribute;
    const value = BINARY_IDS.has(attr.toLowerCase()) ? guidToFilterValue(uniqueId) : Filter.escape(uniqueId);
    if (!value) return undefined;
    const entries = await this.search(this.settings.userBase, `(${attr}=${value})`, { sizeLimit: 2 });
    return entries.length === 1 ? this.toUser(entries[0]) : undefined;
  }

  /** Throws `base_not_found` unless the entry exists (a search base the administrator typed). */
  async baseExists(dn: string): Promise<void> {
    await this.search(dn, '(objectClass=*)', { scope: 'base', attributes: ['1.1'] });
  }

  /** How many people the user filter finds under the base (paged, so large directories count too). */
  async countUsers(): Promise<number> {
    return (await this.search(this.settings.userBase, everyoneFilter(this.settings), { attributes: ['1.1'], paged: true })).length;
  }

  /**
   * The person's groups by the configured mode. `search` and `memberof` follow nesting up to
   * `groupNestingDepth` levels, never visiting a group twice (cycles end there); `in_chain`
   * lets Active Directory resolve nesting in one search.
   */
  async groupsOf(userDn: string): Promise<DirectoryGroups> {
    const s = this.settings;
    const found = new Map<string, string>(); // lower-case DN → name
    const cap = 2000;
    const nameOf = (e: Entry) => first(e, s.groupNameAttribute) || e.dn.split(',')[0].replace(/^[^=]+=/, '');
    if (s.groupMode === 'none') return { names: [], dns: [] };
    if (s.groupMode === 'in_chain') {
      for (const e of await this.search(s.groupBase, groupFilterFor(s, userDn), { attributes: [s.groupNameAttribute], paged: true })) found.set(e.dn.toLowerCase(), nameOf(e));
    } else if (s.groupMode === 'search') {
      let frontier = [userDn];
      for (let level = 0; level <= s.groupNestingDepth && frontier.length && found.size < cap; level++) {
        const next: string[] = [];
        for (const dn of frontier) {
          for (const e of await this.search(s.groupBase, groupFilterFor(s, dn), { attributes: [s.groupNameAttribute], paged: true })) {
            const key = e.dn.toLowerCase();
            if (found.has(key) || key === userDn.toLowerCase()) continue;
            found.set(key, nameOf(e));
            next.push(e.dn);
          }
        }
        frontier = next;
      }
    } else {
      // memberof: read the person's memberOf, then each group's own memberOf for nesting.
      const read = async (dn: string) => (await this.search(dn, '(objectClass=*)', { scope: 'base', attributes: ['memberOf', s.groupNameAttribute] }))[0];
      const user = await read(userDn);
      let frontier = user ? all(user, 'memberOf') : [];
      for (let level = 0; frontier.length && found.size < cap; level++) {
        const next: string[] = [];
        for (const dn of frontier) {
          const key = dn.toLowerCase();
          if (found.has(key)) continue;
          const group = await read(dn).catch((err) => {
            if (err instanceof DirectoryError && err.reason === 'base_not_found') return undefined; // a dangling memberOf value
            throw err;
          });
          found.set(key, group ? nameOf(group) : dn.split(',')[0].replace(/^[^=]+=/, ''));
          if (group && level < s.groupNestingDepth) next.push(...all(group, 'memberOf'));
        }
        frontier = next;
      }
    }
    const dns = [...found.keys()];
    return { names: [...new Set(found.values())].sort(), dns: dns.sort() };
  }

  /**
   * Whether `password` is the person's: a bind as their DN on a connection of its own (the
   * service connection stays bound as the service account). An empty password is refused
   * without asking the server: to LDAP it is an unauthenticated bind, which "succeeds".
   */
  async checkPassword(dn: string, password: string): Promise<boolean> {
    if (!password || !dn) return false;
    const client = newClient(this.settings);
    try {
      await deadline(connectAndSecure(client, this.settings), this.settings, 'connect');
      await deadline(client.bind(dn, password), this.settings, 'bind');
      return true;
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return false;
      const e = classifyError(err, 'bind');
      if (e.reason === 'bind') return false;
      throw e;
    } finally {
      await closeClient(client);
    }
  }

  async close(): Promise<void> {
    await closeClient(this.client);
  }
}

function newClient(settings: LdapSettings): Client {
  const host = new URL(settings.url).hostname.replace(/^\[|\]$/g, '');
  return new Client({
    url: settings.url.replace(/\/$/, ''),
    connectTimeout: settings.connectTimeoutSeconds * 1000,
    timeout: settings.timeoutSeconds * 1000,
    // ldapts speaks TLS from the first byte whenever tlsOptions are given: only for ldaps://.
    ...(settings.url.startsWith('ldaps:') ? { tlsOptions: tlsOptions(settings, host) } : {}),
    strictDN: false,
  });
}

async function connectAndSecure(client: Client, settings: LdapSettings): Promise<void> {
  try {
    if (settings.startTls) {
      const host = new URL(settings.url).hostname.replace(/^\[|\]$/g, '');
      await client.startTLS(tlsOptions(settings, host));
    }
    // Without StartTLS, ldapts connects on the first operation (the bind).
  } catch (err) {
    throw classifyError(err, 'connect');
  }
}

async function closeClient(client: Client): Promise<void> {
  await Promise.race([client.unbind().catch(() => {}), new Promise((r) => setTimeout(r, 1_000).unref())]);
}

/**
 * Bounds a step by the settings' limits, whatever the library does: a TLS handshake that
 * never finishes or a server that accepts the connection and stays silent ends as `timeout`.
 */
async function deadline<T>(p: Promise<T>, settings: LdapSettings, stage: 'connect' | 'bind' | 'search'): Promise<T> {
  const ms = (stage === 'connect' ? settings.connectTimeoutSeconds : settings.connectTimeoutSeconds + settings.timeoutSeconds) * 1000 + 500;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DirectoryError('timeout')), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
