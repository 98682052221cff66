/**
 * Training labels: which candidates of a document carry each field's true value, for
 * SROIE receipts (keys as printed, matched after normalization; names and addresses by
 * folded text, or the closest block when OCR spelling differs) and synthetic invoices
 * (exact truth). Also the comparisons the benchmark reports (exact and normalized).
 */
import { buildCandidates, FEATURE_COUNT, FEATURE_NAMES, FIELDS, type Candidate, type DocumentType, type ExtractionPage } from '../../src/modules/extraction/candidates';
import { foldText, normalizeAmount, normalizeDate } from '../../src/modules/extraction/normalize';
import type { TrainDoc } from './ranker';
import type { ReceiptKey } from './sroie';
import type { Truth } from './synthetic-invoices';

/** Levenshtein similarity 0..1 of two strings. */
export function similarity(a: string, b: string): number {
  if (a === b) return 1;
  if (!a.length || !b.length) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return 1 - prev[b.length] / Math.max(a.length, b.length);
}

/** Normalized truth of a SROIE receipt per field (null: no value to learn). */
export function receiptTruth(key: ReceiptKey): Record<string, string | null> {
  return {
    company: key.company ? foldText(key.company) : null,
    address: key.address ? foldText(key.address) : null,
    date: key.date ? normalizeDate(key.date.replace(/^.*?(\d)/, '$1'), 'dmy') ?? normalizeDate(key.date, 'dmy') : null,
    total: key.total ? normalizeAmount(key.total.replace(/[^\d.,-]/g, '')) : null,
  };
}

const TAX_NEAREST = FEATURE_NAMES.indexOf('nearest_left_tax');
const TAXID_NEAREST = FEATURE_NAMES.indexOf('nearest_left_taxid');

/** Indices of candidates whose value is the truth, by field kind. Blocks match folded text, else the closest above `fuzzy`. */
function positives(cands: Candidate[], kind: Candidate['kind'], truth: string, fuzzy: number): number[] {
  const idx: number[] = [];
  cands.forEach((c, i) => {
    if (c.kind !== kind || c.normalized === null) return;
    if (kind === 'block' ? foldText(c.text) === truth : kind === 'amount' ? Number(c.normalized) === Number(truth) : c.normalized.toUpperCase() === truth.toUpperCase()) idx.push(i);
  });
  if (idx.length || kind !== 'block' || fuzzy >= 1) return idx;
  let best = -1, bestSim = fuzzy;
  cands.forEach((c, i) => {
    if (c.kind !== 'block') return;
    const s = similarity(foldText(c.text), truth);
    if (s > bestSim) {
      best = i;
      bestSim = s;
    }
  });
  return best >= 0 ? [best] : [];
}

/** A document ready for training: candidates, features, label groups. */
export interface LabelledDoc extends TrainDoc {
  candidates: Candidate[];
}

/**
 * Labels a document. `truth` maps field name → normalized true value (null: the document
 * has no such field, so "none" is the answer; undefined: unknown, the field is not trained).
 */
export function labelDoc(pages: ExtractionPage[], type: DocumentType, truth: Record<string, string | null | undefined>, fuzzy = 0.8): LabelledDoc {
  const { candidates } = buildCandidates(pages);
  const x = new Float32Array(candidates.length * FEATURE_COUNT);
  candidates.forEach((c, i) => x.set(c.features, i * FEATURE_COUNT));
  const groups: TrainDoc['groups'] = [];
  FIELDS[type].forEach((spec, k) => {
    const t = truth[spec.name];
    if (t === undefined) return;
    const idx = candidates.flatMap((c, i) => (c.kind === spec.kind && c.normalized !== null ? [i] : []));
    if (!idx.length) return;
    const pos = t === null ? [] : positives(candidates, spec.kind, t, fuzzy);
    if (t !== null && !pos.length) return; // the value is not among the candidates: nothing to learn
    groups.push({ field: k, idx: Int32Array.from(idx), pos: Int32Array.from(pos) });
  });
  return { x, n: candidates.length, groups, candidates };
}

/**
 * Truth for a SROIE receipt including a weak label for tax, which SROIE does not annotate:
 * the last amount whose nearest label to the left is a tax word (not a tax id) and that is
 * below the total; none when there is no such amount.
 */
export function receiptTrainTruth(pages: ExtractionPage[], key: ReceiptKey): Record<string, string | null | undefined> {
  const truth: Record<string, string | null | undefined> = receiptTruth(key);
  const total = truth.total ? Number(truth.total) : null;
  const { candidates } = buildCandidates(pages);
  const taxed = candidates.filter((c) => c.kind === 'amount' && c.features[TAX_NEAREST] === 1 && c.features[TAXID_NEAREST] !== 1 && Number(c.normalized) > 0 && (total === null || Number(c.normalized) < total * 0.3));
  truth.tax = taxed.length ? taxed.at(-1)!.normalized : null;
  return truth;
}

/** Normalized truth of a synthetic invoice per field. */
export function invoiceTruth(truth: Truth): Record<string, string | null> {
  return Object.fromEntries(Object.entries(truth).map(([k, v]) => [k, v === null ? null : ['vendorName', 'vendorAddress', 'customerName'].includes(k) ? foldText(v.value) : v.normalized]));
}

/** Exact (as printed, trimmed) and normalized comparisons of a prediction with the truth. */
export function compare(field: string, kind: Candidate['kind'], predicted: { value: string; normalized: string | null } | undefined, truthValue: string | null, truthNormalized: string | null): { exact: boolean; normalized: boolean } {
  if (truthValue === null) return { exact: !predicted, normalized: !predicted };
  if (!predicted) return { exact: false, normalized: false };
  const exact = predicted.value.trim() === truthValue.trim();
  let normalized: boolean;
  if (kind === 'block') normalized = foldText(predicted.value) === foldText(truthValue);
  else if (kind === 'amount') normalized = predicted.normalized !== null && truthNormalized !== null && Number(predicted.normalized) === Number(truthNormalized);
  else normalized = (predicted.normalized ?? '').toUpperCase() === (truthNormalized ?? '').toUpperCase();
  return { exact, normalized: normalized || exact };
}
