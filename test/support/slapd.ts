import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'ldapts';

/** Where Debian's slapd package puts the server. CI installs it, so the LDAP suites never skip there. */
export const SLAPD = '/usr/sbin/slapd';
export const HAS_SLAPD = existsSync(SLAPD);
/** Why the LDAP suites are skipped on a machine without slapd (never in CI). */
export const NO_SLAPD = `${SLAPD} is not installed (apt-get install slapd ldap-utils): the LDAP tests against a real directory are skipped`;

export const SUFFIX = 'dc=example,dc=org';
export const ADMIN_DN = `cn=admin,${SUFFIX}`;
export const ADMIN_PASSWORD = 'slapd-admin-secret';

export interface SlapdTls {
  /** PEM files slapd serves. */
  certFile: string;
  keyFile: string;
}

export interface Slapd {
  /** `ldap://127.0.0.1:<port>` */
  url: string;
  /** `ldaps://127.0.0.1:<port>` when started with TLS. */
  ldapsUrl?: string;
  /** Applies LDIF as `ldapmodify -a` would (adds, modifies, deletes), bound as the directory administrator. */
  apply(ldif: string): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/**
 * Starts a real OpenLDAP server on 127.0.0.1 (a free port) from a temporary slapd.conf:
 * the core, cosine, inetorgperson and nis schemas, an mdb database under `SUFFIX`, the
 * memberof overlay, and access rules under which anonymous clients may only bind (so
 * searches prove the service account's bind). With `tls`, an ldaps:// listener too and
 * StartTLS on the plain one. `ldif` is loaded before this resolves.
 */
export async function startSlapd(opts: { ldif?: string; tls?: SlapdTls } = {}): Promise<Slapd> {
  const dir = mkdtempSync(path.join(tmpdir(), 'folio-slapd-'));
  mkdirSync(path.join(dir, 'db'));
  const conf = [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'moduleload memberof',
    `pidfile ${dir}/slapd.pid`,
    `argsfile ${dir}/slapd.args`,
    ...(opts.tls ? [`TLSCertificateFile ${opts.tls.certFile}`, `TLSCertificateKeyFile ${opts.tls.keyFile}`] : []),
    'database mdb',
    'maxsize 33554432',
    `suffix "${SUFFIX}"`,
    `rootdn "${ADMIN_DN}"`,
    `rootpw ${ADMIN_PASSWORD}`,
    `directory ${dir}/db`,
    'overlay memberof',
    'access to attrs=userPassword by anonymous auth by * none',
    'access to * by users read by * none',
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'slapd.conf'), conf);
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = tlsPort ? `ldaps://127.0.0.1:${tlsPort}` : undefined;
  const listeners = [`${url}/`, ...(ldapsUrl ? [`${ldapsUrl}/`] : [])].join(' ');
  // -d keeps slapd in the foreground (so it dies with its process handle); 0 logs nothing extra.
  const child: ChildProcess = spawn(SLAPD, ['-d', '0', '-h', listeners, '-f', path.join(dir, 'slapd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when the administrator can bind.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`slapd exited at start: ${stderr}`);
    }
    const client = new Client({ url, connectTimeout: 500, timeout: 1_000 });
    try {
      await client.bind(ADMIN_DN, ADMIN_PASSWORD);
      await client.unbind();
      break;
    } catch {
      await client.unbind().catch(() => {});
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`slapd did not start in time: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const apply = async (ldif: string) => {
    await run('ldapmodify', ['-a', '-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD], ldif);
  };
  try {
    if (opts.ldif) await apply(opts.ldif);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, ldapsUrl, apply, stop };
}

/**
 * A throwaway certificate authority and a server certificate it signed for 127.0.0.1, made
 * with openssl; plus a second, unrelated authority for the "wrong CA" case.
 */
export async function makeTestCertificates(): Promise<{ dir: string; tls: SlapdTls; caPem: string; otherCaPem: string; cleanup(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'folio-ldap-tls-'));
  const p = (f: string) => path.join(dir, f);
  const ca = async (name: string) => {
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', p(`${name}.key`), '-out', p(`${name}.pem`)]);
  };
  await ca('folio-test-ca');
  await ca('folio-other-ca');
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', p('server.key'), '-out', p('server.csr')]);
  writeFileSync(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', [
    'x509', '-req', '-in', p('server.csr'), '-CA', p('folio-test-ca.pem'), '-CAkey', p('folio-test-ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', p('ext.cnf'), '-out', p('server.pem'),
  ]);
  return {
    dir,
    tls: { certFile: p('server.pem'), keyFile: p('server.key') },
    caPem: readFileSync(p('folio-test-ca.pem'), 'utf8'),
    otherCaPem: readFileSync(p('folio-other-ca.pem'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
