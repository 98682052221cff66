/**
 * Builders of small, real fixture files for the format tests: OOXML packages written with
 * fflate's ZIP writer, a multipart e-mail with an attachment, and zip bombs. Test-only.
 */
import { strToU8, zipSync, type Zippable } from 'fflate';

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const OFFICE_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function rels(list: [id: string, type: string, target: string][]): Uint8Array {
  const items = list.map(([id, type, target]) => `<Relationship Id="${id}" Type="${OFFICE_REL}/${type}" Target="${target}"/>`);
  return strToU8(`${XML}<Relationships xmlns="${REL_NS}">${items.join('')}</Relationships>`);
}

function contentTypes(overrides: [part: string, type: string][]): Uint8Array {
  const o = overrides.map(([p, t]) => `<Override PartName="${p}" ContentType="${t}"/>`).join('');
  return strToU8(
    `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
      `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
      `<Default Extension="xml" ContentType="application/xml"/>${o}</Types>`,
  );
}

function coreProps(title: string): Uint8Array {
  return strToU8(
    `${XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
      `xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${esc(title)}</dc:title></cp:coreProperties>`,
  );
}

/** A Word document with one paragraph per string, and a table row. */
export function buildDocx(paragraphs: string[], opts: { title?: string; table?: string[] } = {}): Uint8Array {
  const p = paragraphs.map((t) => `<w:p><w:r><w:t xml:space="preserve">${esc(t)}</w:t></w:r></w:p>`).join('');
  const cells = (opts.table ?? []).map((t) => `<w:tc><w:p><w:r><w:t>${esc(t)}</w:t></w:r></w:p></w:tc>`).join('');
  const table = cells ? `<w:tbl><w:tr>${cells}</w:tr></w:tbl>` : '';
  const files: Zippable = {
    '[Content_Types].xml': contentTypes([
      ['/word/document.xml', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'],
    ]),
    '_rels/.rels': rels([['rId1', 'officeDocument', 'word/document.xml']]),
    'word/document.xml': strToU8(
      `${XML}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${p}${table}</w:body></w:document>`,
    ),
  };
  if (opts.title) files['docProps/core.xml'] = coreProps(opts.title);
  return zipSync(files);
}

/** A cell value for `buildXlsx`: strings go to shared strings, Dates become styled serials. */
export type FixtureCell = string | number | Date;

/** An Excel workbook with the given sheets. */
export function buildXlsx(sheets: { name: string; rows: FixtureCell[][] }[]): Uint8Array {
  const shared: string[] = [];
  const col = (i: number) => String.fromCharCode(65 + i);
  const cell = (v: FixtureCell, ref: string) => {
    if (typeof v === 'number') return `<c r="${ref}"><v>${v}</v></c>`;
    if (v instanceof Date) return `<c r="${ref}" s="1"><v>${v.getTime() / 86_400_000 + 25_569}</v></c>`;
    shared.push(v);
    return `<c r="${ref}" t="s"><v>${shared.length - 1}</v></c>`;
  };
  const files: Zippable = {};
  sheets.forEach((s, i) => {
    const rows = s.rows.map((r, ri) => `<row r="${ri + 1}">${r.map((v, ci) => cell(v, `${col(ci)}${ri + 1}`)).join('')}</row>`);
    files[`xl/worksheets/sheet${i + 1}.xml`] = strToU8(
      `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows.join('')}</sheetData></worksheet>`,
    );
  });
  const ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
  files['xl/workbook.xml'] = strToU8(
    `${XML}<workbook ${ns} xmlns:r="${OFFICE_REL}"><sheets>` +
      sheets.map((s, i) => `<sheet name="${esc(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
      `</sheets></workbook>`,
  );
  files['xl/_rels/workbook.xml.rels'] = rels([
    ...sheets.map((_, i): [string, string, string] => [`rId${i + 1}`, 'worksheet', `worksheets/sheet${i + 1}.xml`]),
    ['rIdS', 'sharedStrings', 'sharedStrings.xml'],
    ['rIdY', 'styles', 'styles.xml'],
  ]);
  files['xl/sharedStrings.xml'] = strToU8(
    `${XML}<sst ${ns} count="${shared.length}">${shared.map((s) => `<si><t>${esc(s)}</t></si>`).join('')}</sst>`,
  );
  files['xl/styles.xml'] = strToU8(
    `${XML}<styleSheet ${ns}><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`,
  );
  files['[Content_Types].xml'] = contentTypes([
    ['/xl/workbook.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml'],
  ]);
  files['_rels/.rels'] = rels([['rId1', 'officeDocument', 'xl/workbook.xml']]);
  return zipSync(files);
}

/** A presentation; slide files are numbered in reverse so only `p:sldIdLst` gives the right order. */
export function buildPptx(slides: { title: string; body: string; notes?: string }[]): Uint8Array {
  const ns =
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ' +
    `xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="${OFFICE_REL}"`;
  const shape = (ph: string | null, text: string) =>
    `<p:sp><p:nvSpPr><p:cNvPr id="2" name="s"/><p:cNvSpPr/><p:nvPr>${ph ? `<p:ph type="${ph}"/>` : ''}</p:nvPr></p:nvSpPr>` +
    `<p:txBody>${text
      .split('\n')
      .map((l) => `<a:p><a:r><a:t>${esc(l)}</a:t></a:r></a:p>`)
      .join('')}</p:txBody></p:sp>`;
  const slideNum = `<p:sp><p:nvSpPr><p:cNvPr id="9" name="n"/><p:cNvSpPr/><p:nvPr><p:ph type="sldNum"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:fld type="slidenum"><a:t>7</a:t></a:fld></a:p></p:txBody></p:sp>`;
  const files: Zippable = {};
  const n = slides.length;
  slides.forEach((s, i) => {
    const file = n - i; // reversed numbering
    files[`ppt/slides/slide${file}.xml`] = strToU8(
      `${XML}<p:sld ${ns}><p:cSld><p:spTree>${shape('title', s.title)}${shape(null, s.body)}${slideNum}</p:spTree></p:cSld></p:sld>`,
    );
    if (s.notes) {
      files[`ppt/slides/_rels/slide${file}.xml.rels`] = rels([['rId2', 'notesSlide', `../notesSlides/notesSlide${file}.xml`]]);
      files[`ppt/notesSlides/notesSlide${file}.xml`] = strToU8(
        `${XML}<p:notes ${ns}><p:cSld><p:spTree>${shape('sldImg', '')}${shape('body', s.notes)}${slideNum}</p:spTree></p:cSld></p:notes>`,
      );
    }
  });
  files['ppt/presentation.xml'] = strToU8(
    `${XML}<p:presentation ${ns}><p:sldIdLst>` +
      slides.map((_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 10}"/>`).join('') +
      `</p:sldIdLst></p:presentation>`,
  );
  files['ppt/_rels/presentation.xml.rels'] = rels(
    slides.map((_, i): [string, string, string] => [`rId${i + 10}`, 'slide', `slides/slide${n - i}.xml`]),
  );
  files['[Content_Types].xml'] = contentTypes([
    ['/ppt/presentation.xml', 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml'],
  ]);
  files['_rels/.rels'] = rels([['rId1', 'officeDocument', 'ppt/presentation.xml']]);
  return zipSync(files);
}

/** A multipart e-mail with a plain-text body, an HTML alternative and one attachment. */
export function buildEml(opts: { subject: string; body: string; attachment?: { filename: string; type: string; bytes: Uint8Array } }): Uint8Array {
  const lines = [
    'From: Alice Supplier <alice@acme.example>',
    'To: Bob Buyer <bob@folio.example>',
    `Subject: ${opts.subject}`,
    'Date: Tue, 05 Mar 2024 10:15:00 +0100',
    'Message-ID: <m1@acme.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="MIXED"',
    '',
    '--MIXED',
    'Content-Type: multipart/alternative; boundary="ALT"',
    '',
    '--ALT',
    'Content-Type: text/plain; charset=utf-8',
    '',
    opts.body,
    '--ALT',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<html><body><p>${esc(opts.body)}</p><script>alert(1)</script></body></html>`,
    '--ALT--',
  ];
  if (opts.attachment) {
    const b64 = Buffer.from(opts.attachment.bytes).toString('base64').replace(/.{76}/g, '$&\r\n');
    lines.push(
      '--MIXED',
      `Content-Type: ${opts.attachment.type}; name="${opts.attachment.filename}"`,
      `Content-Disposition: attachment; filename="${opts.attachment.filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      b64,
    );
  }
  lines.push('--MIXED--', '');
  return strToU8(lines.join('\r\n'));
}

/** Rewrites the declared uncompressed size of every entry (local header and directory). */
export function patchDeclaredSizes(zip: Uint8Array, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  for (let p = 0; p + 4 <= out.length; p++) {
    const sig = view.getUint32(p, true);
    if (sig === 0x04034b50) view.setUint32(p + 22, size, true);
    else if (sig === 0x02014b50) view.setUint32(p + 24, size, true);
  }
  return out;
}
