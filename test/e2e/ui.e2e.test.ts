import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchBrowser, type Observations, observedContext, type RunningFolio, startFolio } from './browser';
import { makePdf } from '../support/pdf';

/**
 * The web UI as people use it, in a real browser against a real server: first-run setup,
 * signing out and in, inviting a colleague and changing their role with htmx, uploading
 * documents and reading one. Every page
 * must run without console errors, CSP violations or requests leaving the server.
 */

const ORG = 'Harbor Records';
const OWNER = { name: 'Olivia Owner', email: 'olivia@harbor.example', password: 'violet-Harbor-4417' };
const COLLEAGUE = { name: 'Carl Colleague', email: 'carl@harbor.example', password: 'amber-Lantern-9086' };
const SCREENSHOT = '/tmp/folio-members.png';

describe.skipIf(browserMissing())('web UI in Chromium', () => {
  let folio: RunningFolio;
  let browser: Browser;
  let owner: { context: BrowserContext; seen: Observations; page: Page };
  let colleague: { context: BrowserContext; seen: Observations; page: Page };
  let orgPath = '';
  let inviteLink = '';

  beforeAll(async () => {
    [folio, browser] = await Promise.all([startFolio(), launchBrowser()]);
    const a = await observedContext(browser, folio.origin);
    owner = { ...a, page: await a.context.newPage() };
    const b = await observedContext(browser, folio.origin);
    colleague = { ...b, page: await b.context.newPage() };
  });

  afterAll(async () => {
    await browser?.close();
    await folio?.stop();
  });

  it('leads a fresh install through setup to the new organization', async () => {
    const page = owner.page;
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/setup');
    await expect(page.locator('h1').textContent()).resolves.toBe('Set up Folio');

    await page.getByLabel('Organization name').fill(ORG);
    await page.getByLabel('Your name').fill(OWNER.name);
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await Promise.all([page.waitForURL(/\/o\/[^/]+$/), page.getByRole('button', { name: 'Create organization' }).click()]);

    orgPath = new URL(page.url()).pathname;
    await expect(page.locator('main h1').textContent()).resolves.toBe(ORG);
    await expect(page.locator('main .notice').textContent()).resolves.toContain('Welcome to Folio');
    await expect(page.locator('.topbar .orgswitch summary').textContent()).resolves.toBe(ORG);
    await expect(page.locator('.topbar .usermenu summary').textContent()).resolves.toBe(OWNER.name);
    expect(await page.locator('.sidenav a[aria-current="page"]').textContent()).toBe('Overview');
    // The flash notice is shown once.
    await page.reload();
    expect(await page.locator('main .notice').count()).toBe(0);
  });

  it('signs out, refuses a wrong password without telling whether the email exists, and signs back in', async () => {
    const page = owner.page;
    await page.locator('.usermenu summary').click();
    await Promise.all([page.waitForURL('**/login'), page.getByRole('button', { name: 'Sign out' }).click()]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
    await expect(page.locator('.notice').textContent()).resolves.toContain('signed out');
    await page.goto(orgPath);
    expect(new URL(page.url()).pathname).toBe('/login');

    const attempt = async (email: string, password: string) => {
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
    };

    await attempt(OWNER.email, 'not-the-Password-123');
    const knownEmailError = await page.getByRole('alert').textContent();
    expect(knownEmailError).toBeTruthy();
    expect(new URL(page.url()).pathname).toBe('/login');
    await attempt('nobody@harbor.example', 'not-the-Password-123');
    const unknownEmailError = await page.getByRole('alert').textContent();
    expect(unknownEmailError).toBe(knownEmailError);
    expect(knownEmailError).not.toMatch(/no (such )?account|not found|unknown|does not exist|not registered/i);
    expect(await page.getByLabel('Password').inputValue()).toBe('');

    await attempt(OWNER.email, OWNER.password);
    expect(new URL(page.url()).pathname).toBe(orgPath);
    await expect(page.locator('main h1').textContent()).resolves.toBe(ORG);
  });

  it('invites a colleague who joins as a member from a second browser', async () => {
    const page = owner.page;
    await page.locator('.sidenav').getByRole('link', { name: 'Members' }).click();
    await page.waitForURL(`**${orgPath}/members`);
    await expect(page.locator('#f-role').inputValue()).resolves.toBe('member');
    await page.getByRole('button', { name: 'Create invitation link' }).click();
    inviteLink = await page.locator('input#invite-link').inputValue();
    // The link is a secret: it must not end up in the address bar or history.
    expect(page.url()).not.toContain(new URL(inviteLink).pathname.split('/').pop()!);
    expect(inviteLink.startsWith(`${folio.origin}/invite/`)).toBe(true);
    expect(await page.locator('main .notice').textContent()).toContain('Invitation created');

    const other = colleague.page;
    await other.goto(inviteLink);
    await expect(other.locator('h1').textContent()).resolves.toBe(`Join ${ORG}`);
    await expect(other.locator('main').textContent()).resolves.toContain('invited as member');
    await other.getByLabel('Your name').fill(COLLEAGUE.name);
    await other.getByLabel('Email').fill(COLLEAGUE.email);
    await other.getByLabel('Choose a password').fill(COLLEAGUE.password);
    await Promise.all([other.waitForURL(`**${orgPath}`), other.getByRole('button', { name: 'Create account and join' }).click()]);
    await expect(other.locator('main .notice').textContent()).resolves.toContain(`Welcome to ${ORG}`);
    await expect(other.locator('.stat', { hasText: 'Your role' }).locator('strong').textContent()).resolves.toBe('member');
    await expect(other.locator('.topbar .usermenu summary').textContent()).resolves.toBe(COLLEAGUE.name);
    // Members may see the people list but not change roles or invite.
    await other.goto(`${orgPath}/members`);
    expect(await other.locator('select').count()).toBe(0);
    expect(await other.getByRole('button', { name: 'Create invitation link' }).count()).toBe(0);
  });

  it('changes the colleague to admin with the htmx role select, without a page load, and keeps it', async () => {
    const page = owner.page;
    await page.goto(`${orgPath}/members`);
    const row = page.locator('tbody tr', { hasText: COLLEAGUE.email });
    const select = row.getByLabel(`Role of ${COLLEAGUE.email}`);
    await expect(select.inputValue()).resolves.toBe('member');

    let navigations = 0;
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations++);
    await page.evaluate('globalThis.__samePage = true');
    await select.selectOption('admin');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/role')),
      row.getByRole('button', { name: 'Save' }).click(),
    ]);
    expect(response.status()).toBe(200);
    expect(response.request().headers()['hx-request']).toBe('true');
    // The swapped-in row shows the saved role.
    await page.waitForFunction(`document.querySelector('tbody tr select[aria-label="Role of ${COLLEAGUE.email}"]')?.closest('tr') && !document.querySelector('.htmx-request')`);
    await expect(page.locator('tbody tr', { hasText: COLLEAGUE.email }).getByLabel(`Role of ${COLLEAGUE.email}`).inputValue()).resolves.toBe('admin');
    expect(navigations).toBe(0);
    expect(await page.evaluate('globalThis.__samePage')).toBe(true);
    expect(await page.locator('tbody tr').count()).toBe(2);

    await page.reload();
    await expect(page.locator('tbody tr', { hasText: COLLEAGUE.email }).getByLabel(`Role of ${COLLEAGUE.email}`).inputValue()).resolves.toBe('admin');
    await colleague.page.goto(orgPath);
    await expect(colleague.page.locator('.stat', { hasText: 'Your role' }).locator('strong').textContent()).resolves.toBe('admin');

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('uploads two files from the library, each with its own request, sees both ready and reads one', async () => {
    const page = owner.page;
    await page.locator('.sidenav').getByRole('link', { name: 'Documents' }).click();
    await page.waitForURL(`**${orgPath}/documents`);
    await expect(page.locator('main h1').textContent()).resolves.toBe('All documents');
    // With the script, the plain Upload button gives way to uploads as soon as files are chosen.
    expect(await page.getByRole('button', { name: 'Upload', exact: true }).isVisible()).toBe(false);

    // Each file goes up on its own script request that asks for JSON.
    const uploads: string[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && r.url().endsWith('/documents/upload')) uploads.push(`${r.status()} ${r.request().resourceType()} ${r.request().headers().accept}`);
    });
    await page.setInputFiles('#f-upload', [
      { name: 'harbor-memo.txt', mimeType: 'text/plain', buffer: Buffer.from('Memo: the harbor archive moves to the east wing in May.') },
      { name: 'annual-report.pdf', mimeType: 'application/pdf', buffer: Buffer.from(makePdf([['Harbor Records annual report 2026', 'Visitors: 12,400']])) },
    ]);
    // The list reloads once both are in, and their rows poll until processing is done.
    const rows = page.locator('tbody tr');
    await rows.filter({ hasText: 'annual-report.pdf' }).waitFor();
    await rows.filter({ hasText: 'harbor-memo.txt' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr.docrow--ready').length === 2, undefined, { timeout: 60_000 });
    expect(uploads).toEqual(['201 xhr application/json', '201 xhr application/json']);
    await expect(page.locator('.pager-total').textContent()).resolves.toBe('2 documents');
    await page.screenshot({ path: '/tmp/folio-library.png', fullPage: true });

    await Promise.all([page.waitForURL(`**${orgPath}/documents/*`), page.getByRole('link', { name: 'annual-report.pdf' }).click()]);
    await expect(page.locator('main h1').textContent()).resolves.toBe('annual-report.pdf');
    await expect(page.locator('#page-1 .pagetext').textContent()).resolves.toContain('Harbor Records annual report 2026');
    const preview = page.locator('#page-1 img');
    await preview.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => (document.querySelector('#page-1 img') as HTMLImageElement | null)?.naturalWidth! > 0);
    await expect(page.locator('.meta').textContent()).resolves.toContain('Olivia Owner');
    await page.screenshot({ path: '/tmp/folio-document.png', fullPage: true });
  });

  it('runs every page without console errors, CSP violations or outside requests', async () => {
    for (const { page } of [owner, colleague]) {
      expect(await page.evaluate('typeof htmx')).toBe('object');
    }
    for (const { seen } of [owner, colleague]) {
      expect(seen.csp).toEqual([]);
      expect(seen.errors).toEqual([]);
      expect(seen.failed).toEqual([]);
      // The only error statuses are the deliberate ones: 401 for the wrong passwords.
      expect(seen.httpErrors.filter((e) => e !== `401 document ${folio.origin}/login`)).toEqual([]);
      expect(seen.requests.filter((u) => !u.startsWith(`${folio.origin}/`))).toEqual([]);
    }
    expect(owner.seen.httpErrors).toHaveLength(2);
    const all = [...owner.seen.requests, ...colleague.seen.requests];
    expect(all).toContain(`${folio.origin}/assets/htmx.min.js`);
    expect(all).toContain(`${folio.origin}/assets/folio.css`);
  });
});
