/**
 * A minimal PDF writer for positioned text: each run is set in Helvetica (or Helvetica-Bold)
 * at its own size and position, WinAnsi-encoded, so pdf.js reads a text layer with word
 * positions. Also estimates run widths from Helvetica's metrics, for laying out pages.
 */

/** A run of text on a page, in PDF points, `y` the baseline measured from the top. */
export interface TextRun {
  text: string;
  x: number;
  y: number;
  size: number;
  bold?: boolean;
}

// Helvetica advance widths (1/1000 em) for ASCII 32..126, from the standard AFM.
const HELV = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/** Width of `text` in points at `size` (accented letters measured as their base letter). */
export function textWidth(text: string, size: number, bold = false): number {
  let units = 0;
  for (const ch of text.normalize('NFD').replace(/\p{M}/gu, '')) {
    const c = ch.charCodeAt(0);
    units += c >= 32 && c <= 126 ? HELV[c - 32] : ch === '€' ? 556 : 556;
  }
  return (units * size * (bold ? 1.04 : 1)) / 1000;
}

const WIN_ANSI_EXTRA: Record<string, number> = { '€': 0x80, '’': 0x92, '–': 0x96, '—': 0x97, '„': 0x84, '“': 0x93, '”': 0x94 };

function encode(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = WIN_ANSI_EXTRA[ch] ?? ch.charCodeAt(0);
    const byte = code <= 0xff ? code : 0x3f;
    const c = String.fromCharCode(byte);
    out += c === '(' || c === ')' || c === '\\' ? `\\${c}` : byte < 32 || byte > 126 ? `\\${byte.toString(8).padStart(3, '0')}` : c;
  }
  return out;
}

/** A PDF with one page per entry of `pages`, each `width` × `height` points. */
export function writePdf(pages: TextRun[][], width = 595, height = 842): Uint8Array {
  const objects: string[] = [];
  const add = (body: string) => {
    objects.push(body);
    return objects.length;
  };
  const catalog = add('');
  const pagesObj = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const bold = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  for (const runs of pages) {
    const stream = runs.map((r) => `BT /${r.bold ? 'F2' : 'F1'} ${r.size.toFixed(2)} Tf ${r.x.toFixed(2)} ${(height - r.y).toFixed(2)} Td (${encode(r.text)}) Tj ET`).join('\n');
    const content = add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
    kids.push(add(`<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 ${width} ${height}] /Resources << /Font << /F1 ${font} 0 R /F2 ${bold} 0 R >> >> /Contents ${content} 0 R >>`));
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R >>`;
  objects[pagesObj - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}
