/**
 * Known receipt vendors: the company names and addresses of the SROIE training receipts
 * (`receipt-lexicon.json`, built by scripts/train/build-lexicon.ts without the benchmark's
 * test receipts). OCR of small print rarely gets a whole multi-line address right to the
 * character; when an OCR'd name or address is within a few edits of exactly one known value,
 * that value is what the receipt prints. Only OCR text is snapped (text layers are exact),
 * and only when the known value is clearly closer than any other. Pure and deterministic.
 */
import lexicon from './receipt-lexicon.json' with { type: 'json' };
import { foldText } from './normalize';

/** Known values per field name, as printed, and which values were seen together on one document. */
export interface KnownValues {
  fields: Readonly<Record<string, readonly string[]>>;
  pairs: ReadonlyArray<Readonly<Record<string, string>>>;
}

const file = lexicon as { companies?: Record<string, number>; addresses?: Record<string, number>; vendors?: string[][] };

/** The shipped known values: receipt company names and addresses, and which name went with which address. */
export const KNOWN_RECEIPT_VALUES: KnownValues = Object.freeze({
  fields: { company: Object.keys(file.companies ?? {}), address: Object.keys(file.addresses ?? {}) },
  pairs: (file.vendors ?? []).map(([company, address]) => ({ company, address })),
});

/** No known values (documents other than receipts). */
export const NO_KNOWN_VALUES: KnownValues = Object.freeze({ fields: {}, pairs: [] });

/**
 * The one value of `field` ever seen with `value` of `from` (a vendor's address given its
 * name, or its name given its address), or null when there is none or more than one.
 */
export function pairedValue(known: KnownValues, from: string, value: string, field: string): string | null {
  const partners = new Set<string>();
  let partner: string | null = null;
  for (const p of known.pairs) {
    if (p[from] !== value || !p[field]) continue;
    partners.add(foldText(p[field]));
    partner ??= p[field];
  }
  return partners.size === 1 ? partner : null;
}

/** Similarity 0..1 of two texts after folding (1 - edits / longer length). */
export function foldedSimilarity(a: string, b: string): number {
  const fa = foldText(a), fb = foldText(b);
  const longer = Math.max(fa.length, fb.length);
  return longer ? 1 - boundedDistance(fa, fb, longer) / longer : 1;
}

/** A value is snapped when at least this similar (1 - edits / longer length, on folded text). */
export const SNAP_SIMILARITY = 0.8;

/** Edit distance of two strings, giving up (returning `max + 1`) once it must exceed `max`. */
function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The known value an OCR'd text most probably is, or null: the closest known value at
 * `SNAP_SIMILARITY` or better (the commonest of equally close ones), provided no clearly
 * different value is nearly as close — a chain's branches differ in a few characters, and a
 * reading between two of them is left as read. Spellings of one value that differ by a
 * character or two (a final full stop) do not count as different values.
 */
export function snapToKnown(text: string, known: readonly string[]): string | null {
  const t = foldText(text);
  if (t.length < 4) return null;
  const near: Array<{ value: string; folded: string; d: number }> = [];
  for (const value of known) {
    const folded = foldText(value);
    const limit = Math.floor((1 - SNAP_SIMILARITY) * Math.max(folded.length, t.length));
    const d = boundedDistance(t, folded, limit);
    if (d <= limit) near.push({ value, folded, d });
  }
  if (!near.length) return null;
  // Stable: `known` lists commoner values first.
  near.sort((a, b) => a.d - b.d);
  const best = near[0];
  if (best.d === 0) return best.value;
  const same = Math.max(2, Math.round(0.03 * best.folded.length));
  const rival = near.find((n) => n.d < 2 * best.d && n.folded !== best.folded && boundedDistance(n.folded, best.folded, same) > same);
  return rival ? null : best.value;
}
