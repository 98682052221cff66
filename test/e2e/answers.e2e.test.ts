import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeChatRequest, type FakeOllama, startFakeOllama } from '../support/ollama-server';
import { browserMissing, launchBrowser, type Observations, observedContext, type RunningFolio, startFolio } from './browser';

/**
 * Asking in a real browser: an administrator points Folio at an Ollama server (a test
 * server speaking Ollama's wire format, with a delay between words), the health panel says
 * it answers; a question asked on the search page streams in word by word before the
 * final answer replaces it with citation links and sources; a citation opens the document
 * at the cited page with the quoted sentence marked; a follow-up and feedback work on the
 * thread page. No console errors, no CSP violations, nothing fetched from elsewhere.
 */

const OWNER = { name: 'Avery Asker', email: 'avery@archive.example', password: 'cobalt-Beacon-5521' };

const LIGHTHOUSE = 'Coastal stations\n\nThe station log for the winter season.\f\nThe lighthouse keeper climbs the tower at dusk\nand records every passing ship in the lighthouse log. The lamp burns until dawn.';

/** Like a model that follows the prompt: the first sentence of passage 1, cited as [1]. */
function citingReply(req: FakeChatRequest): string {
  const last = req.messages[req.messages.length - 1]?.content ?? '';
  const m = /<<BEGIN PASSAGE 1>>[^\n]*\n([\s\S]*?)\n<<END PASSAGE 1>>/.exec(last);
  if (!m) return 'The documents I can see do not answer this.';
  return `${m[1].split(/(?<=[.!?])\s+/)[0]} [1]`;
}

describe.skipIf(browserMissing())('answers in Chromium', () => {
  let folio: RunningFolio;
  let ollama: FakeOllama;
  let browser: Browser;
  let context: BrowserContext;
  let seen: Observations;
  let page: Page;
  let orgPath = '';

  beforeAll(async () => {
    [folio, browser, ollama] = await Promise.all([startFolio(), launchBrowser(), startFakeOllama({ reply: citingReply, tokenDelayMs: 120 })]);
    ({ context, seen } = await observedContext(browser, folio.origin));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await folio?.stop();
    await ollama?.stop();
  });

  it('sets up an organization with a processed document and points it at the Ollama server', async () => {
    await page.goto('/');
    await page.getByLabel('Organization name').fill('Coast Answers');
    await page.getByLabel('Your name').fill(OWNER.name);
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await Promise.all([page.waitForURL(/\/o\/[^/]+$/), page.getByRole('button', { name: 'Create organization' }).click()]);
    orgPath = new URL(page.url()).pathname;

    await page.goto(`${orgPath}/documents`);
    await page.setInputFiles('#f-upload', [{ name: 'lighthouse.txt', mimeType: 'text/plain', buffer: Buffer.from(LIGHTHOUSE) }]);
    await page.locator('tbody tr', { hasText: 'lighthouse.txt' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr.docrow--ready').length === 1, undefined, { timeout: 60_000 });

    // From the settings navigation to the answer settings.
    await page.locator('.sidenav').getByRole('link', { name: 'Settings' }).click();
    await Promise.all([page.waitForURL(`**${orgPath}/settings/answers`), page.getByRole('link', { name: 'Answer settings' }).click()]);
    await page.getByLabel('Ollama URL').fill(ollama.url);
    await Promise.all([page.waitForURL(`**${orgPath}/settings/answers`), page.getByRole('button', { name: 'Save' }).click()]);
    await expect(page.locator('main > .notice').textContent()).resolves.toBe('Answer settings saved.');
    // The health panel checks the server once the page has loaded.
    await page.locator('#answers-health [data-health="ok"]').waitFor();
    await expect(page.locator('[data-health-reachable]').textContent()).resolves.toBe('Yes');
    await expect(page.locator('[data-health-model]').textContent()).resolves.toBe('Yes installed');
  });

  it('streams the answer in on the search page, then shows it with citation links and sources', async () => {
    await Promise.all([page.waitForURL(`**${orgPath}/search`), page.locator('.sidenav').getByRole('link', { name: 'Search' }).click()]);
    await page.locator('#ask-q').fill('When does the lighthouse keeper climb the tower?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();

    // Words arrive before the answer is complete: some text, no final answer yet.
    const partial = await page.waitForFunction(() => {
      const s = document.querySelector('#ask-output [data-ask-stream]');
      return s && s.textContent!.trim().split(/\s+/).length >= 2 && !document.querySelector('#ask-output [data-answer]') ? s.textContent : null;
    }, undefined, { timeout: 10_000 });
    const streamed = (await partial.jsonValue()) as string;
    await expect(page.locator('#ask-output [data-ask-status]').textContent()).resolves.toBe('Reading 1 passage from 1 document…');

    const cite = page.locator('#ask-output [data-answer] a.cite').first();
    await cite.waitFor();
    const answer = (await page.locator('#ask-output .answer-text').textContent())!;
    expect(answer).toMatch(/^The lighthouse keeper climbs the tower at dusk and records every passing ship in the lighthouse log\.\s*\[1\]$/);
    expect(streamed.trim().length).toBeLessThan(answer.length);
    expect(answer.startsWith(streamed.trim())).toBe(true);
    await expect(page.locator('#ask-output [data-ask-stream]').count()).resolves.toBe(0);
    await expect(page.locator('#ask-output [data-answer-degraded]').count()).resolves.toBe(0);
    await expect(page.locator('#ask-output [data-answer-cached]').count()).resolves.toBe(0);
    await expect(page.locator('#ask-output .sources li').textContent()).resolves.toMatch(/^lighthouse\.txt, page 2The lighthouse keeper climbs the tower at dusk/);
    await page.screenshot({ path: '/tmp/folio-answer.png', fullPage: true });

    // The citation opens the document at the cited page, the quoted sentence marked and on screen.
    const href = (await cite.getAttribute('href'))!;
    const quote = new URL(href, folio.origin).searchParams.get('quote')!;
    await Promise.all([page.waitForURL(/\/documents\/[^/?]+\?page=2&hl=[^&]+&quote=[^#]+#page-2$/), cite.click()]);
    const mark = page.locator('#page-2 mark.quote');
    await expect(mark.textContent().then((s) => s!.replace(/\s+/g, ' '))).resolves.toBe(quote);
    await expect(page.locator('#page-1 mark').count()).resolves.toBe(0);
    await expect(mark.isVisible()).resolves.toBe(true);
    const box = await mark.boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeLessThan(800);
    await page.screenshot({ path: '/tmp/folio-answer-citation.png' });
  });

  it('summarizes the document from its page, and says when an answer came from the cache', async () => {
    await page.getByRole('button', { name: 'Summarize this document' }).click();
    await page.locator('#ask-output [data-answer] a.cite').first().waitFor();
    await expect(page.locator('#ask-output .sources li').first().textContent()).resolves.toContain('lighthouse.txt, page 1');

    // The same question about this document twice: the second answer comes from the cache.
    const ask = async () => {
      await page.locator('#ask-q').fill('What does the keeper record?');
      await page.getByRole('button', { name: 'Ask', exact: true }).click();
      await page.locator('#ask-output [data-answer] a.cite').first().waitFor();
    };
    await ask();
    await expect(page.locator('#ask-output [data-answer-cached]').count()).resolves.toBe(0);
    await ask();
    await page.locator('#ask-output [data-answer-cached]').waitFor();
  });

  it('continues the conversation on the thread page and takes feedback', async () => {
    await Promise.all([page.waitForURL(/\/answers\/[^/?#]+$/), page.locator('#ask-output [data-thread-link]').click()]);
    await expect(page.locator('.qa').count()).resolves.toBe(1);
    await page.locator('#ask-q').fill('And when does the lamp stop burning?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('.qa').length === 2, undefined, { timeout: 10_000 });
    await expect(page.locator('.qa .qa-q').allTextContents()).resolves.toEqual(['What does the keeper record?', 'And when does the lamp stop burning?']);
    await expect(page.locator('#ask-output').textContent()).resolves.toBe('');

    const second = page.locator('.qa').nth(1);
    await second.getByRole('button', { name: 'Helpful', exact: true }).click();
    await second.locator('[data-rating="up"][aria-pressed="true"]').waitFor();
    await expect(second.getByRole('status').textContent()).resolves.toBe('Thank you: your feedback is saved.');
    await page.screenshot({ path: '/tmp/folio-answer-thread.png', fullPage: true });
    await page.reload();
    await expect(page.locator('.qa').nth(1).locator('[data-rating="up"]').getAttribute('aria-pressed')).resolves.toBe('true');
  });

  it('runs the answer pages without console errors, CSP violations or outside requests', async () => {
    expect(seen.csp).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.failed).toEqual([]);
    expect(seen.httpErrors).toEqual([]);
    expect(seen.requests.filter((u) => !u.startsWith(`${folio.origin}/`))).toEqual([]);
    expect(seen.requests).toContain(`${folio.origin}/assets/ask.js`);
  });
});
