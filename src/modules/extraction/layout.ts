/**
 * Page layout from words and boxes: rows (words whose vertical centres line up), segments
 * (runs of a row without a wide gap, cut after a `Label:`), and labels found in them.
 * Pure; boxes are normalized 0..1 with the origin top-left, as `document_page.words` holds.
 */
import { fold } from './normalize';

/** A word as the pipeline stores it: text, OCR confidence (0..100, absent for text layers), box [x, y, w, h]. */
export interface PageWord {
  t: string;
  c?: number;
  b: [number, number, number, number];
}

/** One page of a document: its words. Pages are numbered from 1 in order. */
export interface ExtractionPage {
  words: PageWord[];
}

/** A word with its geometry; coordinates relative to the page's content area (0..1). */
export interface LaidWord {
  text: string;
  folded: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  h: number;
  /** The word's box as given (page-normalized), for results. */
  b: [number, number, number, number];
}

/** A run of words on one row. `text` joins the words with single spaces; `starts` holds each word's offset in it. */
export interface Segment {
  page: number;
  row: number;
  /** Position in reading order on its page. */
  index: number;
  words: LaidWord[];
  text: string;
  folded: string;
  starts: number[];
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  h: number;
}

/** A label phrase found in a segment. */
export interface LabelHit {
  group: LabelGroup;
  segment: Segment;
  start: number;
  end: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A laid-out page: segments in reading order, row count, median word height. */
export interface PageLayout {
  page: number;
  segments: Segment[];
  rows: number;
  medianH: number;
  labels: LabelHit[];
}

/** Label vocabularies (folded: lower case, no accents) in English, German, French, Spanish, Dutch and Malay receipts. */
export const LABELS = {
  total: ['total', 'grand total', 'total due', 'amount due', 'balance due', 'total amount', 'amount payable', 'total payable', 'total ttc', 'montant total', 'total a payer', 'net a payer', 'montant ttc', 'gesamtbetrag', 'gesamtsumme', 'gesamt', 'summe', 'endbetrag', 'rechnungsbetrag', 'zu zahlen', 'bruttobetrag', 'importe total', 'total factura', 'total a pagar', 'totaal', 'te betalen', 'totaalbedrag', 'totaal incl', 'rounded total', 'round total', 'nett total', 'total sales', 'total rm', 'total incl'],
  subtotal: ['subtotal', 'sub total', 'sub-total', 'zwischensumme', 'nettobetrag', 'netto', 'summe netto', 'net amount', 'net total', 'total net', 'total ht', 'montant ht', 'sous-total', 'sous total', 'base imponible', 'subtotaal', 'totaal excl', 'total excl', 'total before tax', 'amount before tax', 'total excluding'],
  tax: ['tax', 'vat', 'gst', 'sales tax', 'mwst', 'mehrwertsteuer', 'ust', 'umsatzsteuer', 'tva', 'iva', 'btw', 'total tax', 'total vat', 'total gst', 'tax amount', 'sst', 'service tax', 'montant tva', 'total tva', 'cuota iva'],
  taxid: ['vat no', 'vat id', 'vat number', 'vat reg', 'vat reg no', 'gst reg', 'gst reg no', 'gst no', 'gst id', 'tax id', 'tax no', 'ust-idnr', 'ust-id', 'ust-id-nr', 'ust idnr', 'steuernummer', 'steuer-nr', 'st.-nr', 'n° tva', 'no tva', 'tva intracom', 'tva intracommunautaire', 'numero de tva', 'nif', 'cif', 'nif/cif', 'btw-nummer', 'btw nr', 'btw-nr', 'btw nummer', 'uid', 'mwst-nr', 'ein', 'company reg', 'co reg', 'co. reg', 'roc', 'reg no'],
  date: ['date', 'dated', 'datum', 'fecha', 'invoice date', 'rechnungsdatum', 'date de facture', 'date facture', 'date d\'emission', 'fecha de factura', 'fecha factura', 'fecha de emision', 'factuurdatum', 'issue date', 'date of issue', 'issued', 'tarikh', 'date issued'],
  due: ['due date', 'due', 'payment due', 'pay by', 'fallig', 'fallig am', 'falligkeitsdatum', 'falligkeit', 'zahlbar bis', 'zahlungsziel', 'echeance', 'date d\'echeance', 'date limite', 'a payer avant', 'vencimiento', 'fecha de vencimiento', 'fecha vencimiento', 'vervaldatum', 'vervaldag', 'te betalen voor', 'uiterste betaaldatum'],
  invno: ['invoice no', 'invoice number', 'invoice #', 'invoice num', 'inv no', 'inv #', 'inv', 'invoice', 'tax invoice', 'rechnungsnummer', 'rechnung nr', 'rechnungs-nr', 'rechnung', 'facture n°', 'facture no', 'n° de facture', 'numero de facture', 'no de facture', 'facture', 'factura n°', 'factura no', 'n° factura', 'numero de factura', 'num factura', 'factura', 'factuurnummer', 'factuur nr', 'factuur', 'bill no', 'receipt no', 'doc no', 'document no', 'receipt #', 'invoice id'],
  po: ['po', 'p.o.', 'po number', 'po no', 'po #', 'purchase order', 'order no', 'order number', 'bestellnummer', 'bestell-nr', 'bestellung', 'ihre bestellung', 'bon de commande', 'commande', 'n° de commande', 'pedido', 'n° de pedido', 'numero de pedido', 'orden de compra', 'inkoopnummer', 'bestelnummer', 'inkooporder', 'your reference', 'uw referentie', 'votre reference', 'ihre referenz', 'su referencia'],
  customer: ['bill to', 'billed to', 'invoice to', 'sold to', 'customer', 'client', 'ship to', 'rechnungsempfanger', 'rechnungsadresse', 'kunde', 'empfanger', 'facturer a', 'facture a', 'adresse de facturation', 'cliente', 'facturar a', 'klant', 'factuur aan', 'factuuradres', 'afnemer'],
  vendor: ['from', 'seller', 'vendor', 'supplier', 'issued by', 'lieferant', 'verkaufer', 'rechnungssteller', 'fournisseur', 'vendeur', 'emetteur', 'proveedor', 'vendedor', 'emisor', 'leverancier', 'verkoper'],
  iban: ['iban', 'bic', 'swift', 'bank', 'account', 'konto', 'bankverbindung', 'compte', 'cuenta', 'rekening', 'rekeningnummer', 'banque', 'banco'],
  currency: ['currency', 'wahrung', 'devise', 'moneda', 'valuta'],
  contact: ['tel', 'tel.', 'phone', 'fax', 'telefon', 'telefono', 'telephone', 'email', 'e-mail', 'www', 'http', 'web', 'hp', 'mobile'],
  payment: ['cash', 'change', 'tendered', 'paid', 'payment', 'visa', 'mastercard', 'card', 'credit', 'debit', 'balance', 'rounding', 'round adj', 'rounding adj', 'adjustment', 'discount', 'disc', 'cash tendered', 'change due'],
  table: ['qty', 'quantity', 'price', 'unit price', 'unit', 'rate', 'amount', 'menge', 'preis', 'einzelpreis', 'betrag', 'prix', 'prix unitaire', 'quantite', 'montant', 'cantidad', 'precio', 'importe', 'aantal', 'prijs', 'bedrag', 'description', 'item', 'items', 'artikel', 'beschreibung', 'designation', 'descripcion', 'omschrijving', 'pos'],
} as const;

/** A family of label phrases. */
export type LabelGroup = keyof typeof LABELS;
/** Label groups in feature order. */
export const LABEL_GROUPS = Object.keys(LABELS) as LabelGroup[];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const LABEL_RES: Array<[LabelGroup, RegExp]> = LABEL_GROUPS.map((g) => [
  g,
  new RegExp(`(?<![\\p{L}\\p{N}])(?:${[...LABELS[g]].sort((a, b) => b.length - a.length).map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'gu'),
]);

function median(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Lays out one page: content-relative word geometry, rows, segments in reading order, labels. */
export function layoutPage(page: ExtractionPage, pageNumber: number): PageLayout {
  const raw = page.words.filter((w) => w.t && w.t.trim() && w.b && w.b.length === 4 && w.b[2] >= 0 && w.b[3] > 0);
  if (!raw.length) return { page: pageNumber, segments: [], rows: 0, medianH: 0, labels: [] };
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const w of raw) {
    minX = Math.min(minX, w.b[0]);
    minY = Math.min(minY, w.b[1]);
    maxX = Math.max(maxX, w.b[0] + w.b[2]);
    maxY = Math.max(maxY, w.b[1] + w.b[3]);
  }
  // Content-relative coordinates, so margins and scan borders matter less. The aspect is kept
  // by dividing both axes by the content height when the content is taller than wide.
  const sx = Math.max(maxX - minX, 1e-6), sy = Math.max(maxY - minY, 1e-6);
  const words: LaidWord[] = raw.map((w) => {
    const x0 = (w.b[0] - minX) / sx, y0 = (w.b[1] - minY) / sy;
    const x1 = (w.b[0] + w.b[2] - minX) / sx, y1 = (w.b[1] + w.b[3] - minY) / sy;
    const text = w.t.trim();
    return { text, folded: fold(text), x0, y0, x1, y1, h: y1 - y0, b: w.b };
  });
  const medianH = median(words.map((w) => w.h)) || 0.01;
  // Rows: words sorted by vertical centre, joined to the current row while centres stay within half a height.
  const sorted = [...words].sort((a, b) => (a.y0 + a.y1) / 2 - (b.y0 + b.y1) / 2);
  const rows: LaidWord[][] = [];
  let rowCy = -1, rowH = 0;
  for (const w of sorted) {
    const cy = (w.y0 + w.y1) / 2;
    const row = rows.at(-1);
    if (row && Math.abs(cy - rowCy) <= 0.5 * Math.max(Math.min(w.h, rowH), medianH * 0.5)) {
      row.push(w);
      rowCy = (rowCy * (row.length - 1) + cy) / row.length;
      rowH = Math.max(rowH, w.h);
    } else {
      rows.push([w]);
      rowCy = cy;
      rowH = w.h;
    }
  }
  const segments: Segment[] = [];
  rows.forEach((row, r) => {
    row.sort((a, b) => a.x0 - b.x0);
    let cur: LaidWord[] = [];
    const flush = () => {
      if (cur.length) segments.push(makeSegment(pageNumber, r, segments.length, cur));
      cur = [];
    };
    // A row printed in a spaced-out font (shop names in wide letters: every word gap wide)
    // stays one segment: only gaps clearly wider than the row's usual gap split it. A row
    // with any ordinary word space is split at its wide gaps as usual (invoice columns).
    const wide = (prev: LaidWord, w: LaidWord) => {
      const gap = w.x0 - prev.x1;
      const h = Math.max(medianH, Math.min(prev.h, w.h));
      // Normalized boxes lose the page's aspect, so a gap is also weighed against the width
      // of the neighbours' characters: a word space is about one, a column gap several.
      const charW = (prev.x1 - prev.x0 + w.x1 - w.x0) / Math.max(1, prev.text.length + w.text.length);
      return gap > Math.max(1.6 * h * (sy / sx), 2.2 * charW);
    };
    const gaps = row.slice(1).map((w, i) => w.x0 - row[i].x1);
    const spacedOut = gaps.length >= 3 && row.slice(1).every((w, i) => wide(row[i], w));
    const usual = spacedOut ? [...gaps].sort((a, b) => a - b)[gaps.length >> 1] : 0;
    for (const w of row) {
      const prev = cur.at(-1);
      if (prev && ((spacedOut ? w.x0 - prev.x1 > 2.2 * usual : wide(prev, w)) || /:$/.test(prev.text))) flush();
      cur.push(w);
    }
    flush();
  });
  const labels = segments.flatMap(findLabels);
  return { page: pageNumber, segments, rows: rows.length, medianH, labels };
}

/** A segment of `words` (in order) on row `row`. */
export function makeSegment(page: number, row: number, index: number, words: LaidWord[]): Segment {
  const starts: number[] = [];
  let text = '';
  for (const w of words) {
    if (text) text += ' ';
    starts.push(text.length);
    text += w.text;
  }
  return {
    page, row, index, words, text, starts,
    folded: words.map((w) => w.folded.padEnd(w.text.length, ' ').slice(0, w.text.length)).join(' '),
    x0: Math.min(...words.map((w) => w.x0)), y0: Math.min(...words.map((w) => w.y0)),
    x1: Math.max(...words.map((w) => w.x1)), y1: Math.max(...words.map((w) => w.y1)),
    h: median(words.map((w) => w.h)),
  };
}

/** Words of `seg` overlapping characters [start, end) of its text. */
export function wordsInRange(seg: Segment, start: number, end: number): LaidWord[] {
  return seg.words.filter((w, i) => seg.starts[i] < end && seg.starts[i] + w.text.length > start);
}

/** Label phrases in a segment; a phrase inside a longer phrase of another group is dropped ("sub total" is not "total"). */
function findLabels(seg: Segment): LabelHit[] {
  const hits: LabelHit[] = [];
  for (const [group, re] of LABEL_RES) {
    re.lastIndex = 0;
    for (let m = re.exec(seg.folded); m; m = re.exec(seg.folded)) {
      const ws = wordsInRange(seg, m.index, m.index + m[0].length);
      if (!ws.length) continue;
      hits.push({
        group, segment: seg, start: m.index, end: m.index + m[0].length,
        x0: Math.min(...ws.map((w) => w.x0)), y0: Math.min(...ws.map((w) => w.y0)),
        x1: Math.max(...ws.map((w) => w.x1)), y1: Math.max(...ws.map((w) => w.y1)),
      });
    }
  }
  return hits.filter((a) => !hits.some((b) => b !== a && b.group !== a.group && b.start <= a.start && b.end >= a.end && b.end - b.start > a.end - a.start));
}
