/**
 * OCR word correction against a lexicon of receipt words. Tesseract confuses look-alike
 * letters on small print ("TAHAN" for TAMAN, "SON BHD" for SDN BHD, "Fetaling" for
 * Petaling); a word that is not in the lexicon but is one look-alike letter away from a word
 * many receipts use is read as that word. The lexicon (receipt-lexicon.json, built by
 * scripts/train/build-lexicon.ts) holds the words of the SROIE training receipts — never the
 * benchmark's test receipts — with how many receipts use each. Only OCR words (those with a
 * confidence) are corrected; text layers are taken as they are. Pure and deterministic.
 */
import lexicon from './receipt-lexicon.json' with { type: 'json' };
import type { PageWord } from './layout';

const WORDS = new Map<string, number>(Object.entries((lexicon as { words: Record<string, number> }).words));

/** Pairs of characters tesseract takes for one another (either way round). */
const LOOKALIKE_PAIRS = [
  'OD', 'OQ', 'OG', 'QG', 'OC', 'O0', 'DQ', 'D0', 'GC', 'G6', 'CE', 'MH', 'MN', 'HN', 'IL', 'I1', 'L1', 'IT', 'IJ', 'TJ', 'S5', 'S$',
  'B8', 'BE', 'E8', 'UV', 'VY', 'RP', 'RK', 'PF', 'A4', 'Z2', 'RA', 'HK',
];
const PAIRS = new Set(LOOKALIKE_PAIRS.flatMap((p) => [p, p[1] + p[0]]));
const lookalike = (a: string, b: string) => PAIRS.has(a + b);

/** A replacement must be used by at least this many training receipts. */
const MIN_USES = 3;

/** Index of lexicon words by length, for the one-substitution search. */
const BY_LENGTH = new Map<number, string[]>();
for (const w of WORDS.keys()) BY_LENGTH.set(w.length, [...(BY_LENGTH.get(w.length) ?? []), w]);

/** The lexicon word an upper-case OCR word was probably meant to be, or null to keep it. */
export function correctWord(upper: string): string | null {
  if (upper.length < 3 || WORDS.has(upper) || !/^[\p{Lu}\d$|!]+$/u.test(upper) || !/\p{Lu}.*\p{Lu}/u.test(upper)) return null;
  let best: string | null = null, bestScore = 0, second = 0;
  for (const w of BY_LENGTH.get(upper.length) ?? []) {
    const uses = WORDS.get(w)!;
    if (uses < MIN_USES) continue;
    let diff = -1;
    for (let i = 0; i < w.length; i++) {
      if (w[i] === upper[i]) continue;
      if (diff >= 0) {
        diff = -2;
        break;
      }
      diff = i;
    }
    if (diff < 0) continue;
    const similar = lookalike(w[diff], upper[diff]);
    // Other letters only inside long words: a different first or last letter often makes
    // another word (SINAR, DINAR; ISSUES, ISSUED).
    if (!similar && (upper.length < 5 || diff === 0 || diff === upper.length - 1)) continue;
    if (upper.length < 5 && uses < 2 * MIN_USES) continue;
    const score = uses * (similar ? 4 : 1);
    if (score > bestScore) {
      second = bestScore;
      bestScore = score;
      best = w;
    } else if (score > second) second = score;
  }
  return best && bestScore >= 2 * second ? best : null;
}

/** `fixed` written in the letter case of `as` (upper, lower or capitalized). */
function inCaseOf(fixed: string, as: string): string {
  if (as === as.toUpperCase()) return fixed;
  if (as === as.toLowerCase()) return fixed.toLowerCase();
  return fixed[0] + fixed.slice(1).toLowerCase();
}

/** A token with each run of letters (and look-alike digits) corrected: "1181-THN" → "1181-TMN". */
function correctToken(token: string): string {
  // The Malaysian company suffix "S/B" (Sdn Bhd), often misread in its first or last letter.
  if (/^[S5$&][/][B8R]$/i.test(token)) return 'S/B';
  return token.replace(/[\p{L}\d$|!]+/gu, (run) => {
    if (!/\p{L}.*\p{L}/u.test(run)) return run;
    const core = /^([\d|!]*)(.*?)$/u.exec(run)!;
    const fixed = correctWord(core[2].toUpperCase());
    return fixed ? `${core[1]}${inCaseOf(fixed, core[2])}` : run;
  });
}

/** The words of an OCR page with look-alike letter errors corrected; other words (and text-layer pages) unchanged. */
export function correctOcrWords(words: PageWord[]): PageWord[] {
  const out = words.map((w) => {
    if (w.c === undefined || !w.t) return w;
    const t = correctToken(w.t);
    return t === w.t ? w : { ...w, t };
  });
  // "SON BHD", "SEN BHD": the word before BHD that starts with S and ends with N is SDN.
  for (let i = 0; i + 1 < out.length; i++) {
    if (out[i].c === undefined || !/^BHD\b/i.test(out[i + 1].t)) continue;
    const m = /^([S5$])[A-Z0-9]([NH])$/i.exec(out[i].t);
    if (m && out[i].t.toUpperCase() !== 'SDN') out[i] = { ...out[i], t: inCaseOf('SDN', out[i].t) };
  }
  return out;
}

/**
 * A name or address with the look-alike digits OCR puts into words read as letters: a word
 * of at least two letters holding one 0 or 1, not at its end, and no other digit ("URBAN
 * 1DEA" → "URBAN IDEA", "SHOPP1NG" → "SHOPPING", "0ld Town" → "Old Town"); ordinals
 * ("1ST", "1st") and codes ending in their number ("KL1") stay.
 */
export function lettersForDigits(text: string): string {
  return text.replace(/[\p{L}\d]+/gu, (word) => {
    const digits = word.match(/\d/g) ?? [];
    if (digits.length !== 1 || !/[01]/.test(digits[0]) || /\d$/.test(word) || (word.match(/\p{L}/gu) ?? []).length < 2 || /^\d(st|nd|rd|th)$/i.test(word)) return word;
    const letter = digits[0] === '0' ? 'O' : 'I';
    const at = word.search(/\d/);
    // A capital first, or after a capital; lower case after a lower-case letter.
    const fixed = at > 0 && /\p{Ll}/u.test(word[at - 1]) ? letter.toLowerCase() : letter;
    return word.slice(0, at) + fixed + word.slice(at + 1);
  });
}
