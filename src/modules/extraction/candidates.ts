/**
 * Candidate generation and feature vectors for key-field extraction. From the laid-out
 * pages it proposes every value a field could take — dates, amounts, identifiers, IBANs,
 * currency marks, and blocks of stacked lines for names and addresses — and describes each
 * with a fixed-length vector of layout, content and label-proximity features that the
 * ranking model scores. Pure: no I/O, deterministic.
 */
import { LABEL_GROUPS, layoutPage, makeSegment, wordsInRange, type ExtractionPage, type LabelGroup, type LabelHit, type LaidWord, type PageLayout, type Segment } from './layout';
import { correctOcrWords } from './ocr-correct';
import { CURRENCY_PATTERN, dateOrderHint, fold, isValidIban, MONTH_PATTERN, normalizeAmount, normalizeCurrency, normalizeDate, normalizeValue, type DateOrder } from './normalize';

export type { ExtractionPage, PageWord } from './layout';

/** What a candidate is; each field draws from one kind. */
export type CandidateKind = 'date' | 'amount' | 'id' | 'iban' | 'currency' | 'block';
export const CANDIDATE_KINDS: CandidateKind[] = ['date', 'amount', 'id', 'iban', 'currency', 'block'];

/** Documents the extractor knows. */
export type DocumentType = 'receipt' | 'invoice';

/** A field of a document type and the kind of candidate that fills it. */
export interface FieldSpec {
  name: string;
  kind: CandidateKind;
  /** Every document of the type has it: the best candidate is taken even when "none" scores higher. */
  required?: boolean;
}

/** Fields per document type, in the order of the model's outputs. */
export const FIELDS: Readonly<Record<DocumentType, readonly FieldSpec[]>> = Object.freeze({
  receipt: [
    { name: 'company', required: true, kind: 'block' },
    { name: 'address', required: true, kind: 'block' },
    { name: 'date', required: true, kind: 'date' },
    { name: 'total', required: true, kind: 'amount' },
    { name: 'tax', kind: 'amount' },
  ],
  invoice: [
    { name: 'invoiceNumber', required: true, kind: 'id' },
    { name: 'invoiceDate', kind: 'date' },
    { name: 'dueDate', kind: 'date' },
    { name: 'vendorName', kind: 'block' },
    { name: 'vendorAddress', kind: 'block' },
    { name: 'vendorTaxId', kind: 'id' },
    { name: 'customerName', kind: 'block' },
    { name: 'poNumber', kind: 'id' },
    { name: 'currency', kind: 'currency' },
    { name: 'subtotal', kind: 'amount' },
    { name: 'tax', kind: 'amount' },
    { name: 'total', required: true, kind: 'amount' },
    { name: 'iban', kind: 'iban' },
  ],
});

/** A proposed value with where it was found and its feature vector. */
export interface Candidate {
  kind: CandidateKind;
  /** The value as printed. */
  text: string;
  /** The normalized value (ISO date, decimal amount, ISO currency, compact IBAN, id, single-spaced text). */
  normalized: string | null;
  /** Page number, from 1. */
  page: number;
  /** Page-normalized box [x, y, w, h] around the value. */
  box: [number, number, number, number];
  /** Mean OCR confidence of its words (0..100), 100 for text layers. */
  ocrConfidence: number;
  /** Read by OCR (its page's words carry confidences), not taken from a text layer. */
  ocr: boolean;
  features: Float32Array;
}

/** Candidates of a document and the date order inferred for it. */
export interface CandidateSet {
  candidates: Candidate[];
  dateOrder: DateOrder;
}

const COMPANY_RE = /(?<![\p{L}])(sdn\.? ?bhd|s\/b|bhd|berhad|enterprise|enterprises|trading|gmbh|ag|ltd|limited|llc|inc|corp|corporation|company|co\.|sarl|s\.a\.r\.l\.|sas|s\.a\.|s\.l\.|sl|sa|b\.v\.|bv|n\.v\.|kg|ohg|plc|pty|restaurant|store|mart|hardware|bakery|cafe|shop|supermarket|station|services|industries|group|holdings)(?![\p{L}])/u;
const ADDRESS_RE = /(?<![\p{L}])(jalan|jln|taman|lorong|street|st\.|road|rd\.?|avenue|ave|lane|blvd|strasse|str\.|weg|platz|allee|gasse|rue|boulevard|bd|calle|avda|avenida|plaza|straat|laan|plein|gracht|no\.|lot|floor|blok|block|kawasan|bandar|selangor|kuala lumpur|johor|malaysia|germany|deutschland|france|espana|spain|nederland|netherlands|schweiz|switzerland|suisse|usa|united kingdom|suite|building|park)(?![\p{L}])/u;

/** Names of the features, in vector order (recorded in the model manifest). */
export const FEATURE_NAMES: readonly string[] = Object.freeze([
  ...CANDIDATE_KINDS.map((k) => `kind_${k}`),
  'x0', 'y0', 'x1', 'y1', 'height_rel', 'row_from_top', 'row_from_bottom', 'first_page', 'last_page', 'ocr_confidence',
  ...LABEL_GROUPS.flatMap((g) => [`left_${g}`, `above_${g}`, `own_${g}`, `nearest_left_${g}`]),
  'amt_log', 'amt_rank', 'amt_is_max', 'amt_same_count', 'amt_sum_of_two', 'amt_part_of_sum', 'amt_currency_adjacent', 'amt_rightmost', 'amt_below_total', 'amt_is_max_below_total', 'amt_tendered_less_change',
  'date_rank', 'date_is_earliest', 'date_is_latest', 'date_count', 'date_has_time', 'date_words',
  'id_length', 'id_digit_frac', 'id_has_letters', 'id_has_sep', 'id_is_number',
  'iban_valid',
  'cur_count', 'cur_is_code', 'cur_adjacent_amount',
  'blk_lines', 'blk_chars', 'blk_upper_frac', 'blk_digit_frac', 'blk_commas', 'blk_postcode', 'blk_company', 'blk_address', 'blk_start_index', 'blk_is_first',
  'blk_prev_company', 'blk_next_contact', 'blk_height_max', 'blk_width', 'blk_ends_comma', 'blk_label_only', 'blk_left_aligned', 'blk_prev_exists', 'blk_next_exists',
  'blk_starts_label', 'blk_has_contact', 'blk_company_first',
]);
const F = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<string, number>;
/** Length of every feature vector. */
export const FEATURE_COUNT = FEATURE_NAMES.length;

const NUM = String.raw`(?:\d{1,3}(?:[.,'’]\d{3})+(?:[.,]\d{1,2})?|\d{1,3}(?: \d{3})+,\d{2}|\d+[.,]\d{1,3}|\d+)`;
// An amount stands alone or right after a currency printed against it ("RM96.20", "EUR12,00").
const AMOUNT_RE = new RegExp(String.raw`(?:(?<![\d.,/:\-\p{L}])|(?<=(?:^|[^\p{L}])${CURRENCY_PATTERN}))${NUM}(?![\d/:%]|[.,]\d|\s?%)`, 'gu');
const CUR_RE = new RegExp(`(?<![\\p{L}])${CURRENCY_PATTERN}(?![\\p{L}])`, 'giu');
const CUR_NEAR_BEFORE = new RegExp(`${CURRENCY_PATTERN}\\s?$`, 'i');
const CUR_NEAR_AFTER = new RegExp(`^\\s?${CURRENCY_PATTERN}`, 'i');
const DATE_RES = [
  /(?<![\d./-])\d{4}[./-]\d{1,2}[./-]\d{1,2}(?![\d./-]*\d)/g,
  /(?<![\d./-])\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?![\d])/g,
  // … its second separator lost in OCR.
  /(?<![\d./-])\d{1,2}[./-]\d{2}(?:19|20)\d{2}(?![\d./-])/g,
  new RegExp(`(?<![\\d\\p{L}])\\d{1,2}(?:st|nd|rd|th|er)?\\.?[\\s.-]*(?:de\\s+)?(?:${MONTH_PATTERN})\\.?[\\s,.-]*(?:de\\s+)?(?:\\d{4}|\\d{2})(?![\\d])`, 'giu'),
  new RegExp(`(?<![\\p{L}])(?:${MONTH_PATTERN})\\.?\\s*\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}(?![\\d])`, 'giu'),
];
const IBAN_RE = /(?<![A-Z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Z0-9])/g;
const ID_RE = /^(?=.*\d)[A-Za-z0-9][A-Za-z0-9\-/._]{2,29}$/;

interface Span {
  seg: Segment;
  start: number;
  end: number;
  text: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  b: [number, number, number, number];
  conf: number;
  h: number;
}

function spanOf(seg: Segment, start: number, end: number, confs: Map<object, number>): Span | null {
  const ws = wordsInRange(seg, start, end);
  if (!ws.length) return null;
  const bx0 = Math.min(...ws.map((w) => w.b[0])), by0 = Math.min(...ws.map((w) => w.b[1]));
  const bx1 = Math.max(...ws.map((w) => w.b[0] + w.b[2])), by1 = Math.max(...ws.map((w) => w.b[1] + w.b[3]));
  return {
    seg, start, end, text: seg.text.slice(start, end),
    x0: Math.min(...ws.map((w) => w.x0)), y0: Math.min(...ws.map((w) => w.y0)),
    x1: Math.max(...ws.map((w) => w.x1)), y1: Math.max(...ws.map((w) => w.y1)),
    b: [bx0, by0, bx1 - bx0, by1 - by0],
    conf: ws.reduce((n, w) => n + (confs.get(w) ?? 100), 0) / ws.length,
    h: Math.max(...ws.map((w) => w.h)),
  };
}

interface Draft {
  kind: CandidateKind;
  text: string;
  normalized: string | null;
  page: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  h: number;
  b: [number, number, number, number];
  conf: number;
  segs: Segment[];
  /** Character start within the first segment (values), 0 for blocks. */
  start: number;
  extra: Record<string, number>;
}

/**
 * Builds the candidates of a document from its pages. The date order (day or month first)
 * is inferred from dates that only read one way, else from a dollar currency, else day first.
 */
export function buildCandidates(pages: ExtractionPage[]): CandidateSet {
  pages = pages.map((p) => ({ ...p, words: correctOcrWords(p.words) }));
  const confs = new Map<object, number>();
  const layouts: PageLayout[] = pages.map((p, i) => {
    const lay = layoutPage(p, i + 1);
    // Keep OCR confidences by word identity (layoutPage keeps word order per page).
    const raw = p.words.filter((w) => w.t && w.t.trim() && w.b && w.b.length === 4 && w.b[2] >= 0 && w.b[3] > 0);
    const all = lay.segments.flatMap((s) => s.words);
    const byBox = new Map(raw.map((w) => [w.b, w.c ?? 100]));
    for (const w of all) confs.set(w, byBox.get(w.b) ?? 100);
    return lay;
  });
  const drafts: Draft[] = [];
  const hints: DateOrder[] = [];
  let dollar = false;
  const dateSpans: Span[] = [];
  for (const lay of layouts) {
    for (const seg of lay.segments) {
      // Dates.
      const taken: Array<[number, number]> = [];
      for (const re of DATE_RES) {
        re.lastIndex = 0;
        // On the folded text (same length), so accented month names match.
        for (let m = re.exec(seg.folded); m; m = re.exec(seg.folded)) {
          const s = m.index, e = s + m[0].length;
          if (taken.some(([a, b]) => s < b && e > a)) continue;
          if (normalizeDate(m[0], 'dmy') === null && normalizeDate(m[0], 'mdy') === null) continue;
          taken.push([s, e]);
          const sp = spanOf(seg, s, e, confs);
          if (sp) dateSpans.push(sp);
          const hint = dateOrderHint(m[0]);
          if (hint) hints.push(hint);
        }
      }
      // Currencies.
      CUR_RE.lastIndex = 0;
      for (let m = CUR_RE.exec(seg.text); m; m = CUR_RE.exec(seg.text)) {
        const code = normalizeCurrency(m[0]);
        if (!code) continue;
        if (code === 'USD') dollar = true;
        const sp = spanOf(seg, m.index, m.index + m[0].length, confs);
        if (!sp) continue;
        const after = seg.text.slice(sp.end, sp.end + 2), before = seg.text.slice(Math.max(0, sp.start - 2), sp.start);
        drafts.push(draft('currency', sp, code, { cur_is_code: /^[A-Z]{3}$/i.test(m[0]) ? 1 : 0, cur_adjacent_amount: /^\s?\d/.test(after) || /\d\s?$/.test(before) ? 1 : 0 }));
      }
      // Amounts.
      AMOUNT_RE.lastIndex = 0;
      for (let m = AMOUNT_RE.exec(seg.text); m; m = AMOUNT_RE.exec(seg.text)) {
        const s = m.index, e = s + m[0].length;
        if (taken.some(([a, b]) => s < b && e > a)) continue;
        const curAdj = CUR_NEAR_BEFORE.test(seg.text.slice(Math.max(0, s - 5), s)) || CUR_NEAR_AFTER.test(seg.text.slice(e, e + 5));
        const hasDecimals = /[.,]\d{1,3}$/.test(m[0]) && !/^\d{1,3}(?:[,']\d{3})+$/.test(m[0]);
        if (!hasDecimals && !curAdj) continue;
        const value = normalizeAmount(m[0]);
        if (value === null) continue;
        const sp = spanOf(seg, s, e, confs);
        if (sp) drafts.push(draft('amount', sp, value, { amt_currency_adjacent: curAdj ? 1 : 0 }));
      }
      // IBANs.
      IBAN_RE.lastIndex = 0;
      for (let m = IBAN_RE.exec(seg.text.toUpperCase()); m; m = IBAN_RE.exec(seg.text.toUpperCase())) {
        const sp = spanOf(seg, m.index, m.index + m[0].length, confs);
        if (sp) drafts.push(draft('iban', sp, normalizeValue('iban', m[0]) ?? m[0].replace(/\s/g, ''), { iban_valid: isValidIban(m[0]) ? 1 : 0 }));
      }
      // Identifiers: single tokens with a digit.
      seg.words.forEach((w, i) => {
        const tok = w.text.replace(/^[#(:№]+/, '').replace(/[:;,)]+$/, '').replace(/\.$/, '');
        if (!ID_RE.test(tok)) return;
        if (normalizeDate(tok, 'dmy') || /^\d{1,3}(?:[.,]\d{3})*[.,]\d{2}$/.test(tok) || /^\d{1,2}:\d{2}/.test(tok)) return;
        const start = seg.starts[i] + w.text.indexOf(tok);
        const sp = spanOf(seg, start, start + tok.length, confs);
        if (!sp) return;
        const digits = (tok.match(/\d/g) ?? []).length;
        drafts.push(draft('id', sp, normalizeValue('id', tok), {
          id_length: Math.min(tok.length, 30) / 20, id_digit_frac: digits / tok.length, id_has_letters: /[A-Za-z]/.test(tok) ? 1 : 0,
          id_has_sep: /[-/._]/.test(tok) ? 1 : 0, id_is_number: /^\d+$/.test(tok) ? 1 : 0,
        }));
      });
    }
    drafts.push(...blockDrafts(lay, confs));
  }
  const dateOrder: DateOrder = hints.length ? (hints.filter((h) => h === 'mdy').length > hints.length / 2 ? 'mdy' : 'dmy') : dollar ? 'mdy' : 'dmy';
  for (const sp of dateSpans) {
    drafts.push(draft('date', sp, normalizeDate(sp.text, dateOrder), {
      date_has_time: /\d{1,2}:\d{2}/.test(sp.seg.text) ? 1 : 0, date_words: /[a-z]/i.test(sp.text) ? 1 : 0,
    }));
  }
  const candidates = featurize(drafts, layouts, pages.map((p) => p.words.some((w) => w.c !== undefined)));
  return { candidates, dateOrder };
}

function draft(kind: CandidateKind, sp: Span, normalized: string | null, extra: Record<string, number>): Draft {
  return { kind, text: sp.text, normalized, page: sp.seg.page, x0: sp.x0, y0: sp.y0, x1: sp.x1, y1: sp.y1, h: sp.h, b: sp.b, conf: sp.conf, segs: [sp.seg], start: sp.start, extra };
}

/** The segment stacked right below `seg`: next rows, overlapping horizontally, close vertically. */
function below(lay: PageLayout, seg: Segment): Segment | undefined {
  let best: Segment | undefined;
  let bestGap = Infinity;
  for (const s of lay.segments) {
    if (s.row <= seg.row || s.row > seg.row + 3) continue;
    const gap = s.y0 - seg.y1;
    if (gap > 1.5 * Math.max(seg.h, s.h, lay.medianH) || gap < -0.5 * seg.h) continue;
    const overlap = Math.min(s.x1, seg.x1) - Math.max(s.x0, seg.x0);
    if (overlap <= 0 && Math.abs(s.x0 - seg.x0) > 0.03) continue;
    if (gap < bestGap) {
      best = s;
      bestGap = gap;
    }
  }
  return best;
}

function above(lay: PageLayout, seg: Segment): Segment | undefined {
  return lay.segments.find((s) => below(lay, s) === seg);
}

const MAX_BLOCK_LINES = 6;
/** Lines that give a vendor's contact or registration details, or start the receipt proper (headings, cashier, table). */
const CONTACT_RE = /(?<![\p{L}])(tel|phone|fax|gst|reg|co\.? ?no|company no|hp|e-?mail|www|invoice|date|receipt|guest check|bill|cashier|table)(?![\p{L}])/u;
const REG_NO = /^[(\[]?(?:no[.:]?)?\d{3,}[- ]?[a-z]?[)\]]?[.,]?$|^[(\[]?\d{3,}-[a-z0-9]+[)\]]?$/i;

/**
 * A block's text without the marks OCR reads from rules, logos and specks at its edges
 * ("| MOONLIGHT", "© MEGAH", "[LEONG", ": Old", "BHD -").
 */
export function trimJunk(text: string): string {
  const t = text.replace(/^[^\p{L}\p{N}(]+/u, '').replace(/[\s|©®_~=:;\-—"'“”‘’*^`]+$/u, '');
  return t || text;
}

/** The first `chars` characters of a word, its box shortened in proportion. */
function cutWord(word: LaidWord, chars: number): LaidWord {
  const part = chars / word.text.length;
  const x1 = word.x0 + (word.x1 - word.x0) * part;
  return { ...word, text: word.text.slice(0, chars), folded: word.folded.slice(0, chars), x1, b: [word.b[0], word.b[1], word.b[2] * part, word.b[3]] };
}

/** Blocks of 1..6 stacked segments that start with letters: names, addresses. */
function blockDrafts(lay: PageLayout, confs: Map<object, number>): Draft[] {
  const out: Draft[] = [];
  const letters = (s: Segment) => (s.text.match(/\p{L}/gu) ?? []).length;
  const isLabelOnly = (s: Segment) => /:$/.test(s.text) && s.words.length <= 4;
  // Extra first lines: whole rows split by wide gaps (spaced-out shop names), and lines
  // without a trailing registration number ("99 SPEED MART S/B (519537-X)").
  const starts: Segment[] = [...lay.segments];
  const byRow = new Map<number, Segment[]>();
  for (const s of lay.segments) byRow.set(s.row, [...(byRow.get(s.row) ?? []), s]);
  for (const segs of byRow.values()) {
    if (segs.length >= 2 && segs.length <= 3) starts.push(makeSegment(lay.page, segs[0].row, segs[0].index, segs.flatMap((s) => s.words)));
  }
  for (const s of [...starts]) {
    let n = s.words.length;
    while (n > 1 && REG_NO.test(s.words[n - 1].text)) n--;
    // A bracketed registration number misread or split over words: "(519537-%)", "{519537-X)", "(139386 X)";
    // the last bracket opens it ("AEON CO. (M) BHD (126928-H)").
    const open = s.words.findLastIndex((w, i) => i > 0 && /^[([{]/.test(w.text));
    if (open > 0 && open < n && s.words.length - open <= 3 && (s.words.slice(open).map((w) => w.text).join('').match(/\d/g) ?? []).length >= 4) n = open;
    if (n < s.words.length) starts.push(makeSegment(lay.page, s.row, s.index, s.words.slice(0, n)));
    // ... or printed without a space before its bracket: "SDN BHD(139386X)", "BHD(139386 X)".
    const at = n === s.words.length ? s.words.findLastIndex((w, i) => i >= n - 2 && /^.*[\p{L}.][([{]/u.test(w.text)) : -1;
    const glued = at >= 0 ? /^(.*[\p{L}.])[([{]/u.exec(s.words[at].text) : null;
    const tail = glued ? [s.words[at].text.slice(glued[1].length), ...s.words.slice(at + 1).map((w) => w.text)].join('') : '';
    if (glued && (tail.match(/\d/g) ?? []).length >= 4 && !/[([{]/.test(tail.slice(1))) {
      const word = s.words[at];
      const part = cutWord(word, glued[1].length);
      confs.set(part, confs.get(word) ?? 100);
      starts.push(makeSegment(lay.page, s.row, s.index, [...s.words.slice(0, at), part]));
    }
  }
  for (const first of starts) {
    if (letters(first) < 2 || isLabelOnly(first)) continue;
    const prev = above(lay, first);
    const chain: Segment[] = [first];
    for (let k = 1; k <= MAX_BLOCK_LINES; k++) {
      const segs = chain.slice(0, k);
      const last = segs.at(-1)!;
      const next = k < chain.length ? chain[k] : below(lay, last);
      const text = trimJunk(segs.map((s) => s.text).join(' '));
      const words = segs.flatMap((s) => s.words);
      const chars = text.replace(/\s/g, '');
      const upper = (chars.match(/\p{Lu}/gu) ?? []).length, lower = (chars.match(/\p{Ll}/gu) ?? []).length;
      const bx0 = Math.min(...words.map((w) => w.b[0])), by0 = Math.min(...words.map((w) => w.b[1]));
      const bx1 = Math.max(...words.map((w) => w.b[0] + w.b[2])), by1 = Math.max(...words.map((w) => w.b[1] + w.b[3]));
      const ftext = fold(text);
      out.push({
        kind: 'block', text, normalized: text.replace(/\s+/g, ' ').trim(), page: lay.page,
        x0: Math.min(...segs.map((s) => s.x0)), y0: first.y0, x1: Math.max(...segs.map((s) => s.x1)), y1: last.y1,
        h: Math.max(...segs.map((s) => s.h)), b: [bx0, by0, bx1 - bx0, by1 - by0],
        conf: words.reduce((n, w) => n + (confs.get(w) ?? 100), 0) / words.length, segs, start: 0,
        extra: {
          blk_lines: k / MAX_BLOCK_LINES, blk_chars: Math.min(chars.length, 160) / 80, blk_upper_frac: upper / Math.max(1, upper + lower),
          blk_digit_frac: (chars.match(/\d/g) ?? []).length / Math.max(1, chars.length), blk_commas: Math.min((text.match(/,/g) ?? []).length, 8) / 4,
          blk_postcode: /(?<!\d)\d{4,6}(?!\d)/.test(text) ? 1 : 0, blk_company: COMPANY_RE.test(ftext) ? 1 : 0, blk_address: ADDRESS_RE.test(ftext) ? 1 : 0,
          blk_start_index: Math.min(first.index, 30) / 30, blk_is_first: first.index === 0 ? 1 : 0,
          blk_prev_company: prev && COMPANY_RE.test(prev.folded) ? 1 : 0,
          blk_next_contact: next && CONTACT_RE.test(next.folded) ? 1 : 0,
          blk_height_max: Math.max(...segs.map((s) => s.h)) / lay.medianH / 3, blk_width: Math.max(...segs.map((s) => s.x1)) - Math.min(...segs.map((s) => s.x0)),
          blk_ends_comma: /,$/.test(text) ? 1 : 0, blk_label_only: segs.some(isLabelOnly) ? 1 : 0,
          blk_left_aligned: segs.every((s) => Math.abs(s.x0 - first.x0) < 0.02) ? 1 : 0, blk_prev_exists: prev ? 1 : 0, blk_next_exists: next ? 1 : 0,
          // "OWNED BY: …", "Company No: …": a label at the start, or a contact line inside.
          blk_starts_label: first.words.slice(0, 3).some((w) => /\p{L}:$/u.test(w.text)) ? 1 : 0,
          blk_has_contact: segs.slice(1).some((s) => CONTACT_RE.test(s.folded)) ? 1 : 0,
          // A company form (SDN BHD, GmbH) on the first line, not only further down (a brand above its company).
          blk_company_first: COMPANY_RE.test(first.folded) ? 1 : 0,
        },
      });
      if (k === chain.length) {
        if (!next || letters(next) < 1) break;
        chain.push(next);
      }
    }
  }
  return out;
}

const decay = (d: number, scale: number) => Math.exp(-Math.max(0, d) / scale);

/** Whether a label stands to the left of a value on its row. */
function leftOnRow(d: Draft, l: LabelHit): boolean {
  return l.x1 <= d.x0 + 0.01 && Math.abs((l.y0 + l.y1) / 2 - (d.y0 + d.y1) / 2) < 0.6 * Math.max(d.y1 - d.y0, l.y1 - l.y0);
}

/** Label-proximity features of a box: for each group, left on the same row, above, inside, nearest-left. */
function labelFeatures(f: Float32Array, d: Draft, labels: LabelHit[]): void {
  let nearestLeft: LabelHit | undefined;
  let nearestDx = Infinity;
  for (const l of labels) {
    const g = l.group;
    const inside = d.segs.includes(l.segment) && (d.kind === 'block' || (l.segment === d.segs[0] && l.start >= d.start && l.end <= d.start + d.text.length));
    if (inside) {
      f[F[`own_${g}`]] = 1;
      continue;
    }
    const h = Math.max(d.y1 - d.y0, l.y1 - l.y0);
    if (leftOnRow(d, l)) {
      const dx = d.x0 - l.x1;
      f[F[`left_${g}`]] = Math.max(f[F[`left_${g}`]], decay(dx, 0.5));
      if (dx < nearestDx) {
        nearestDx = dx;
        nearestLeft = l;
      }
    } else if (l.y1 <= d.y0 + 0.3 * h) {
      const dy = d.y0 - l.y1;
      if (dy < 0.12 && l.x0 - 0.1 <= d.x1 && l.x1 + 0.15 >= d.x0) f[F[`above_${g}`]] = Math.max(f[F[`above_${g}`]], decay(dy, 0.03));
    }
  }
  if (nearestLeft) {
    for (const l of labels) if (l.segment === nearestLeft.segment && Math.abs(l.x1 - nearestLeft.x1) < 0.02) f[F[`nearest_left_${l.group}`]] = 1;
  }
}

function featurize(drafts: Draft[], layouts: PageLayout[], ocrPages: boolean[]): Candidate[] {
  const nPages = layouts.length;
  const amounts = drafts.filter((d) => d.kind === 'amount');
  const values = amounts.map((d) => Number(d.normalized));
  const distinct = [...new Set(values)].sort((a, b) => b - a);
  const max = distinct[0] ?? 0;
  const dates = drafts.filter((d) => d.kind === 'date' && d.normalized);
  const dateValues = dates.map((d) => d.normalized!).sort();
  const curCounts = new Map<string, number>();
  for (const d of drafts) if (d.kind === 'currency') curCounts.set(d.normalized!, (curCounts.get(d.normalized!) ?? 0) + 1);
  // Position of the last "total" label per page, for "below the total" features.
  const totalLabelY = new Map<number, number>();
  for (const lay of layouts) for (const l of lay.labels) if (l.group === 'total') totalLabelY.set(lay.page, Math.max(totalLabelY.get(lay.page) ?? -1, l.y0));
  const maxBelowTotal = Math.max(-Infinity, ...amounts.filter((d) => d.y0 >= (totalLabelY.get(d.page) ?? 2) - 0.01).map((d) => Number(d.normalized)));
  const sumOfTwo = (v: number) => {
    for (let i = 0; i < distinct.length; i++) for (let j = i; j < distinct.length; j++) if (Math.abs(distinct[i] + distinct[j] - v) < 0.005 && distinct[i] !== v && distinct[j] !== v && distinct[j] > 0) return true;
    return false;
  };
  const partOfSum = (v: number) => distinct.some((t) => t !== v && distinct.some((o) => o !== v && o !== t && Math.abs(v + o - t) < 0.005));
  // Payment lines: what was tendered less the change given back is what was due.
  const paymentOf = new Map(amounts.map((d) => [d, paymentLabel(d, layouts[d.page - 1].labels)]));
  const tendered = amounts.filter((d) => paymentOf.get(d) === 'tendered').map((d) => Number(d.normalized));
  const change = amounts.filter((d) => paymentOf.get(d) === 'change').map((d) => Number(d.normalized));
  const tenderedLessChange = (v: number) => v > 0 && tendered.some((t) => change.some((c) => c > 0 && Math.abs(t - c - v) < 0.005));
  return drafts.map((d) => {
    const lay = layouts[d.page - 1];
    const f = new Float32Array(FEATURE_COUNT);
    f[F[`kind_${d.kind}`]] = 1;
    f[F.x0] = d.x0;
    f[F.y0] = d.y0;
    f[F.x1] = d.x1;
    f[F.y1] = d.y1;
    f[F.height_rel] = Math.min(d.h / (lay.medianH || 1), 5) / 2;
    f[F.row_from_top] = Math.min(d.segs[0].row, 40) / 40;
    f[F.row_from_bottom] = Math.min(lay.rows - 1 - d.segs.at(-1)!.row, 40) / 40;
    f[F.first_page] = d.page === 1 ? 1 : 0;
    f[F.last_page] = d.page === nPages ? 1 : 0;
    f[F.ocr_confidence] = d.conf / 100;
    labelFeatures(f, d, lay.labels);
    for (const [k, v] of Object.entries(d.extra)) f[F[k]] = v;
    if (d.kind === 'amount') {
      const v = Number(d.normalized);
      f[F.amt_log] = Math.log10(1 + Math.abs(v)) / 5;
      f[F.amt_rank] = Math.min(distinct.indexOf(v), 10) / 10;
      f[F.amt_is_max] = v === max ? 1 : 0;
      f[F.amt_same_count] = Math.min(values.filter((x) => x === v).length, 6) / 3;
      f[F.amt_sum_of_two] = sumOfTwo(v) ? 1 : 0;
      f[F.amt_part_of_sum] = partOfSum(v) ? 1 : 0;
      f[F.amt_rightmost] = d.segs[0].words.at(-1)!.x1 <= d.x1 + 1e-6 && !lay.segments.some((s) => s.row === d.segs[0].row && s.x0 > d.x1) ? 1 : 0;
      f[F.amt_below_total] = d.y0 >= (totalLabelY.get(d.page) ?? 2) - 0.01 ? 1 : 0;
      f[F.amt_is_max_below_total] = f[F.amt_below_total] && v === maxBelowTotal ? 1 : 0;
      f[F.amt_tendered_less_change] = !paymentOf.get(d) && tenderedLessChange(v) ? 1 : 0;
    } else if (d.kind === 'date' && d.normalized) {
      f[F.date_rank] = Math.min(dates.indexOf(d), 5) / 5;
      f[F.date_is_earliest] = d.normalized === dateValues[0] ? 1 : 0;
      f[F.date_is_latest] = d.normalized === dateValues.at(-1) ? 1 : 0;
      f[F.date_count] = Math.min(new Set(dateValues).size, 5) / 5;
    } else if (d.kind === 'currency') {
      f[F.cur_count] = Math.min(curCounts.get(d.normalized!) ?? 0, 10) / 10;
    }
    return { kind: d.kind, text: d.text, normalized: d.normalized, page: d.page, box: d.b, ocrConfidence: d.conf, ocr: ocrPages[d.page - 1] ?? false, features: f };
  });
}

const TENDERED_LABEL = /^(cash|cash tendered|tendered|paid|payment)$/;
const CHANGE_LABEL = /^(change|change due)$/;

/** Whether an amount is labelled, on its row to its left, as tendered (cash, paid) or as change given back. */
function paymentLabel(d: Draft, labels: LabelHit[]): 'tendered' | 'change' | null {
  let nearest: LabelHit | undefined;
  for (const l of labels) if (l.group === 'payment' && leftOnRow(d, l) && (!nearest || l.x1 > nearest.x1)) nearest = l;
  const text = nearest?.segment.folded.slice(nearest.start, nearest.end);
  return text === undefined ? null : TENDERED_LABEL.test(text) ? 'tendered' : CHANGE_LABEL.test(text) ? 'change' : null;
}

/** Packs the feature vectors of `candidates` into one row-major matrix. */
export function featureMatrix(candidates: Candidate[]): Float32Array {
  const out = new Float32Array(candidates.length * FEATURE_COUNT);
  candidates.forEach((c, i) => out.set(c.features, i * FEATURE_COUNT));
  return out;
}

/** Reading-order text of a candidate set's label groups, for debugging. */
export function labelGroupsOf(text: string): LabelGroup[] {
  const lay = layoutPage({ words: [{ t: text, b: [0, 0, 1, 0.05] }] }, 1);
  return lay.labels.map((l) => l.group);
}
