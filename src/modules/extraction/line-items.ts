/**
 * Invoice line items: finds the table header (description, quantity, unit price and
 * amount labels in English, German, French, Spanish and Dutch), takes each label's span as
 * its column, and reads the rows below until the subtotal/total area. Numbers are assigned
 * to the column nearest to them horizontally (right-, left- or centre-aligned alike), text
 * to the description; a text-only row continues the item above it, or starts the one below
 * when it sits closer to that. Pure, like the rest of the layout code.
 */
import { LABELS, layoutPage, type ExtractionPage, type LaidWord, type Segment } from './layout';
import { fold, normalizeAmount } from './normalize';

/** One row of an invoice's item table; amounts are decimal strings ("1234.50"). */
export interface LineItem {
  description: string;
  quantity: string | null;
  unitPrice: string | null;
  amount: string | null;
  /** Page number, from 1. */
  page: number;
  /** Page-normalized box [x, y, w, h] around the item's words. */
  box: [number, number, number, number];
}

type Column = 'description' | 'quantity' | 'unitPrice' | 'amount' | 'skip';

/** Header labels per column, folded (lower case, no accents). */
const HEADER: Record<Column, string[]> = {
  description: ['description', 'item', 'items', 'item description', 'article', 'product', 'service', 'services', 'details', 'particulars', 'beschreibung', 'bezeichnung', 'artikel', 'leistung', 'position', 'designation', 'libelle', 'produit', 'descripcion', 'concepto', 'producto', 'articulo', 'omschrijving', 'product', 'dienst'],
  quantity: ['qty', 'qty.', 'quantity', 'units', 'hours', 'hrs', 'menge', 'anzahl', 'anz.', 'stk', 'quantite', 'qte', 'cantidad', 'cant.', 'uds', 'aantal', 'stuks'],
  unitPrice: ['unit price', 'price', 'rate', 'unit cost', 'price/unit', 'einzelpreis', 'preis', 'e-preis', 'stuckpreis', 'prix unitaire', 'prix', 'p.u.', 'pu', 'precio unitario', 'precio', 'prijs', 'stukprijs', 'eenheidsprijs'],
  amount: ['amount', 'total', 'line total', 'net', 'betrag', 'gesamt', 'gesamtpreis', 'summe', 'montant', 'montant ht', 'total ht', 'importe', 'bedrag', 'totaal'],
  skip: ['vat', 'vat %', 'tax', 'tax %', 'mwst', 'mwst.', 'ust', 'ust.', 'tva', 'iva', 'btw', 'disc', 'discount', 'rabatt', 'remise', 'descuento', 'korting', 'unit', 'einheit', 'unite', 'unidad', 'eenheid', 'pos', 'pos.', 'no', 'no.', '#', 'code', 'sku', 'ref'],
};
const PHRASES: Array<{ col: Column; words: string[] }> = (Object.keys(HEADER) as Column[])
  .flatMap((col) => HEADER[col].map((p) => ({ col, words: p.split(' ') })))
  .sort((a, b) => b.words.length - a.words.length);

const END_RE = new RegExp(`(?<![\\p{L}])(?:${[...LABELS.total, ...LABELS.subtotal, ...LABELS.tax].map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?![\\p{L}])`, 'u');
const NUMBER_RE = /^[(\-+]?(?:[€$£¥]|[A-Z]{3}|RM|Fr\.)?\d[\d.,'’\u00a0]*[€$£]?\)?-?%?$/u;
const CURRENCY_RE = /^(?:[€$£¥]|EUR|USD|GBP|CHF|RM|SFr\.?|Fr\.|[A-Z]{3})$/u;

interface HeaderColumn {
  col: Column;
  x0: number;
  x1: number;
}

interface Cell {
  text: string;
  words: LaidWord[];
  x0: number;
  x1: number;
}

interface Row {
  words: LaidWord[];
  y0: number;
  y1: number;
}

/** Rows of a laid-out page: its segments' words grouped by row, left to right. */
function rowsOf(segments: Segment[]): Row[] {
  const rows: Row[] = [];
  for (const s of segments) {
    const row = (rows[s.row] ??= { words: [], y0: Infinity, y1: -Infinity });
    row.words.push(...s.words);
    row.y0 = Math.min(row.y0, s.y0);
    row.y1 = Math.max(row.y1, s.y1);
  }
  return rows.filter(Boolean).map((r) => ({ ...r, words: r.words.sort((a, b) => a.x0 - b.x0) }));
}

/** The columns a row names, when it reads as an item-table header. */
function headerColumns(row: Row): HeaderColumn[] | null {
  const words = row.words.map((w) => w.folded.replace(/:$/, ''));
  const cols: HeaderColumn[] = [];
  let known = 0;
  for (let i = 0; i < words.length; ) {
    const hit = PHRASES.find((p) => p.words.every((w, k) => words[i + k] === w));
    if (!hit) {
      i++;
      continue;
    }
    const ws = row.words.slice(i, i + hit.words.length);
    cols.push({ col: hit.col, x0: ws[0].x0, x1: ws.at(-1)!.x1 });
    known += hit.words.length;
    i += hit.words.length;
  }
  const kinds = new Set(cols.map((c) => c.col));
  const numeric = ['quantity', 'unitPrice', 'amount'].filter((k) => kinds.has(k as Column)).length;
  const ok = known >= 0.6 * words.length && ((kinds.has('description') && numeric >= 2) || numeric === 3 || (kinds.has('description') && kinds.has('amount') && cols.length >= 2 && known === words.length));
  return ok ? cols : null;
}

/** Cells of the numbers of a row: each number with the currency marks beside it, runs split by wide gaps. */
function cellsOf(words: LaidWord[], gap: number): Cell[] {
  const cells: Cell[] = [];
  let cur: LaidWord[] = [];
  const flush = () => {
    if (cur.some((w) => /\d/.test(w.text))) cells.push({ words: cur, text: cur.map((w) => w.text).join(' '), x0: cur[0].x0, x1: cur.at(-1)!.x1 });
    cur = [];
  };
  for (const w of words) {
    const prev = cur.at(-1);
    const isNum = /\d/.test(w.text);
    // A space groups thousands ("1 234,56"): a number of up to three digits followed closely by three more is one.
    const grouped = prev && isNum && /^[(\-]?(?:[€$£]|[A-Z]{3})?\d{1,3}$/.test(prev.text) && /^\d{3}(?:[.,]\d{1,2})?(?:[€$£])?\)?$/.test(w.text) && w.x0 - prev.x1 < gap / 1.6;
    if (prev && !grouped && (w.x0 - prev.x1 > gap || (isNum && cur.some((c) => /\d/.test(c.text))))) flush();
    cur.push(w);
  }
  flush();
  return cells;
}

const distance = (c: { x0: number; x1: number }, h: HeaderColumn) => Math.max(0, h.x0 - c.x1, c.x0 - h.x1);

function quantityOf(text: string): string | null {
  const n = normalizeAmount(text.replace(/[^\d.,'\-()]/g, ''));
  return n === null ? null : String(Number(n));
}

function unionBox(words: LaidWord[]): [number, number, number, number] {
  const x0 = Math.min(...words.map((w) => w.b[0])), y0 = Math.min(...words.map((w) => w.b[1]));
  const x1 = Math.max(...words.map((w) => w.b[0] + w.b[2])), y1 = Math.max(...words.map((w) => w.b[1] + w.b[3]));
  const r = (v: number) => Math.round(v * 10000) / 10000;
  return [r(x0), r(y0), r(x1 - x0), r(y1 - y0)];
}

interface Draft {
  desc: string[];
  words: LaidWord[];
  quantity: string | null;
  unitPrice: string | null;
  amount: string | null;
  y1: number;
}

/** The line items of a document: every page's item table, read row by row. */
export function extractLineItems(pages: ExtractionPage[]): LineItem[] {
  const out: LineItem[] = [];
  pages.forEach((page, p) => {
    const layout = layoutPage(page, p + 1);
    const rows = rowsOf(layout.segments);
    const start = rows.findIndex((r) => headerColumns(r));
    if (start < 0) return;
    const header = headerColumns(rows[start])!;
    const numeric = header.filter((h) => h.col !== 'description');
    const firstNumeric = Math.min(...numeric.map((h) => h.x0));
    const descX0 = header.find((h) => h.col === 'description')?.x0 ?? 0;
    const gap = 1.6 * layout.medianH;
    const pitch = rows.slice(start + 1, start + 6).reduce((m, r, i, a) => (i ? Math.min(m, r.y0 - a[i - 1].y0) : m), Infinity);
    const maxGap = Math.max(Number.isFinite(pitch) ? pitch * 3 : 0, layout.medianH * 4);
    const drafts: Draft[] = [];
    let pending: { desc: string[]; words: LaidWord[] } | null = null;
    let lastY1 = rows[start].y1;
    for (let i = start + 1; i < rows.length; i++) {
      const row = rows[i];
      if (row.y0 - lastY1 > maxGap) break;
      // Numbers in a numeric column's reach become cells; text (and numbers left of the columns) the description.
      const descWords: LaidWord[] = [];
      const rest: LaidWord[] = [];
      for (const w of row.words) {
        const isValue = NUMBER_RE.test(w.text) || (CURRENCY_RE.test(w.text) && rest.length > 0) || (CURRENCY_RE.test(w.text) && w.x0 >= firstNumeric - gap);
        if (isValue && (w.x1 > firstNumeric - gap || rest.length)) rest.push(w);
        else if (!rest.length && w.x0 >= descX0 - gap) descWords.push(w);
      }
      const cells = cellsOf(rest, gap).filter((c) => !/%$/.test(c.text));
      const values: Partial<Record<Column, Cell>> = {};
      for (const c of cells) {
        const best = [...numeric].sort((a, b) => distance(c, a) - distance(c, b))[0];
        if (best && best.col !== 'skip' && !values[best.col]) values[best.col] = c;
      }
      const descText = descWords.map((w) => w.text).join(' ');
      const rowText = fold(row.words.map((w) => w.text).join(' '));
      if (!values.quantity && !values.unitPrice && END_RE.test(rowText)) break;
      if (!cells.length) {
        if (!descText) continue;
        // Text only: the item above goes on, unless the row sits closer to the next one.
        const next = rows[i + 1];
        const last = drafts.at(-1);
        const gapPrev = last ? row.y0 - last.y1 : Infinity;
        const gapNext = next ? next.y0 - row.y1 : Infinity;
        if (last && !pending && gapPrev <= gapNext + 0.25 * layout.medianH && gapPrev < maxGap / 2) {
          last.desc.push(descText);
          last.words.push(...descWords);
          last.y1 = row.y1;
        } else {
          pending = pending ? { desc: [...pending.desc, descText], words: [...pending.words, ...descWords] } : { desc: [descText], words: descWords };
        }
        lastY1 = row.y1;
        continue;
      }
      if (!values.amount && !values.unitPrice && !values.quantity) continue;
      drafts.push({
        desc: [...(pending?.desc ?? []), ...(descText ? [descText] : [])],
        words: [...(pending?.words ?? []), ...descWords, ...cells.flatMap((c) => c.words)],
        quantity: values.quantity ? quantityOf(values.quantity.text) : null,
        unitPrice: values.unitPrice ? normalizeAmount(values.unitPrice.text) : null,
        amount: values.amount ? normalizeAmount(values.amount.text) : null,
        y1: row.y1,
      });
      pending = null;
      lastY1 = row.y1;
    }
    for (const d of drafts) {
      out.push({ description: d.desc.join(' ').replace(/\s+/g, ' ').trim(), quantity: d.quantity, unitPrice: d.unitPrice, amount: d.amount, page: p + 1, box: unionBox(d.words) });
    }
  });
  return out;
}
