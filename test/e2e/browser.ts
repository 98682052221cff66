import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildConfig } from '../../src/config';
import { startServer } from '../../src/main';

/** Debian's Chromium; CI installs it (.ci/run). Playwright's own browser downloads are never used. */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Whether the browser suite should be skipped: only on a developer machine without Chromium.
 * In CI a missing browser is a failure, never a skip.
 */
export function browserMissing(): boolean {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') return false;
  console.warn(`\n[e2e] SKIPPED: ${CHROMIUM} not found. Install it (apt-get install -y chromium) to run the browser tests.\n`);
  return true;
}

export interface RunningFolio {
  origin: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * A real Folio server as `folio serve` runs it, on 127.0.0.1 and a free port, over a fresh
 * SQLite database in a temporary data directory. The process environment is not read, so a
 * DATABASE_URL set for other suites cannot leak in.
 */
export async function startFolio(): Promise<RunningFolio> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'folio-e2e-'));
  const config = buildConfig({ server: { host: '127.0.0.1', port: 0 }, dataDir, log: { level: 'silent' } }, {}, dataDir);
  const { server, close } = await startServer(config);
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    dataDir,
    async stop() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Launches Chromium headless. Playwright gives every launch a fresh, temporary user-data
 * directory and removes it on close; each `newContext()` is a further isolated profile
 * (own cookies and storage), used here as a second person's browser.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 20_000 });
}

/** What the pages of a context did that a user (or a security review) would notice. */
export interface Observations {
  /** console.error messages and uncaught page errors, with the page they happened on. */
  errors: string[];
  /** Content-Security-Policy violations, from the console and from `securitypolicyviolation` events. */
  csp: string[];
  /** Every URL the browser requested. */
  requests: string[];
  /** Responses with status 400 or above: `<status> <resource type> <url>`. */
  httpErrors: string[];
  /** Requests that failed at the network level (refused, aborted, blocked). */
  failed: string[];
}

// Chromium's console line for any response >= 400, pages included; those are in `httpErrors`,
// where a deliberate status (401 for a wrong password) can be told from a missing asset.
const HTTP_STATUS_MESSAGE = /^Failed to load resource: the server responded with a status of \d{3}/;

// Runs before any page script and outside the page's CSP; reports violations to the console.
const CSP_PROBE = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});`;

const CSP_MESSAGE = /content security policy|CSP violation/i;

/**
 * Opens an isolated browser context and records, for every page in it, console errors,
 * page errors, CSP violations and every request.
 */
export async function observedContext(browser: Browser, origin: string): Promise<{ context: BrowserContext; seen: Observations }> {
  const context = await browser.newContext({ baseURL: origin, viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  context.setDefaultTimeout(10_000);
  await context.addInitScript(CSP_PROBE);
  const seen: Observations = { errors: [], csp: [], requests: [], httpErrors: [], failed: [] };
  context.on('request', (r) => void seen.requests.push(r.url()));
  context.on('response', (r) => {
    if (r.status() >= 400) seen.httpErrors.push(`${r.status()} ${r.request().resourceType()} ${r.url()}`);
  });
  context.on('requestfailed', (r) => {
    // The browser's own favicon fetch is cancelled when the test navigates on before it ends.
    if (r.failure()?.errorText === 'net::ERR_ABORTED' && new URL(r.url()).pathname === '/assets/favicon.svg') return;
    seen.failed.push(`${r.url()}: ${r.failure()?.errorText}`);
  });
  context.on('page', (page) => watchPage(page, seen));
  return { context, seen };
}

function watchPage(page: Page, seen: Observations) {
  page.on('console', (msg) => {
    const text = msg.text();
    if (CSP_MESSAGE.test(text)) seen.csp.push(`${page.url()}: ${text}`);
    else if (msg.type() === 'error' && !HTTP_STATUS_MESSAGE.test(text)) seen.errors.push(`${page.url()}: ${text}`);
  });
  page.on('pageerror', (err) => void seen.errors.push(`${page.url()}: uncaught ${err.message}`));
}
