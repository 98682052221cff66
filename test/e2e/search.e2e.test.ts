import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchBrowser, type Observations, observedContext, type RunningFolio, startFolio } from './browser';

/**
 * Searching in a real browser: results appear while typing (no Enter), the address follows
 * the query, ↓ then Enter opens the document at the page of the passage with the words
 * marked, `/` and j/k work from the keyboard, a facet narrows the results, the mode switch
 * searches again, the document's own search box lists its passages. Whether or not the
 * embedding model is installed, all of this holds: the test is about the page, not ranking.
 * No console errors, no CSP violations, nothing fetched from elsewhere.
 */

const OWNER = { name: 'Sam Searcher', email: 'sam@archive.example', password: 'amber-Archive-7719' };

const LIGHTHOUSE = 'Coastal stations\n\nThe station log for the winter season.\f\nThe lighthouse keeper climbs the tower at dusk and records every passing ship in the lighthouse log.';
const BAKERY = 'Bakery rota\n\nThe bakery opens at six; the first loaves come out of the oven at seven.';

describe.skipIf(browserMissing())('search in Chromium', () => {
  let folio: RunningFolio;
  let browser: Browser;
  let context: BrowserContext;
  let seen: Observations;
  let page: Page;
  let orgPath = '';

  beforeAll(async () => {
    [folio, browser] = await Promise.all([startFolio(), launchBrowser()]);
    ({ context, seen } = await observedContext(browser, folio.origin));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await folio?.stop();
  });

  const hits = () => page.locator('#search-results [data-search-hit]');
  const focused = () => page.evaluate(() => ({ hit: document.activeElement?.hasAttribute('data-search-hit') ?? false, text: document.activeElement?.textContent ?? '', id: document.activeElement?.id ?? '' }));

  it('sets up an organization with two processed text documents', async () => {
    await page.goto('/');
    await page.getByLabel('Organization name').fill('Coast Archive');
    await page.getByLabel('Your name').fill(OWNER.name);
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await Promise.all([page.waitForURL(/\/o\/[^/]+$/), page.getByRole('button', { name: 'Create organization' }).click()]);
    orgPath = new URL(page.url()).pathname;

    await page.goto(`${orgPath}/documents`);
    await page.getByLabel('Tags').first().fill('stations');
    // Each upload ends with the page reloading; the next one starts on the reloaded page.
    await Promise.all([page.waitForEvent('load'), page.setInputFiles('#f-upload', [{ name: 'lighthouse.txt', mimeType: 'text/plain', buffer: Buffer.from(LIGHTHOUSE) }])]);
    await page.locator('tbody tr', { hasText: 'lighthouse.txt' }).waitFor();
    await Promise.all([page.waitForEvent('load'), page.setInputFiles('#f-upload', [{ name: 'bakery.txt', mimeType: 'text/plain', buffer: Buffer.from(BAKERY) }])]);
    await page.locator('tbody tr', { hasText: 'bakery.txt' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr.docrow--ready').length === 2, undefined, { timeout: 60_000 });
  });

  it('shows results while typing, then opens the focused result at its page with the words marked', async () => {
    await Promise.all([page.waitForURL(`**${orgPath}/search`), page.locator('.sidenav').getByRole('link', { name: 'Search' }).click()]);
    // The empty search page puts the focus in the box.
    await expect(focused()).resolves.toMatchObject({ id: 'search-q' });
    await page.locator('#search-q').pressSequentially('lighthou', { delay: 40 });
    // No Enter: the results come after a pause in typing, searching the unfinished word as a prefix.
    await page.locator('#search-results [data-search-hit]', { hasText: 'lighthouse.txt' }).waitFor();
    await page.waitForURL((u) => u.search === '?q=lighthou');
    expect(seen.requests.some((u) => u.includes('/search?') && u.includes('prefix=1'))).toBe(true);
    await expect(page.locator('#search-results mark').first().textContent()).resolves.toMatch(/^lighthouse$/i);
    await page.screenshot({ path: '/tmp/folio-search.png', fullPage: true });

    // ↓ from the box moves to the results; on to the lighthouse document, then Enter opens it.
    const names = await hits().allTextContents();
    const at = names.indexOf('lighthouse.txt');
    for (let i = 0; i <= at; i++) await page.keyboard.press('ArrowDown');
    await expect(focused()).resolves.toMatchObject({ hit: true, text: 'lighthouse.txt' });
    await Promise.all([page.waitForURL(/\/documents\/[^/?]+\?page=2&hl=lighthouse#page-2$/), page.keyboard.press('Enter')]);
    await expect(page.locator('#page-2 mark').first().textContent()).resolves.toBe('lighthouse');
    await expect(page.locator('#page-2 mark').count()).resolves.toBe(2);
    await expect(page.locator('#page-1 mark').count()).resolves.toBe(0);
    // The marked word is on screen.
    await expect(page.locator('#page-2 mark').first().isVisible()).resolves.toBe(true);
    const box = await page.locator('#page-2 mark').first().boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeLessThan(800);
    await page.screenshot({ path: '/tmp/folio-search-document.png', fullPage: false });
  });

  it('searches within the document from its own box', async () => {
    await page.locator('#docsearch-q').pressSequentially('tower', { delay: 30 });
    const hit = page.locator('#docsearch-results [data-search-hit]', { hasText: 'Page 2' });
    await hit.waitFor();
    await expect(page.locator('#docsearch-results mark').first().textContent()).resolves.toBe('tower');
    await expect(hit.getAttribute('href')).resolves.toMatch(/\?page=2&hl=tower#page-2$/);
  });

  it('comes back to the search, keeps it in the address, and works from the keyboard', async () => {
    await page.goBack();
    await page.waitForURL((u) => u.pathname === `${orgPath}/search` && u.search === '?q=lighthou');
    await page.locator('#search-results [data-search-hit]').first().waitFor();
    await expect(page.locator('#search-q').inputValue()).resolves.toBe('lighthou');

    // Enter runs the finished search: pushed to the history, no prefix.
    await page.locator('#search-q').fill('lighthouse keeper');
    await Promise.all([page.waitForURL((u) => u.search === '?q=lighthouse+keeper'), page.keyboard.press('Enter')]);
    await page.locator('#search-results [data-search-hit]', { hasText: 'lighthouse.txt' }).waitFor();

    // Outside the box, / focuses it and j/k move through the results.
    await page.locator('h1').click();
    await page.keyboard.press('/');
    await expect(focused()).resolves.toMatchObject({ id: 'search-q' });
    await page.locator('h1').click();
    await page.keyboard.press('j');
    await expect(focused()).resolves.toMatchObject({ hit: true });
    const first = (await focused()).text;
    expect(first).toBe((await hits().allTextContents())[0]);
    if ((await hits().count()) > 1) {
      await page.keyboard.press('j');
      await expect(focused()).resolves.toMatchObject({ hit: true, text: (await hits().allTextContents())[1] });
      await page.keyboard.press('k');
      await expect(focused()).resolves.toMatchObject({ hit: true, text: first });
    }
    // ↑ from the first result goes back to the box.
    await page.keyboard.press('ArrowUp');
    await expect(focused()).resolves.toMatchObject({ id: 'search-q' });
  });

  it('narrows by a facet and switches the mode, keeping each in the address', async () => {
    await Promise.all([page.waitForURL((u) => u.searchParams.get('tags') === 'stations'), page.locator('[data-facet="tags:stations"]').first().click()]);
    await expect(hits().allTextContents()).resolves.toEqual(['lighthouse.txt']);
    await expect(page.locator('.activefilters').textContent()).resolves.toContain('Tags: stations');
    // Back and Forward step through searches (htmx reloads each from the server).
    await page.goBack();
    await page.waitForURL((u) => u.search === '?q=lighthouse+keeper');
    // The address changes at once; the results follow when htmx has restored them.
    await page.locator('.activefilters').waitFor({ state: 'detached' });
    await page.locator('#search-results [data-facet="tags:stations"]').first().waitFor();
    await page.goForward();
    await page.waitForURL((u) => u.searchParams.get('tags') === 'stations');
    await page.locator('.activefilters').waitFor();
    await expect(hits().allTextContents()).resolves.toEqual(['lighthouse.txt']);

    await Promise.all([page.waitForURL((u) => u.searchParams.get('mode') === 'keyword' && u.searchParams.get('tags') === 'stations'), page.locator('#search-mode').selectOption('keyword')]);
    await expect(hits().allTextContents()).resolves.toEqual(['lighthouse.txt']);
    // Typing again keeps the filter, which lives in the results but belongs to the form.
    await page.locator('#search-q').fill('');
    await page.locator('#search-q').pressSequentially('oven', { delay: 30 });
    await page.waitForURL((u) => u.searchParams.get('q') === 'oven' && u.searchParams.get('tags') === 'stations');
    await page.locator('#search-results .empty').waitFor();
    await expect(hits().count()).resolves.toBe(0);

    // A bookmark of the search opens the same page, without JavaScript's help.
    const url = page.url();
    const fresh = await context.newPage();
    await fresh.goto(url);
    await expect(fresh.locator('#search-q').inputValue()).resolves.toBe('oven');
    await expect(fresh.locator('#search-mode').inputValue()).resolves.toBe('keyword');
    await expect(fresh.locator('.activefilters').textContent()).resolves.toContain('Tags: stations');
    await fresh.close();

    // Semantic search either answers or says why it cannot, and falls back to words.
    await page.locator('#search-mode').selectOption('semantic');
    await page.waitForURL((u) => u.searchParams.get('mode') === 'semantic');
    await page.locator('#search-results .pager-total').waitFor();
    const notice = page.locator('#search-results [data-search-notice]');
    if (await notice.count()) await expect(notice.textContent()).resolves.toContain('Semantic search is unavailable');
  });

  it('runs the search pages without console errors, CSP violations or outside requests', async () => {
    expect(seen.csp).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.failed.filter((f) => !/\/search\?.*net::ERR_ABORTED$/.test(f))).toEqual([]);
    expect(seen.httpErrors).toEqual([]);
    expect(seen.requests.filter((u) => !u.startsWith(`${folio.origin}/`))).toEqual([]);
    expect(seen.requests).toContain(`${folio.origin}/assets/search.js`);
  });
});
