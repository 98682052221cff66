/**
 * Extraction for an organization's own document types, led by the labels the admin gave
 * each field: the value is what follows the label on its line (or, when the label ends its
 * line, the line below), parsed as the field's kind. Enum fields also match their options
 * anywhere in the text. Works on word boxes (OCR or text layer) and on plain text. Pure.
 */
import type { ExtractionPage } from './candidates';
import type { FieldDef } from './doctypes';
import { normalizeField } from './doctypes';
import { fold, MONTH_PATTERN } from './normalize';
import { unionBox, type Box } from './vendor';

export interface CustomField {
  value: string;
  normalized: string | null;
  confidence: number;
  page: number | null;
  box: Box | null;
}

/** A line of a page: its text and, when the page has words, the box of each character run. */
interface Line {
  page: number;
  text: string;
  /** Per word: start offset in `text` and box. Empty for plain-text pages. */
  spans: { start: number; end: number; box: Box }[];
}

/** Plain-text page, as documents without word boxes (DOCX, e-mail) have. */
export interface TextPage {
  text: string;
  words?: ExtractionPage['words'] | null;
}

function linesOf(pages: TextPage[]): Line[] {
  const out: Line[] = [];
  pages.forEach((p, i) => {
    const page = i + 1;
    if (!p.words?.length) {
      for (const text of p.text.split(/\r?\n/)) if (text.trim()) out.push({ page, text, spans: [] });
      return;
    }
    const words = [...p.words].filter((w) => w.t.trim()).sort((a, b) => a.b[1] + a.b[3] / 2 - (b.b[1] + b.b[3] / 2));
    const rows: (typeof words)[] = [];
    for (const w of words) {
      const cy = w.b[1] + w.b[3] / 2;
      const row = rows.at(-1);
      const rc = row ? row.reduce((s, r) => s + r.b[1] + r.b[3] / 2, 0) / row.length : -1;
      if (row && Math.abs(cy - rc) < w.b[3] * 0.5) row.push(w);
      else rows.push([w]);
    }
    for (const row of rows) {
      row.sort((a, b) => a.b[0] - b.b[0]);
      let text = '';
      const spans: Line['spans'] = [];
      for (const w of row) {
        if (text) text += ' ';
        spans.push({ start: text.length, end: text.length + w.t.length, box: w.b });
        text += w.t;
      }
      out.push({ page, text, spans });
    }
  });
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const DATE_RE = new RegExp(`\\d{4}-\\d{1,2}-\\d{1,2}|\\d{1,2}[./-]\\d{1,2}[./-]\\d{2,4}|\\d{1,2}\\.?\\s+(?:${MONTH_PATTERN})\\.?,?\\s+\\d{2,4}|(?:${MONTH_PATTERN})\\.?\\s+\\d{1,2},?\\s+\\d{4}`, 'iu');
const AMOUNT_RE = /[-+]?(?:[A-Z]{3}\s?|[€$£¥])?\d{1,3}(?:[ ,.'’]\d{3})*(?:[.,]\d{1,2})?(?!\d)|[-+]?\d+(?:[.,]\d+)?/u;

/** The part of `rest` that holds a value of the field's kind: [start, end) or null. */
function valueSpan(def: FieldDef, rest: string): [number, number] | null {
  if (def.kind === 'date' || def.kind === 'amount' || def.kind === 'number') {
    const m = (def.kind === 'date' ? DATE_RE : AMOUNT_RE).exec(rest);
    return m ? [m.index, m.index + m[0].length] : null;
  }
  if (def.kind === 'enum') {
    for (const o of def.options ?? []) {
      const m = new RegExp(`(?<![\\p{L}\\p{N}])${escape(fold(o))}(?![\\p{L}\\p{N}])`, 'u').exec(fold(rest));
      if (m) return [m.index, m.index + m[0].length];
    }
    return null;
  }
  const lead = rest.length - rest.trimStart().length;
  const trimmed = rest.trim();
  return trimmed ? [lead, lead + trimmed.length] : null;
}

function boxOf(line: Line, start: number, end: number): Box | null {
  const hit = line.spans.filter((s) => s.end > start && s.start < end).map((s) => s.box);
  return hit.length ? unionBox(hit) : null;
}

/** Reads one field: after one of its labels on the same line, else on the next line. */
function readField(def: FieldDef, lines: Line[]): CustomField | null {
  const labels = [def.label, ...(def.labels ?? [])].map((l) => fold(l).trim()).filter(Boolean);
  const labelRe = new RegExp(`(?<![\\p{L}\\p{N}])(?:${labels.sort((a, b) => b.length - a.length).map(escape).join('|')})(?![\\p{L}\\p{N}])\\s*[:#.\\-–]?\\s*(?:(?:no|nr|n°)\\.?\\s*[:#]?\\s*)?`, 'u');
  for (let i = 0; i < lines.length; i++) {
    // Folding keeps offsets for the characters that matter here (lower-casing, accents dropped one for one).
    const folded = fold(lines[i].text);
    const m = labelRe.exec(folded.length === lines[i].text.length ? folded : lines[i].text.toLowerCase());
    if (!m) continue;
    const after = m.index + m[0].length;
    const here = valueSpan(def, lines[i].text.slice(after));
    if (here) return found(def, lines[i], after + here[0], after + here[1], 0.9);
    const next = lines[i + 1];
    if (next && next.page === lines[i].page) {
      const below = valueSpan(def, next.text);
      if (below) return found(def, next, below[0], below[1], 0.75);
    }
  }
  if (def.kind === 'enum') {
    for (const line of lines) {
      const span = valueSpan(def, line.text);
      if (span) return found(def, line, span[0], span[1], 0.6);
    }
  }
  return null;
}

function found(def: FieldDef, line: Line, start: number, end: number, confidence: number): CustomField {
  const value = line.text.slice(start, end).trim();
  const normalized = normalizeField(def, value);
  return { value, normalized, confidence: normalized === null ? confidence / 2 : confidence, page: line.page, box: boxOf(line, start, end) };
}

/** Extracts the fields of a custom type from a document's pages. */
export function extractCustomFields(pages: TextPage[], fields: FieldDef[]): Record<string, CustomField> {
  const lines = linesOf(pages);
  const out: Record<string, CustomField> = {};
  for (const def of fields) {
    const f = readField(def, lines);
    if (f) out[def.name] = f;
  }
  return out;
}
