import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInvoices, invoicePdf } from '../../scripts/train/synthetic-invoices';
import { browserMissing, launchBrowser, type Observations, observedContext, type RunningFolio, startFolio } from './browser';

/**
 * Reviewing extracted fields in a real browser: an administrator raises the review
 * threshold, uploads two invoices, opens the first from the review queue, picks words off
 * the page image into a field, moves between fields from the keyboard and confirms with
 * Ctrl+Enter, lands on the next document and confirms it with Enter. No console errors,
 * no CSP violations.
 */

const OWNER = { name: 'Rita Reviewer', email: 'rita@ledger.example', password: 'copper-Ledger-5521' };

describe.skipIf(browserMissing())('review screen in Chromium', () => {
  let folio: RunningFolio;
  let browser: Browser;
  let context: BrowserContext;
  let seen: Observations;
  let page: Page;
  let orgPath = '';
  let secondReview = '';
  let firstName = '';
  let secondName = '';

  beforeAll(async () => {
    [folio, browser] = await Promise.all([startFolio(), launchBrowser()]);
    ({ context, seen } = await observedContext(browser, folio.origin));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await folio?.stop();
  });

  /** The value of a field input on the review screen. */
  const field = (name: string) => page.locator(`[data-field-input="${name}"]`);

  it('sets up an organization whose every invoice waits for review', async () => {
    await page.goto('/');
    await page.getByLabel('Organization name').fill('Ledger & Co');
    await page.getByLabel('Your name').fill(OWNER.name);
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await Promise.all([page.waitForURL(/\/o\/[^/]+$/), page.getByRole('button', { name: 'Create organization' }).click()]);
    orgPath = new URL(page.url()).pathname;

    await page.goto(`${orgPath}/settings/extraction`);
    await page.getByLabel('Review threshold (%)').fill('100');
    await Promise.all([page.waitForURL(`**${orgPath}/settings/extraction`), page.getByRole('button', { name: 'Save threshold' }).click()]);
    await expect(page.locator('main .notice').textContent()).resolves.toContain('Review threshold set to 100%');

    await page.goto(`${orgPath}/documents`);
    const [a, b] = generateInvoices(11, 2);
    await page.setInputFiles('#f-upload', [
      { name: 'first-invoice.pdf', mimeType: 'application/pdf', buffer: Buffer.from(invoicePdf(a)) },
      { name: 'second-invoice.pdf', mimeType: 'application/pdf', buffer: Buffer.from(invoicePdf(b)) },
    ]);
    await page.locator('tbody tr', { hasText: 'second-invoice.pdf' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr.docrow--needs_review').length === 2, undefined, { timeout: 60_000 });
    await expect(page.locator('tbody tr.docrow--needs_review .status').first().textContent()).resolves.toBe('Needs review');
  });

  it('opens the first invoice from the queue, fills a field by clicking words on the page, and confirms with Ctrl+Enter', async () => {
    await page.reload();
    await expect(page.locator('.sidenav').getByRole('link', { name: 'Review (2)' }).isVisible()).resolves.toBe(true);
    await Promise.all([page.waitForURL(`**${orgPath}/review`), page.locator('.sidenav').getByRole('link', { name: 'Review (2)' }).click()]);
    const rows = page.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    // Both went up at once: the queue shows them oldest first, whichever that is.
    firstName = (await rows.first().locator('.docname').textContent())!;
    secondName = firstName === 'first-invoice.pdf' ? 'second-invoice.pdf' : 'first-invoice.pdf';
    await expect(rows.nth(1).locator('.docname').textContent()).resolves.toBe(secondName);
    await Promise.all([page.waitForURL('**/review'), rows.first().locator('.docname').click()]);
    expect(new URL(page.url()).pathname).toMatch(/\/documents\/[^/]+\/review$/);
    const firstReview = page.url();

    // The script places the boxes over a loaded page image.
    await page.waitForFunction(() => (document.querySelector('.rpage img') as HTMLImageElement | null)?.naturalWidth! > 0);
    await page.locator('[data-review-pages].is-enhanced').waitFor();

    // Focusing a field highlights its box on the page.
    await field('vendorName').focus();
    await expect(page.locator('[data-field-row="vendorName"]').getAttribute('class')).resolves.toContain('is-active');
    const vendorBox = page.locator('.fieldbox[data-field="vendorName"]');
    if (await vendorBox.count()) {
      await expect(vendorBox.getAttribute('class')).resolves.toContain('is-active');
      const [box, img] = await Promise.all([vendorBox.boundingBox(), page.locator('.rpage img').first().boundingBox()]);
      // Placed inside the image, from its normalized box.
      expect(box!.width).toBeGreaterThan(1);
      expect(box!.x).toBeGreaterThanOrEqual(img!.x - 1);
      expect(box!.x + box!.width).toBeLessThanOrEqual(img!.x + img!.width + 1);
    }

    // Alt+↓ moves on while typing; Escape leaves the field and j/k move without typing.
    await page.keyboard.press('Alt+ArrowDown');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-field-input'))).resolves.toBe('vendorAddress');
    await page.keyboard.press('Escape');
    await page.keyboard.press('k');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-field-input'))).resolves.toBe('vendorName');
    await page.keyboard.press('Alt+ArrowDown');
    await page.keyboard.press('Escape');
    await page.keyboard.press('j');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-field-input'))).resolves.toBe('vendorTaxId');

    // Click a word: the focused field takes it; Shift+click appends the next one.
    await field('poNumber').focus();
    const words = page.locator('.rpage-words .word');
    const w0 = (await words.nth(0).textContent())!;
    const w1 = (await words.nth(1).textContent())!;
    await words.nth(0).click();
    await expect(field('poNumber').inputValue()).resolves.toBe(w0);
    await words.nth(1).click({ modifiers: ['Shift'] });
    await expect(field('poNumber').inputValue()).resolves.toBe(`${w0} ${w1}`);
    // The focus stayed in the field; the field's page and box follow the picked words.
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-field-input'))).resolves.toBe('poNumber');
    await expect(page.locator('input[name="p.poNumber"]').inputValue()).resolves.toBe('1');
    const box = (await page.locator('input[name="b.poNumber"]').inputValue()).split(',').map(Number);
    expect(box).toHaveLength(4);
    expect(box.every((n) => n >= 0 && n <= 1)).toBe(true);
    await expect(page.locator('.fieldbox.is-active[data-field="poNumber"]').count()).resolves.toBe(1);
    await expect(page.locator('.word.is-picked').count()).resolves.toBe(2);
    await expect(page.locator('#fld-poNumber-meta').textContent()).resolves.toBe('Picked from page 1.');
    await page.screenshot({ path: '/tmp/folio-review.png', fullPage: true });

    // Ctrl+Enter confirms and goes to the next document in the queue.
    await Promise.all([page.waitForURL((u) => u.href !== firstReview && u.pathname.endsWith('/review')), page.keyboard.press('Control+Enter')]);
    await expect(page.locator('main .notice').textContent()).resolves.toBe(`${firstName} confirmed. Here is the next document.`);
    await expect(page.locator('main h1').textContent()).resolves.toBe(`Review: ${secondName}`);
    await expect(page.locator('.sidenav').getByRole('link', { name: 'Review (1)' }).count()).resolves.toBe(1);

    secondReview = page.url();

    // The first is ready and keeps the picked value.
    const firstId = new URL(firstReview).pathname.split('/').at(-2)!;
    const doc = await (await page.request.get(`/api/v1/orgs/${orgPath.split('/')[2]}/documents/${firstId}`)).json();
    expect(doc.status).toBe('ready');
    await page.goto(firstReview);
    await expect(field('poNumber').inputValue()).resolves.toBe(`${w0} ${w1}`);
    await expect(page.locator('main h1 + .actions .status, .pagehead .status').first().textContent()).resolves.toBe('Ready');
  });

  it('confirms the last one with Enter in a field and returns to the empty queue', async () => {
    await page.goto(secondReview);
    await page.locator('[data-review-pages].is-enhanced').waitFor();
    await field('invoiceNumber').focus();
    await Promise.all([page.waitForURL(`**${orgPath}/review`), page.keyboard.press('Enter')]);
    await expect(page.locator('main .notice').textContent()).resolves.toBe(`${secondName} confirmed.`);
    await expect(page.locator('main').textContent()).resolves.toContain('Nothing waits for review.');
    await expect(page.locator('.sidenav a[aria-current="page"]').textContent()).resolves.toBe('Review');
    await page.screenshot({ path: '/tmp/folio-review-queue.png', fullPage: true });
  });

  it('creates a custom document type with an added field row', async () => {
    await page.goto(`${orgPath}/settings/extraction`);
    await Promise.all([page.waitForURL('**/types/new'), page.getByRole('link', { name: 'New type' }).click()]);
    await page.getByLabel('Name', { exact: true }).fill('Purchase order');
    await page.getByLabel('Key', { exact: true }).fill('purchase_order');
    await page.getByLabel('Keywords', { exact: true }).fill('purchase order, PO number');
    const rows = page.locator('[data-typefield]');
    const before = await rows.count();
    await page.getByRole('button', { name: 'Add field' }).click();
    await expect(rows.count()).resolves.toBe(before + 1);
    await page.getByLabel(`Name of field ${before + 1}`).fill('poNumber');
    await page.getByLabel(`Label of field ${before + 1}`).fill('PO number');
    await page.getByLabel(`Printed labels of field ${before + 1}`).fill('PO, Order no');
    await Promise.all([page.waitForURL(`**${orgPath}/settings/extraction`), page.getByRole('button', { name: 'Create type' }).click()]);
    await expect(page.locator('main .notice').textContent()).resolves.toBe('Document type Purchase order created.');
    await expect(page.locator('tr[data-type="purchase_order"]').textContent()).resolves.toContain('PO number');
    await page.screenshot({ path: '/tmp/folio-extraction-settings.png', fullPage: true });
  });

  it('runs the review pages without console errors, CSP violations or outside requests', async () => {
    expect(seen.csp).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.failed).toEqual([]);
    expect(seen.httpErrors).toEqual([]);
    expect(seen.requests.filter((u) => !u.startsWith(`${folio.origin}/`))).toEqual([]);
    expect(seen.requests).toContain(`${folio.origin}/assets/review.js`);
  });
});
