/**
 * Normalization of extracted values: dates to ISO `YYYY-MM-DD`, amounts to decimal strings,
 * currency marks to ISO 4217 codes, IBAN checksums, and text folding for comparisons.
 * Pure functions, shared by candidate generation, extraction, validation and benchmarks.
 */

/** Day-month-year (Europe, Asia) or month-day-year (United States) for numeric dates. */
export type DateOrder = 'dmy' | 'mdy';

/** Month names and abbreviations in English, German, French, Spanish, Dutch and Malay, accents removed, lower case. */
const MONTHS: Record<string, number> = {};
const MONTH_NAMES: string[][] = [
  ['january', 'jan', 'januar', 'janner', 'janvier', 'janv', 'enero', 'ene', 'januari'],
  ['february', 'feb', 'februar', 'fevrier', 'fevr', 'fev', 'febrero', 'februari', 'febr'],
  ['march', 'mar', 'marz', 'maerz', 'mars', 'marzo', 'maart', 'mrt', 'mac'],
  ['april', 'apr', 'avril', 'avr', 'abril', 'abr'],
  ['may', 'mai', 'mayo', 'mei'],
  ['june', 'jun', 'juni', 'juin', 'junio'],
  ['july', 'jul', 'juli', 'juillet', 'juil', 'julio', 'julai'],
  ['august', 'aug', 'aout', 'agosto', 'ago', 'augustus', 'ogos', 'ogo'],
  ['september', 'sep', 'sept', 'septembre', 'septiembre', 'set'],
  ['october', 'oct', 'oktober', 'okt', 'octobre', 'octubre'],
  ['november', 'nov', 'novembre', 'noviembre', 'nop'],
  ['december', 'dec', 'dezember', 'dez', 'decembre', 'diciembre', 'dic', 'disember', 'dis'],
];
MONTH_NAMES.forEach((names, i) => names.forEach((n) => (MONTHS[n] = i + 1)));

/** A regex alternation of every month name, longest first. */
export const MONTH_PATTERN = Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|');

/** Lower case without accents, for matching words in many languages. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Case and spacing folded: upper case with every whitespace removed (the normalized text comparison). */
export function foldText(text: string): string {
  return text.normalize('NFKC').toUpperCase().replace(/\s+/g, '');
}

/** The month number of a name or abbreviation in a supported language, or undefined. */
export function monthNumber(name: string): number | undefined {
  const key = fold(name).replace(/\.$/, '');
  return MONTHS[key];
}

function isoDate(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1) return null;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d > days || y < 1900 || y > 2100) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function fullYear(y: string): number {
  const n = Number(y);
  return y.length === 2 ? (n < 70 ? 2000 + n : 1900 + n) : n;
}

const NUMERIC_YMD = /^(\d{4})[./-](\d{1,2})[./-](\d{1,2})$/;
const NUMERIC_DMY = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})$/;
const JOINED_YEAR = /^(\d{1,2})([./-])(\d{2})((?:19|20)\d{2})$/;
const WORD_DMY = new RegExp(`^(\\d{1,2})(?:st|nd|rd|th|er|e|o|º)?\\.?[\\s.-]*(?:de\\s+)?(${MONTH_PATTERN})\\.?[\\s,.-]*(?:de\\s+)?(\\d{4}|\\d{2})$`, 'i');
const WORD_MDY = new RegExp(`^(${MONTH_PATTERN})\\.?\\s*(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})$`, 'i');

/**
 * Parses a printed date into `YYYY-MM-DD`, or null. Numeric dates are read day first unless
 * `order` is 'mdy'; a date that only makes sense the other way round (`12/31/2024`) is read
 * that way. Two-digit years below 70 are 20xx.
 */
export function normalizeDate(text: string, order: DateOrder = 'dmy'): string | null {
  // OCR drops a date's second separator now and then: `30-092017` is read as `30-09-2017`.
  const s = fold(text.trim()).replace(/\s+/g, ' ').replace(JOINED_YEAR, '$1$2$3$2$4');
  let m = NUMERIC_YMD.exec(s);
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = NUMERIC_DMY.exec(s);
  if (m) {
    const a = Number(m[1]), b = Number(m[2]), y = fullYear(m[3]);
    const first = order === 'mdy' ? isoDate(y, a, b) : isoDate(y, b, a);
    return first ?? (order === 'mdy' ? isoDate(y, b, a) : isoDate(y, a, b));
  }
  m = WORD_DMY.exec(s);
  if (m) return isoDate(fullYear(m[3]), monthNumber(m[2]) ?? 0, Number(m[1]));
  m = WORD_MDY.exec(s);
  if (m) return isoDate(fullYear(m[3]), monthNumber(m[1]) ?? 0, Number(m[2]));
  return null;
}

/** Which order a numeric date forces, if only one reading is a valid date. */
export function dateOrderHint(text: string): DateOrder | null {
  const m = NUMERIC_DMY.exec(text.trim());
  if (!m) return null;
  const a = Number(m[1]), b = Number(m[2]);
  if (a > 12 && b <= 12) return 'dmy';
  if (b > 12 && a <= 12) return 'mdy';
  return null;
}

/** Currency symbols and local marks → ISO 4217. */
const SYMBOLS: Record<string, string> = {
  '€': 'EUR', '$': 'USD', 'US$': 'USD', '£': 'GBP', '¥': 'JPY', '₹': 'INR', 'RM': 'MYR', 'FR.': 'CHF', 'SFR': 'CHF', 'S$': 'SGD',
  'A$': 'AUD', 'C$': 'CAD', 'KR': 'SEK', 'ZŁ': 'PLN', 'KČ': 'CZK',
};
/** ISO codes recognized as currencies when printed. */
export const CURRENCY_CODES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'CAD', 'AUD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'HUF', 'MYR', 'SGD', 'INR', 'CNY', 'HKD', 'NZD', 'ZAR'];

/** ISO 4217 code of a printed currency mark (`€`, `RM`, `usd`, `Fr.`), or null. */
export function normalizeCurrency(text: string): string | null {
  const s = text.trim().toUpperCase();
  if (CURRENCY_CODES.includes(s)) return s;
  return SYMBOLS[s] ?? null;
}

/** A regex source matching a currency mark (symbol or code). */
export const CURRENCY_PATTERN = `(?:${[...CURRENCY_CODES, 'US\\$', 'S\\$', 'A\\$', 'C\\$', 'RM', 'Fr\\.', 'SFr'].join('|')}|[€$£¥₹])`;

/**
 * Parses a printed amount into a decimal string with two or more decimals kept as printed
 * (`1.234,56` → `1234.56`, `1 234,56 €` → `1234.56`, `RM 9.99` → `9.99`, `(12.00)` → `-12.00`),
 * or null. The decimal mark is the last `.` or `,` followed by one or two digits (or three
 * when it is the only separator and a `.`, as receipts print unit prices `9.000`);
 * other marks, spaces and apostrophes group thousands.
 */
export function normalizeAmount(text: string): string | null {
  let s = text.trim().replace(new RegExp(CURRENCY_PATTERN, 'gi'), '').replace(/[\s\u00a0\u202f]/g, '');
  let negative = false;
  if (/^\(.*\)$/.test(s)) {
    negative = true;
    s = s.slice(1, -1);
  }
  if (s.startsWith('-')) {
    negative = true;
    s = s.slice(1);
  } else if (s.endsWith('-')) {
    negative = true;
    s = s.slice(0, -1);
  }
  if (!/^\d[\d.,']*$/.test(s)) return null;
  let intPart = s;
  let dec = '';
  const last = Math.max(s.lastIndexOf('.'), s.lastIndexOf(','));
  if (last >= 0) {
    const tail = s.slice(last + 1);
    const sep = s[last];
    const onlyOne = s.indexOf(sep) === last && !s.slice(0, last).match(/[.,]/);
    if (tail.length === 1 || tail.length === 2 || (tail.length === 3 && sep === '.' && onlyOne)) {
      intPart = s.slice(0, last);
      dec = tail;
    }
  }
  // Grouping must be consistent: groups of three after the first.
  const groups = intPart.split(/[.,']/);
  if (groups.length > 1 && (groups[0].length === 0 || groups[0].length > 3 || groups.slice(1).some((g) => g.length !== 3))) return null;
  const digits = groups.join('').replace(/^0+(?=\d)/, '');
  if (!digits) return null;
  const value = dec ? `${digits}.${dec.padEnd(2, '0')}` : `${digits}.00`;
  return negative && Number(value) !== 0 ? `-${value}` : value;
}

/** Compact form of an IBAN: upper case, no spaces. */
export function compactIban(text: string): string {
  return text.replace(/[\s-]/g, '').toUpperCase();
}

/** True when `text` is an IBAN with a valid ISO 13616 mod-97 checksum. */
export function isValidIban(text: string): boolean {
  const s = compactIban(text);
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem === 1;
}

/** The two check digits that make `country + '00' + bban` a valid IBAN (for generators and tests). */
export function ibanCheckDigits(country: string, bban: string): string {
  const moved = `${bban}${country}00`.toUpperCase();
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + Number(d)) % 97;
  }
  return String(98 - rem).padStart(2, '0');
}

/** Normalizes the value of a field of the given kind; text is folded to single spaces. */
export function normalizeValue(kind: 'date' | 'amount' | 'currency' | 'iban' | 'id' | 'text', text: string, order: DateOrder = 'dmy'): string | null {
  switch (kind) {
    case 'date':
      return normalizeDate(text, order);
    case 'amount':
      return normalizeAmount(text);
    case 'currency':
      return normalizeCurrency(text);
    case 'iban':
      return isValidIban(text) ? compactIban(text) : null;
    case 'id':
      return text.trim().replace(/^[#:№]+/, '').toUpperCase();
    default:
      return text.replace(/\s+/g, ' ').trim();
  }
}
