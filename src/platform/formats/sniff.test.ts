import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildDocx, buildEml, buildPptx, buildXlsx } from './formats.fixtures';
import { sniff } from './index';

const bytes = (...parts: (number[] | string)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

const PNG = bytes(
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13],
  'IHDR',
  [0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89],
);

describe('sniff: binary formats by magic bytes', () => {
  it('recognizes PDF, PNG, JPEG and TIFF regardless of the filename', async () => {
    expect(await sniff(bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n'), 'scan.txt')).toEqual({ kind: 'pdf', mime: 'application/pdf' });
    expect((await sniff(PNG)).kind).toBe('png');
    expect((await sniff(bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF\0', [1, 1, 0, 0, 1, 0, 1, 0, 0])))).toMatchObject({
      kind: 'jpeg',
      mime: 'image/jpeg',
    });
    expect((await sniff(bytes('II*\0', [8, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).kind).toBe('tiff');
  });

  it('tells DOCX, XLSX and PPTX apart by the parts inside the ZIP, whatever the filename', async () => {
    expect(await sniff(buildDocx(['Hello']), 'x.zip')).toMatchObject({ kind: 'docx' });
    expect(await sniff(buildXlsx([{ name: 'S', rows: [['a']] }]))).toMatchObject({ kind: 'xlsx' });
    expect(await sniff(buildPptx([{ title: 'T', body: 'B' }]), 'deck.docx')).toMatchObject({ kind: 'pptx' });
  });

  it('reports a plain ZIP, a GIF and an executable as unsupported with what was detected', async () => {
    const zip = await sniff(zipSync({ 'notes.txt': strToU8('hello') }), 'report.docx');
    expect(zip).toMatchObject({ kind: 'unsupported', mime: 'application/zip' });
    expect(zip.kind === 'unsupported' && zip.reason).toBe('unsupported type: detected application/zip (ZIP archive)');

    const gif = await sniff(bytes('GIF89a', [1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21, 0xf9]), 'photo.png');
    expect(gif).toMatchObject({ kind: 'unsupported', mime: 'image/gif', description: 'GIF image' });
    expect(gif.kind === 'unsupported' && gif.reason).toContain('detected image/gif');

    const exe = new Uint8Array(512);
    exe.set(bytes('MZ'), 0);
    exe.set([0x80, 0, 0, 0], 0x3c);
    exe.set(bytes('PE\0\0'), 0x80);
    expect(await sniff(exe, 'invoice.pdf')).toMatchObject({ kind: 'unsupported', mime: 'application/x-msdownload' });
  });

  it('rejects random binary data, empty files and damaged archives', async () => {
    const noise = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 251);
    expect(await sniff(noise, 'notes.txt')).toMatchObject({ kind: 'unsupported', mime: 'application/octet-stream' });
    expect(await sniff(new Uint8Array(0))).toMatchObject({ kind: 'unsupported', reason: 'the file is empty' });
    const truncated = buildDocx(['Hello world']).subarray(0, 60);
    expect(await sniff(truncated, 'a.docx')).toMatchObject({ kind: 'unsupported', reason: 'the file is a damaged ZIP archive' });
  });

  it('explains password-protected Office files', async () => {
    const cfb = new Uint8Array(2048);
    cfb.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 0);
    cfb.set([0x3e, 0, 3, 0, 0xfe, 0xff, 9, 0], 0x18);
    cfb.set(Buffer.from('EncryptedPackage', 'utf16le'), 1024);
    const result = await sniff(cfb, 'secret.docx');
    expect(result.kind).toBe('unsupported');
    if (result.kind === 'unsupported') expect(result.reason).toMatch(/password-protected/);
  });
});

describe('sniff: text formats by content', () => {
  it('detects UTF-8, UTF-16 (with and without BOM) and Latin-1 text', async () => {
    expect(await sniff(strToU8('Invoice 42 — total €10'))).toEqual({ kind: 'text', mime: 'text/plain', encoding: 'utf-8' });
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße aus Köln\n', 'utf16le')]);
    expect(await sniff(le)).toMatchObject({ kind: 'text', encoding: 'utf-16le' });
    const be = Buffer.from('Plain words in UTF-16 big endian\n', 'utf16le').swap16();
    expect(await sniff(be)).toMatchObject({ kind: 'text', encoding: 'utf-16be' });
    expect(await sniff(Buffer.from('Caf\xe9 cr\xe8me br\xfbl\xe9e, d\xe9j\xe0 vu\n', 'latin1'))).toMatchObject({
      kind: 'text',
      encoding: 'windows-1252',
    });
  });

  it('does not mistake text for a binary format with a short magic number', async () => {
    expect(await sniff(strToU8('MZ Logistics GmbH\nInvoice 7781\n'))).toMatchObject({ kind: 'text' });
    expect(await sniff(strToU8('BM-4471 spare parts order, 12 units\n'))).toMatchObject({ kind: 'text' });
    expect(await sniff(strToU8('{\\rtf1\\ansi Hello}'))).toMatchObject({ kind: 'unsupported', mime: 'application/rtf' });
  });

  it('detects HTML, including XHTML and a bare body', async () => {
    expect(await sniff(strToU8('<!DOCTYPE html><html><body>x</body></html>'))).toMatchObject({ kind: 'html', mime: 'text/html' });
    expect(await sniff(strToU8('<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'))).toMatchObject({
      kind: 'html',
    });
    expect(await sniff(strToU8('<p>fragment</p>'), 'page.htm')).toMatchObject({ kind: 'html' });
    expect(await sniff(strToU8('<p>fragment</p>'))).toMatchObject({ kind: 'text' });
  });

  it('detects e-mail by its header block', async () => {
    expect(await sniff(buildEml({ subject: 'Invoice', body: 'See attached.' }))).toEqual({
      kind: 'eml',
      mime: 'message/rfc822',
      encoding: 'utf-8',
    });
    expect(await sniff(strToU8('Subject: hi\n\nbody'), 'mail.eml')).toMatchObject({ kind: 'eml' });
    expect(await sniff(strToU8('Note: this is not mail\nFrom: me\n\ntext'))).toMatchObject({ kind: 'text' });
  });

  it('detects Markdown by extension or by its constructs, and keeps .txt as text', async () => {
    const md = '# Release notes\n\n- fixed **bold** bug\n\n```ts\nconst x = 1;\n```\n';
    expect(await sniff(strToU8(md))).toMatchObject({ kind: 'markdown', mime: 'text/markdown' });
    expect(await sniff(strToU8(md), 'notes.txt')).toMatchObject({ kind: 'text' });
    expect(await sniff(strToU8('just a line'), 'README.md')).toMatchObject({ kind: 'markdown' });
    expect(await sniff(strToU8('Shopping list:\n- milk\n- eggs\n'))).toMatchObject({ kind: 'text' });
  });

  it('reports SVG as an unsupported image', async () => {
    expect(await sniff(strToU8('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'))).toMatchObject({
      kind: 'unsupported',
      mime: 'image/svg+xml',
    });
  });
});
