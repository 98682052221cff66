import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildDocx, buildEml, buildPptx, buildXlsx, patchDeclaredSizes } from './formats.fixtures';
import { extractText, FormatError, type FormatErrorCode } from './index';

/** Runs `fn` and returns the FormatError it throws (fails the test on anything else). */
async function formatError(fn: () => Promise<unknown>): Promise<FormatError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError');
}

async function expectCode(fn: () => Promise<unknown>, code: FormatErrorCode, message?: RegExp) {
  const err = await formatError(fn);
  expect(err.code).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err;
}

const allText = (r: { pages: { text: string }[] }) => r.pages.map((p) => p.text).join('\n');

describe('extractText: text and Markdown', () => {
  it('splits long text into numbered pages at paragraph breaks, and honours form feeds', async () => {
    const paragraph = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(10);
    const text = Array.from({ length: 30 }, (_, i) => `Section ${i + 1}. ${paragraph}`).join('\n\n');
    const result = await extractText('text', strToU8(`${text}\fAppendix on its own page`), { pageChars: 2000 });
    expect(result.pages.length).toBeGreaterThan(5);
    expect(result.pages.map((p) => p.number)).toEqual(result.pages.map((_, i) => i + 1));
    for (const page of result.pages) expect(page.text.length).toBeLessThanOrEqual(2000);
    expect(result.pages[0].text.startsWith('Section 1.')).toBe(true);
    expect(result.pages.at(-1)!.text).toBe('Appendix on its own page');
    expect(allText(result)).toContain('Section 30.');
  });

  it('reads UTF-16 and Latin-1 text', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Rechnung für Müller', 'utf16le')]);
    expect((await extractText('text', le)).pages[0].text).toBe('Rechnung für Müller');
    const latin1 = Buffer.from('Facture n\xb0 12 \x97 d\xe9j\xe0 pay\xe9e', 'latin1');
    const result = await extractText('text', latin1);
    expect(result.pages[0].text).toContain('déjà payée');
    expect(result.meta?.encoding).toBe('windows-1252');
  });

  it('takes the Markdown title from the first heading', async () => {
    const result = await extractText('markdown', strToU8('# Travel policy\n\nBook economy class.\n'));
    expect(result.title).toBe('Travel policy');
    expect(result.pages[0].text).toContain('Book economy class.');
  });

  it('refuses binary data given as text, and too many pages', async () => {
    await expectCode(() => extractText('text', new Uint8Array([1, 2, 0, 4, 5, 0, 7, 8, 0, 0, 3])), 'corrupt', /not readable text/);
    await expectCode(() => extractText('text', strToU8('word '.repeat(5000)), { pageChars: 100, maxPages: 10 }), 'limit_exceeded', /more than 10 pages/);
  });
});

describe('extractText: HTML', () => {
  it('returns visible text only, without scripts and styles, with the title', async () => {
    const html =
      '<!DOCTYPE html><html><head><title>Quarterly &amp; annual report</title><style>body{color:red}</style>' +
      '<script>var secret = "do-not-index";</script></head><body><h1>Revenue</h1><p>Revenue grew <b>12%</b>.</p>' +
      '<noscript>enable js</noscript><script type="module">import "x";</script><a href="https://x.example">Details</a></body></html>';
    const result = await extractText('html', strToU8(html));
    const text = allText(result);
    expect(result.title).toBe('Quarterly & annual report');
    expect(text).toContain('Revenue grew 12%.');
    expect(text).toContain('Details');
    expect(text).not.toMatch(/do-not-index|color:red|import|enable js|https:/);
  });
});

describe('extractText: DOCX', () => {
  it('reads paragraphs, tables and the title', async () => {
    const docx = buildDocx(['Master services agreement', 'Payment is due within 30 days.'], {
      title: 'MSA 2024',
      table: ['Net', 'VAT'],
    });
    const result = await extractText('docx', docx);
    const text = allText(result);
    expect(result.title).toBe('MSA 2024');
    expect(text).toContain('Master services agreement');
    expect(text).toContain('Payment is due within 30 days.');
    expect(text).toMatch(/Net[\s\S]*VAT/);
  });

  it('reports damaged, non-ZIP and password-protected documents clearly', async () => {
    const docx = buildDocx(['Hello world']);
    await expectCode(() => extractText('docx', docx.subarray(0, docx.length - 30)), 'corrupt', /damaged/);
    await expectCode(() => extractText('docx', strToU8('this is not a document at all')), 'corrupt', /not a valid Word document/);
    const noMain = zipSync({ '[Content_Types].xml': strToU8('<Types/>'), 'word/other.xml': strToU8('<x/>') });
    await expectCode(() => extractText('docx', noMain), 'corrupt', /Word document could not be read/);
    const cfb = new Uint8Array(1024);
    cfb.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    await expectCode(() => extractText('docx', cfb), 'encrypted', /password-protected/);
  });
});

describe('extractText: XLSX', () => {
  it('returns one page per sheet, labelled, with tab-separated rows and ISO dates', async () => {
    const xlsx = buildXlsx([
      { name: 'Invoices', rows: [['Vendor', 'Total', 'Due'], ['Acme GmbH', 1234.5, new Date(Date.UTC(2024, 2, 31))]] },
      { name: 'Vendors', rows: [['Globex'], ['Initech']] },
    ]);
    const result = await extractText('xlsx', xlsx);
    expect(result.pages).toHaveLength(2);
    expect(result.pages[0]).toMatchObject({ number: 1, label: 'Invoices' });
    expect(result.pages[0].text).toBe('Vendor\tTotal\tDue\nAcme GmbH\t1234.5\t2024-03-31');
    expect(result.pages[1]).toEqual({ number: 2, label: 'Vendors', text: 'Globex\nInitech' });
  });

  it('enforces the sheet and row limits', async () => {
    const xlsx = buildXlsx([
      { name: 'A', rows: Array.from({ length: 20 }, (_, i) => [`row ${i}`]) },
      { name: 'B', rows: [['x']] },
    ]);
    await expectCode(() => extractText('xlsx', xlsx, { maxSheets: 1 }), 'limit_exceeded', /2 sheets; the limit is 1/);
    await expectCode(() => extractText('xlsx', xlsx, { maxRowsPerSheet: 10 }), 'limit_exceeded', /sheet "A" has 20 rows/);
  });
});

describe('extractText: PPTX', () => {
  it('returns one page per slide in presentation order, with titles and notes', async () => {
    const pptx = buildPptx([
      { title: 'Quarterly review', body: 'Revenue up\nCosts down', notes: 'Mention the new office' },
      { title: 'Next steps', body: 'Hire two engineers' },
    ]);
    const result = await extractText('pptx', pptx);
    expect(result.pages.map((p) => p.label)).toEqual(['Quarterly review', 'Next steps']);
    expect(result.title).toBe('Quarterly review');
    expect(result.pages[0].text).toBe('Quarterly review\nRevenue up\nCosts down\n\nNotes:\nMention the new office');
    expect(result.pages[1].text).toBe('Next steps\nHire two engineers');
  });

  it('enforces the slide limit', async () => {
    const pptx = buildPptx([1, 2, 3].map((n) => ({ title: `S${n}`, body: 'b' })));
    await expectCode(() => extractText('pptx', pptx, { maxPages: 2 }), 'limit_exceeded', /3 slides; the limit is 2/);
  });
});

describe('extractText: e-mail', () => {
  it('puts the headers and body on page 1 and returns the attachment bytes', async () => {
    const pdf = strToU8('%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n');
    const eml = buildEml({
      subject: 'Invoice INV-2024-001',
      body: 'Please find our invoice attached.',
      attachment: { filename: 'INV-2024-001.pdf', type: 'application/pdf', bytes: pdf },
    });
    const result = await extractText('eml', eml);
    expect(result.title).toBe('Invoice INV-2024-001');
    const page1 = result.pages[0].text;
    expect(page1).toContain('From: Alice Supplier <alice@acme.example>');
    expect(page1).toContain('To: Bob Buyer <bob@folio.example>');
    expect(page1).toContain('Subject: Invoice INV-2024-001');
    expect(page1).toContain('Date: Tue, 05 Mar 2024 09:15:00 GMT');
    expect(page1).toContain('Please find our invoice attached.');
    expect(result.attachments).toHaveLength(1);
    expect(result.attachments![0]).toMatchObject({ filename: 'INV-2024-001.pdf', contentType: 'application/pdf' });
    expect(Buffer.from(result.attachments![0].bytes).equals(Buffer.from(pdf))).toBe(true);
    expect(result.meta).toMatchObject({ from: 'Alice Supplier <alice@acme.example>', date: '2024-03-05T09:15:00.000Z' });
  });

  it('uses the visible text of an HTML-only message, and limits attachments', async () => {
    const html = strToU8(
      'From: a@x.example\r\nSubject: Hi\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>there</b></p><script>evil()</script>',
    );
    const text = (await extractText('eml', html)).pages[0].text;
    expect(text).toContain('Hello there');
    expect(text).not.toContain('evil');
    const eml = buildEml({ subject: 's', body: 'b', attachment: { filename: 'a.txt', type: 'text/plain', bytes: strToU8('x') } });
    await expectCode(() => extractText('eml', eml, { maxAttachments: 0 }), 'limit_exceeded', /1 attachments; the limit is 0/);
  });
});

describe('extractText: limits and zip bombs', () => {
  const zeros = new Uint8Array(8 * 1024 * 1024);

  it('rejects an archive whose declared size exceeds the limit before unpacking it', async () => {
    const docx = buildDocx(['x']);
    const bomb = patchDeclaredSizes(docx, 0xf0000000);
    await expectCode(() => extractText('docx', bomb), 'zip_bomb', /unpacks to more than 256 MB/);
  });

  it('stops a bomb that lies about its size while unpacking', async () => {
    const bomb = patchDeclaredSizes(zipSync({ '[Content_Types].xml': zeros, 'word/document.xml': zeros }, { level: 9 }), 1000);
    expect(bomb.length).toBeLessThan(100_000);
    await expectCode(() => extractText('docx', bomb), 'zip_bomb', /unpacks to more than it declares/);
  });

  it('stops an honest archive that unpacks past the limit', async () => {
    const big = zipSync({ 'ppt/presentation.xml': zeros, 'ppt/slides/slide1.xml': zeros }, { level: 9 });
    await expectCode(() => extractText('pptx', big, { maxUncompressedBytes: 10 * 1024 * 1024 }), 'zip_bomb', /more than 10 MB/);
  });

  it('limits the number of archive entries', async () => {
    const files = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`ppt/slides/slide${i + 1}.xml`, strToU8('<p:sld/>')]));
    await expectCode(() => extractText('pptx', zipSync(files), { maxZipEntries: 10 }), 'limit_exceeded', /20 entries; the limit is 10/);
  });

  it('rejects files over the size limit, empty files, and kinds that are not text', async () => {
    await expectCode(() => extractText('text', strToU8('abc'.repeat(100)), { maxBytes: 100 }), 'too_large', /limit is 100 bytes/);
    await expectCode(() => extractText('text', new Uint8Array(0)), 'empty');
    await expectCode(() => extractText('pdf', strToU8('%PDF-1.4')), 'unsupported');
  });

  it('keeps code and message when crossing a worker boundary', async () => {
    const err = await formatError(() => extractText('xlsx', strToU8('nope')));
    expect(JSON.parse(JSON.stringify(err))).toEqual({ code: 'corrupt', message: err.message });
  });
});
