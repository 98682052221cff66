/**
 * Document classification: invoice, receipt or other, plus an organization's custom types.
 *
 * Built-in types come from a small network (models/classifier.onnx, trained by
 * scripts/train/train-classifier.ts) over features of the document's text that hold across
 * layouts and languages: keyword families (invoice, bill-to, due date, bank details, tax
 * ids, cashier, change, thanks… in English, German, French, Spanish, Dutch and Malay), the
 * density of amounts, dates, times and currency marks, the shape of lines (short lines
 * ending in an amount), prose markers (function words, sentence ends, salutations), length,
 * and hashed word counts. Pages with word boxes are read row by row; pages without (DOCX,
 * e-mail, plain text) by their text, so both classify alike.
 *
 * Custom types are matched by their keywords (see `matchCustomType`): a clear match beats
 * the built-in types. Very short or empty text is `other` with a low confidence.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { layoutPage, type PageWord } from './layout';
import { fold } from './normalize';

/** A page to classify: its text, its words with boxes, or both (words win when present). */
export interface ClassifyPage {
  text?: string;
  words?: PageWord[] | null;
}

/** An organization's custom type as the classifier sees it: a key and the phrases that mark it. */
export interface CustomTypeKeywords {
  key: string;
  keywords: string[];
}

/** The type chosen, its confidence 0..1, and the score of every type considered. */
export interface Classification {
  type: string;
  confidence: number;
  scores: Record<string, number>;
}

/** The built-in types, in the order of the model's output. */
export const CLASSIFIER_LABELS = ['invoice', 'receipt', 'other'] as const;
export type BuiltinClass = (typeof CLASSIFIER_LABELS)[number];

/** Scores feature rows: `rows × CLASSIFIER_LABELS.length` probabilities, row-major. */
export interface ClassifierModel {
  predict(features: Float32Array, rows: number): Promise<Float32Array>;
}

/** Where the shipped model lives: `<repo>/models/classifier.onnx`. */
export const DEFAULT_CLASSIFIER_PATH = fileURLToPath(new URL('../../../models/classifier.onnx', import.meta.url));

// ---------------------------------------------------------------------------------------
// Text

/** Fewer words than this: too little to tell, `other` with a low confidence. */
export const MIN_WORDS = 5;

/**
 * The document's text, one line per row: word-boxed pages are laid out into rows (segments
 * of a row joined by two spaces), other pages give their text as is.
 */
export function documentText(pages: readonly ClassifyPage[]): string {
  return pages
    .map((p, i) => {
      if (p.words?.length) {
        const layout = layoutPage({ words: p.words }, i + 1);
        const rows: string[][] = [];
        for (const s of layout.segments) (rows[s.row] ??= []).push(s.text);
        return rows.filter(Boolean).map((r) => r.join('  ')).join('\n');
      }
      return p.text ?? '';
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------
// Features

const phrases = (list: string[]) => new RegExp(`(?<![\\p{L}\\p{N}])(?:${list.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s*')).join('|')})(?![\\p{L}])`, 'gu');

/** Keyword families, folded (lower case, no accents). Counted per document. */
const FAMILIES: Record<string, string[]> = {
  invoice: ['invoice', 'rechnung', 'facture', 'factura', 'factuur', 'fattura', 'faktura', 'invoice no', 'proforma'],
  invoice_no: ['invoice no', 'invoice number', 'invoice #', 'inv no', 'rechnungsnummer', 'rechnung nr', 'rechnungs-nr', 'facture n', 'n° de facture', 'numero de facture', 'factura n', 'numero de factura', 'factuurnummer', 'factuur nr'],
  bill_to: ['bill to', 'billed to', 'invoice to', 'sold to', 'ship to', 'deliver to', 'rechnungsempfanger', 'rechnungsadresse', 'lieferadresse', 'facturer a', 'adresse de facturation', 'facturar a', 'factuur aan', 'factuuradres', 'customer no', 'customer id', 'kundennummer', 'kunden-nr', 'n° client', 'code client', 'codigo cliente', 'klantnummer'],
  due: ['due date', 'payment due', 'pay by', 'due', 'net 30', 'net 14', 'payment terms', 'terms', 'fallig', 'zahlbar', 'zahlungsziel', 'innerhalb von', 'echeance', 'a payer avant', 'paiement a', 'vencimiento', 'pago a', 'vervaldatum', 'te betalen voor', 'betaling binnen'],
  bank: ['iban', 'bic', 'swift', 'bank', 'account no', 'sort code', 'routing', 'bankverbindung', 'konto', 'coordonnees bancaires', 'banque', 'datos bancarios', 'banco', 'bankgegevens', 'rekening'],
  taxid: ['vat no', 'vat reg', 'vat number', 'vat id', 'tax id', 'ein', 'ust-idnr', 'ust-id', 'steuernummer', 'uid', 'mwst-nr', 'tva intracom', 'n° tva', 'siret', 'nif', 'cif', 'btw-nummer', 'btw nr', 'gst reg', 'gst id', 'gst no', 'abn', 'roc', 'co reg', 'company reg'],
  tax: ['tax', 'vat', 'gst', 'sst', 'mwst', 'ust', 'umsatzsteuer', 'tva', 'iva', 'btw', 'sales tax', 'service tax', 'service charge'],
  total: ['total', 'subtotal', 'sub total', 'grand total', 'amount due', 'balance due', 'gesamt', 'gesamtbetrag', 'summe', 'zwischensumme', 'total ht', 'total ttc', 'net a payer', 'montant', 'importe', 'base imponible', 'totaal', 'subtotaal', 'te betalen', 'jumlah'],
  table: ['qty', 'quantity', 'unit price', 'price', 'rate', 'description', 'item', 'items', 'menge', 'einzelpreis', 'beschreibung', 'betrag', 'quantite', 'prix unitaire', 'designation', 'cantidad', 'precio unitario', 'descripcion', 'aantal', 'omschrijving', 'prijs', 'bedrag', 'pcs', 'unit', 'uom', 'disc'],
  po: ['purchase order', 'po number', 'po no', 'order no', 'order number', 'your reference', 'bestellnummer', 'bon de commande', 'pedido', 'inkoopnummer', 'bestelnummer', 'uw referentie'],
  receipt: ['receipt', 'official receipt', 'cash receipt', 'sales receipt', 'kassenbon', 'kassenbeleg', 'quittung', 'beleg', 'bon', 'ticket', 'ticket de caisse', 'recu', 'recibo', 'kassabon', 'kwitantie', 'bonnummer', 'resit', 'cash bill', 'simplified tax invoice'],
  cashier: ['cashier', 'cashier no', 'kassierer', 'kasse', 'caissier', 'caisse', 'cajero', 'caja', 'kassa', 'kassier', 'counter', 'till', 'pos', 'terminal', 'server', 'table', 'served by', 'operator', 'clerk', 'staff', 'trans', 'transaction', 'trx', 'slip', 'member', 'membership', 'points', 'outlet', 'branch', 'store', 'shop'],
  change: ['change', 'cash', 'tendered', 'amount tendered', 'rounding', 'round adj', 'rounding adj', 'ruckgeld', 'bar', 'gegeben', 'rendu', 'especes', 'monnaie', 'cambio', 'efectivo', 'wisselgeld', 'contant', 'paid', 'payment', 'visa', 'mastercard', 'master', 'card', 'debit', 'credit', 'amex', 'ec-karte', 'girocard', 'pin'],
  thanks: ['thank you', 'thanks', 'come again', 'please come again', 'see you', 'vielen dank', 'danke', 'merci', 'a bientot', 'gracias', 'bedankt', 'tot ziens', 'terima kasih', 'not returnable', 'not refundable', 'no refund', 'no exchange', 'exchange', 'keep this receipt', 'goods sold'],
  salutation: ['dear', 'sincerely', 'regards', 'kind regards', 'best regards', 'yours', 'hello', 'hi', 'sehr geehrte', 'sehr geehrter', 'liebe', 'lieber', 'mit freundlichen grussen', 'freundliche grusse', 'madame', 'monsieur', 'cordialement', 'salutations', 'bonjour', 'estimado', 'estimada', 'atentamente', 'saludos', 'un saludo', 'geachte', 'beste', 'met vriendelijke groet', 'hartelijke groet'],
  prose: ['agenda', 'minutes', 'attendees', 'action items', 'meeting', 'discussed', 'agreed', 'agreement', 'party', 'parties', 'shall', 'hereby', 'whereas', 'section', 'chapter', 'abstract', 'introduction', 'conclusion', 'results', 'method', 'figure', 'references', 'report', 'project', 'policy', 'please', 'would', 'could', 'should', 'because', 'however', 'therefore', 'protokoll', 'besprechung', 'vertrag', 'bericht', 'kapitel', 'reunion', 'compte rendu', 'contrat', 'rapport', 'chapitre', 'reunion', 'acta', 'contrato', 'informe', 'capitulo', 'vergadering', 'notulen', 'overeenkomst', 'verslag', 'hoofdstuk'],
};
const FAMILY_NAMES = Object.keys(FAMILIES);
const FAMILY_RES = FAMILY_NAMES.map((k) => phrases(FAMILIES[k]));

/** Frequent function words of the six languages: prose has many, forms and receipts few. */
const STOPWORDS = new Set(
  ('the of and to in is that for it as was with be by on not this are at from or an which have has had were been their they we you he she its our your will would can also than then there these those such more into about ' +
    'der die das und ist nicht mit den dem des ein eine einer zu von auf fur sich auch es wir sie ich im bei aus wie werden wird hat haben oder dass ' +
    'le la les et est une un des du dans pour que qui pas sur au avec ce il elle nous vous sont par plus ont ete cette aux ' +
    'el los las y es una en por con para que del se lo como mas pero sus esta son fue ha han nos ' +
    'het een en is van de dat niet met voor op zijn aan er ook als bij om wordt worden maar deze dit ons uw hebben').split(' '),
);

const AMOUNT_RE = /(?<![\p{L}\p{N}.,])\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2}(?![\p{N}])/gu;
const AMOUNT_END_RE = /\d[.,]\d{2}\s*(?:[a-z]{1,3}|[€$£])?\s*$/u;
const DATE_RE = /(?<![\p{N}])(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}[./-]\d{1,2}[./-]\d{1,2})(?![\p{N}])|(?<![\p{N}])\d{1,2}\.?\s?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|januar|janvier|enero|januari|mai|mars|marz|mei|juin|juni|okt|dez|dic|ene|abr|ago|fev|avr|aout|dis|ogo)[a-z]*\.?,?\s\d{2,4}/gu;
const TIME_RE = /(?<![\p{N}:])\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?(?![\p{N}])/gu;
const CURRENCY_RE = /[€$£¥₹]|(?<![\p{L}])(?:rm|eur|usd|gbp|chf|sgd|myr|jpy|cad|aud|sek|nok|dkk|pln|czk|inr|hkd|fr\.)(?![\p{L}])/gu;
const PERCENT_RE = /\d\s?%/gu;
const QTY_X_RE = /(?<![\p{L}\p{N}])\d+(?:[.,]\d+)?\s?[x@*]\s?\d|(?<![\p{L}])(?:x|@)\s?\d+[.,]\d{2}/gu;
const SENTENCE_RE = /\p{L}{3,}[.!?](?:\s|$)/gu;

/** Buckets of hashed words (letters only, two or more). */
export const HASH_BUCKETS = 128;

/** Hand features, in vector order before the hashed word buckets. */
const HAND_FEATURES: readonly string[] = [
  ...FAMILY_NAMES.map((f) => `kw_${f}`),
  ...FAMILY_NAMES.map((f) => `kwtop_${f}`),
  'log_words', 'log_lines', 'words_per_line', 'chars_per_line', 'short_lines', 'long_lines',
  'amount_density', 'amount_lines', 'amount_end_lines', 'log_amounts', 'log_dates', 'date_density', 'log_times', 'log_currency', 'currency_density', 'log_percent', 'qty_x',
  'numeric_tokens', 'stopword_frac', 'sentence_density', 'mean_word_len', 'upper_lines', 'colon_lines', 'distinct_frac',
];

/** Names of the model's input features, in vector order (recorded in the manifest). */
export const CLASSIFIER_FEATURES: readonly string[] = Object.freeze([...HAND_FEATURES, ...Array.from({ length: HASH_BUCKETS }, (_, i) => `hash_${i}`)]);
export const CLASSIFIER_FEATURE_COUNT = CLASSIFIER_FEATURES.length;

const count = (re: RegExp, s: string) => {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(s)) n++;
  return n;
};

/** FNV-1a, 32 bits. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Words of folded text: letters only, two or more, as the hashed features count them. */
function letterWords(folded: string): string[] {
  return folded.match(/\p{L}{2,}/gu) ?? [];
}

/** The feature vector of a document's text (see `CLASSIFIER_FEATURES`). */
export function classifierFeatures(text: string): Float32Array {
  const v = new Float32Array(CLASSIFIER_FEATURE_COUNT);
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const folded = fold(lines.join('\n'));
  const flines = folded.split('\n');
  const tokens = folded.split(/\s+/).filter(Boolean);
  const nTok = Math.max(tokens.length, 1), nLines = Math.max(lines.length, 1);
  const top = flines.slice(0, 8).join('\n');
  let k = 0;
  for (const re of FAMILY_RES) v[k++] = Math.log1p(count(re, folded));
  for (const re of FAMILY_RES) v[k++] = count(re, top) > 0 ? 1 : 0;
  const lineWords = flines.map((l) => l.split(/\s+/).filter(Boolean).length);
  const amounts = count(AMOUNT_RE, folded);
  const dates = count(DATE_RE, folded);
  const currency = count(CURRENCY_RE, folded);
  const words = letterWords(folded);
  v[k++] = Math.log1p(tokens.length);
  v[k++] = Math.log1p(lines.length);
  v[k++] = Math.log1p(tokens.length / nLines);
  v[k++] = Math.log1p(folded.length / nLines);
  v[k++] = lineWords.filter((n) => n <= 4).length / nLines;
  v[k++] = lineWords.filter((n) => n >= 12).length / nLines;
  v[k++] = amounts / nTok;
  v[k++] = flines.filter((l) => { AMOUNT_RE.lastIndex = 0; return AMOUNT_RE.test(l); }).length / nLines;
  v[k++] = flines.filter((l) => AMOUNT_END_RE.test(l)).length / nLines;
  v[k++] = Math.log1p(amounts);
  v[k++] = Math.log1p(dates);
  v[k++] = dates / nTok;
  v[k++] = Math.log1p(count(TIME_RE, folded));
  v[k++] = Math.log1p(currency);
  v[k++] = currency / nTok;
  v[k++] = Math.log1p(count(PERCENT_RE, folded));
  v[k++] = Math.log1p(count(QTY_X_RE, folded));
  v[k++] = tokens.filter((t) => /\d/.test(t) && !/\p{L}{2}/u.test(t)).length / nTok;
  v[k++] = words.filter((w) => STOPWORDS.has(w)).length / Math.max(words.length, 1);
  v[k++] = count(SENTENCE_RE, folded) / nTok;
  v[k++] = words.length ? words.reduce((n, w) => n + w.length, 0) / words.length / 10 : 0;
  v[k++] = lines.filter((l) => /\p{L}/u.test(l) && l === l.toUpperCase()).length / nLines;
  v[k++] = flines.filter((l) => /:/.test(l)).length / nLines;
  v[k++] = new Set(tokens).size / nTok;
  // Hashed words, log counts, L2-normalized so long documents do not dominate.
  const buckets = new Float64Array(HASH_BUCKETS);
  for (const w of words) buckets[hash(w) % HASH_BUCKETS]++;
  let norm = 0;
  for (let i = 0; i < HASH_BUCKETS; i++) {
    buckets[i] = Math.log1p(buckets[i]);
    norm += buckets[i] * buckets[i];
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < HASH_BUCKETS; i++) v[k++] = buckets[i] / norm;
  return v;
}

// ---------------------------------------------------------------------------------------
// Custom types

/**
 * How well a custom type's keywords match a document, 0..1, and whether the match is clear.
 *
 * Each keyword (a word or phrase, matched folded — case and accents ignored — as whole
 * words, spacing free) counts once when found; found in the heading (the first five lines)
 * it counts 1.5. Coverage is that sum over min(keywords, 3): three distinct keywords, or
 * every keyword of a type that has fewer, make a full match. The match is clear when
 * coverage reaches 2/3 and either two distinct keywords are found or one is in the heading:
 * a single keyword somewhere in the body ("purchase order" on an invoice) is never enough.
 * The type's confidence is 0.5 + 0.45 × coverage (0.8 to 0.95 for a clear match).
 */
export function matchCustomType(text: string, keywords: readonly string[]): { coverage: number; clear: boolean; confidence: number } {
  const list = [...new Set(keywords.map((k) => fold(k).trim().replace(/\s+/g, ' ')).filter(Boolean))];
  if (!list.length) return { coverage: 0, clear: false, confidence: 0 };
  const folded = fold(text);
  const heading = folded.split('\n').filter((l) => l.trim()).slice(0, 5).join('\n');
  let strength = 0, found = 0, inHeading = 0;
  for (const kw of list) {
    const re = phrases([kw]);
    if (count(re, heading) > 0) {
      strength += 1.5;
      found++;
      inHeading++;
    } else if (count(re, folded) > 0) {
      strength += 1;
      found++;
    }
  }
  const coverage = Math.min(1, strength / Math.min(list.length, 3));
  const clear = coverage >= 2 / 3 - 1e-9 && (found >= 2 || inHeading >= 1);
  return { coverage, clear, confidence: Math.round((0.5 + 0.45 * coverage) * 1000) / 1000 };
}

// ---------------------------------------------------------------------------------------
// Classification

/**
 * Classifies a document from its pages. Built-in scores come from the model; a custom type
 * with a clear keyword match (see `matchCustomType`) wins over them, the best-covered one
 * when several match. `scores` holds every built-in probability and every custom type's
 * match confidence.
 */
export async function classifyDocument(pages: readonly ClassifyPage[], customTypes: readonly CustomTypeKeywords[] = [], model?: ClassifierModel): Promise<Classification> {
  const text = documentText(pages);
  const nWords = text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
  const scores: Record<string, number> = {};
  let best: Classification;
  if (nWords < MIN_WORDS) {
    // Too little text to tell: other, with a confidence that grows with what there is.
    const other = Math.round((0.1 + 0.05 * nWords) * 1000) / 1000;
    const rest = Math.round(((1 - other) / 2) * 1000) / 1000;
    Object.assign(scores, { invoice: rest, receipt: rest, other });
    best = { type: 'other', confidence: other, scores };
  } else {
    const m = model ?? (await loadClassifierModel());
    const probs = await m.predict(classifierFeatures(text), 1);
    CLASSIFIER_LABELS.forEach((label, i) => (scores[label] = Math.round(probs[i] * 1000) / 1000));
    const top = CLASSIFIER_LABELS.reduce((a, b) => (scores[b] > scores[a] ? b : a));
    best = { type: top, confidence: scores[top], scores };
  }
  let custom: { key: string; coverage: number; confidence: number } | null = null;
  for (const t of customTypes) {
    const match = matchCustomType(text, t.keywords);
    scores[t.key] = match.confidence;
    if (match.clear && (!custom || match.coverage > custom.coverage)) custom = { key: t.key, ...match };
  }
  if (custom) best = { type: custom.key, confidence: custom.confidence, scores };
  return best;
}

// ---------------------------------------------------------------------------------------
// Model

/** The model's manifest entry, as `models/manifest.json` records it. */
export interface ClassifierManifestEntry {
  name: string;
  file: string;
  sha256: string;
  features: string[];
  labels: string[];
}

const sessions = new Map<string, Promise<ClassifierModel>>();

/**
 * The classifier at `modelPath`, loaded on first use and shared afterwards. The
 * `manifest.json` beside it must list the file with the same sha256, features and labels,
 * so a damaged, swapped or stale model fails loudly instead of classifying nonsense.
 */
export function loadClassifierModel(modelPath = DEFAULT_CLASSIFIER_PATH): Promise<ClassifierModel> {
  const key = path.resolve(modelPath);
  let loaded = sessions.get(key);
  if (!loaded) {
    loaded = createModel(key);
    loaded.catch(() => sessions.delete(key));
    sessions.set(key, loaded);
  }
  return loaded;
}

async function createModel(modelPath: string): Promise<ClassifierModel> {
  const bytes = fs.readFileSync(modelPath);
  checkManifest(modelPath, bytes);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  if (!session.outputNames.includes('probs')) throw new Error(`The classifier ${modelPath} has no "probs" output.`);
  return {
    async predict(features, rows) {
      if (features.length !== rows * CLASSIFIER_FEATURE_COUNT) throw new Error(`Expected ${rows} × ${CLASSIFIER_FEATURE_COUNT} features, got ${features.length} values.`);
      const out = await session.run({ features: new ort.Tensor('float32', features, [rows, CLASSIFIER_FEATURE_COUNT]) }, ['probs']);
      return out.probs.data as Float32Array;
    },
  };
}

function checkManifest(modelPath: string, bytes: Buffer): void {
  const name = path.basename(modelPath);
  const file = path.join(path.dirname(modelPath), 'manifest.json');
  if (!fs.existsSync(file)) throw new Error(`No manifest.json beside the classifier ${name}.`);
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { models?: ClassifierManifestEntry[] };
  const entry = manifest.models?.find((m) => m.file === name);
  if (!entry) throw new Error(`manifest.json does not list the classifier ${name}.`);
  if (crypto.createHash('sha256').update(bytes).digest('hex') !== entry.sha256) throw new Error(`The classifier ${name} does not match the sha256 in manifest.json.`);
  if (JSON.stringify(entry.features) !== JSON.stringify(CLASSIFIER_FEATURES) || JSON.stringify(entry.labels) !== JSON.stringify(CLASSIFIER_LABELS)) {
    throw new Error(`The classifier ${name} was trained for other features or labels; retrain it with scripts/train/train-classifier.ts.`);
  }
}
