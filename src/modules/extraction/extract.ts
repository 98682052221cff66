/**
 * Key-field extraction: candidates from the pages' words, scored by the ranking model,
 * the best value per field chosen (probabilities of candidates with the same normalized
 * value add up; a field whose "none" option wins is left out), invoice amounts reconciled
 * so that subtotal + tax = total where the top choices allow it, a receipt's date taken from
 * the surer of two OCR readings that differ in one character, and the consistency rules
 * applied to the confidences.
 */
import { buildCandidates, featureMatrix, FIELDS, type Candidate, type DocumentType, type ExtractionPage } from './candidates';
import { foldedSimilarity, KNOWN_RECEIPT_VALUES, NO_KNOWN_VALUES, pairedValue, snapToKnown, type KnownValues } from './known-values';
import { loadExtractorModel, type FieldScorer } from './model';
import { lettersForDigits } from './ocr-correct';
import { applyPenalties, validateFields, type BrokenRule } from './validate';

/** An extracted field: value as printed, normalized value, confidence 0..1, page (from 1) and box [x, y, w, h] (0..1). */
export interface ExtractedField {
  value: string;
  normalized: string | null;
  confidence: number;
  page: number;
  box: [number, number, number, number];
}

/** What `extractFields` returns: the fields found and the rules they break. */
export interface ExtractionResult {
  type: DocumentType;
  fields: Record<string, ExtractedField>;
  issues: BrokenRule[];
}

/** A value a field could take, with its probability and its best-scored candidate. */
interface Option {
  candidate: Candidate;
  key: string;
  p: number;
}

/** Extracts the fields of a document of `type` from its pages (words with boxes). */
export async function extractFields(pages: ExtractionPage[], type: DocumentType, scorer?: FieldScorer): Promise<ExtractionResult> {
  const { candidates } = buildCandidates(pages);
  const model = scorer ?? (await loadExtractorModel());
  const logits = await model.score(type, featureMatrix(candidates), candidates.length);
  return pickFields(candidates, logits, type);
}

/** Ranked options per field: softmax over the field's candidates and "none" (logit 0), merged by normalized value. */
export function rankOptions(candidates: Candidate[], logits: Float32Array, type: DocumentType): Record<string, { none: number; options: Option[] }> {
  const specs = FIELDS[type];
  const K = specs.length;
  const out: Record<string, { none: number; options: Option[] }> = {};
  specs.forEach((spec, k) => {
    const idx: number[] = [];
    candidates.forEach((c, i) => {
      if (c.kind === spec.kind && c.normalized !== null) idx.push(i);
    });
    let mx = 0;
    for (const i of idx) mx = Math.max(mx, logits[i * K + k]);
    let Z = Math.exp(-mx);
    for (const i of idx) Z += Math.exp(logits[i * K + k] - mx);
    const byKey = new Map<string, Option & { best: number }>();
    for (const i of idx) {
      const c = candidates[i];
      const key = spec.kind === 'block' ? c.normalized!.toUpperCase().replace(/\s+/g, '') : c.normalized!;
      const l = logits[i * K + k];
      const p = Math.exp(l - mx) / Z;
      const o = byKey.get(key);
      if (!o) byKey.set(key, { candidate: c, key, p, best: l });
      else {
        o.p += p;
        if (l > o.best) {
          o.best = l;
          o.candidate = c;
        }
      }
    }
    out[spec.name] = { none: Math.exp(-mx) / Z, options: [...byKey.values()].sort((a, b) => b.p - a.p) };
  });
  return out;
}

/**
 * Whether a known address may be this receipt's: it is, unless every vendor it was seen
 * with reads nothing like the receipt's company (a known address of another shop on the
 * same street is not this one).
 */
function sameVendor(known: KnownValues, field: string, value: string, company: string | undefined): boolean {
  if (field !== 'address' || !company) return true;
  const vendors = known.pairs.filter((p) => p.address === value && p.company).map((p) => p.company);
  return vendors.length === 0 || vendors.some((v) => foldedSimilarity(v, company) >= PAIR_SIMILARITY);
}

/** Options of a text field that are tried against the known values, best first. */
const SNAP_OPTIONS = 3;
/** Options searched for a known vendor's other value (its address given its name, or the reverse). */
const PAIR_OPTIONS = 10;
/** How like the vendor's other value such an option must read (OCR of logos and small print is poor). */
const PAIR_SIMILARITY = 0.5;
/** Options of a receipt's date compared with the chosen one, and how much surer (OCR confidence, 0..100) another reading must be. */
const READING_OPTIONS = 3;
const SURER_MARGIN = 10;

/**
 * Chooses one value per field from scored candidates (pure; `extractFields` without the
 * model). OCR'd receipt names and addresses are snapped to `known` values (by default the
 * training receipts' vendors): the best of the top options that is close to one is taken;
 * and once one of a vendor's two is known, an option that reads roughly like the vendor's
 * only known other value is taken as that value.
 */
export function pickFields(candidates: Candidate[], logits: Float32Array, type: DocumentType, known: KnownValues = type === 'receipt' ? KNOWN_RECEIPT_VALUES : NO_KNOWN_VALUES): ExtractionResult {
  const ranked = rankOptions(candidates, logits, type);
  const chosen: Record<string, Option | null> = {};
  const snapped: Record<string, string> = {};
  for (const spec of FIELDS[type]) {
    const r = ranked[spec.name];
    chosen[spec.name] = r.options[0] && (spec.required || r.options[0].p > r.none) ? r.options[0] : null;
    const values = known.fields[spec.name];
    if (!chosen[spec.name] || !values?.length) continue;
    const tried = r.options.slice(0, SNAP_OPTIONS);
    for (const [j, o] of tried.entries()) {
      const value = o.candidate.ocr ? snapToKnown(o.candidate.text, values) : null;
      if (value === null || !sameVendor(known, spec.name, value, snapped.company ?? chosen.company?.candidate.text)) continue;
      // A likelier option that goes on past this one (a chain's address plus its branch's
      // line) keeps its extra lines after the known value.
      const longer = tried.slice(0, j).find((e) => e.candidate.text.length > o.candidate.text.length && e.candidate.text.startsWith(o.candidate.text));
      chosen[spec.name] = longer ?? o;
      snapped[spec.name] = longer ? `${value} ${longer.candidate.text.slice(o.candidate.text.length).trim()}` : value;
      break;
    }
  }
  for (const [from, field] of [['company', 'address'], ['address', 'company']]) {
    if (!snapped[from] || snapped[field] || !ranked[field]) continue;
    const partner = pairedValue(known, from, snapped[from], field);
    if (!partner) continue;
    let best: Option | null = null, bestSim = PAIR_SIMILARITY;
    for (const o of ranked[field].options.slice(0, PAIR_OPTIONS)) {
      const sim = o.candidate.ocr ? foldedSimilarity(o.candidate.text, partner) : 0;
      if (sim >= bestSim) [best, bestSim] = [o, sim];
    }
    if (!best) continue;
    chosen[field] = best;
    snapped[field] = partner;
  }
  if (type === 'invoice') reconcileAmounts(ranked, chosen);
  if (type === 'receipt' && chosen.date) chosen.date = surerReading(ranked.date.options, chosen.date);
  const fields: Record<string, ExtractedField> = {};
  for (const [name, o] of Object.entries(chosen)) {
    if (!o) continue;
    const c = o.candidate;
    const read = c.kind === 'block' ? (c.ocr ? lettersForDigits(c.text) : c.text).replace(/\s+/g, ' ').trim() : c.text;
    const value = snapped[name] ?? read;
    const normalized = snapped[name] ?? (c.kind === 'block' ? read : c.normalized);
    fields[name] = { value, normalized, confidence: Math.round(o.p * (0.5 + c.ocrConfidence / 200) * 1000) / 1000, page: c.page, box: c.box };
  }
  const issues = validateFields(type, fields);
  return { type, fields: applyPenalties(fields, issues), issues };
}

/**
 * A receipt prints its one date more than once (head and foot); two OCR readings of it that
 * differ in a single character are one date, misread once: the reading OCR was clearly
 * surer of wins, whichever the model ranked first.
 */
function surerReading(options: Option[], chosen: Option): Option {
  if (!chosen.candidate.ocr) return chosen;
  let best = chosen;
  for (const o of options.slice(0, READING_OPTIONS)) {
    if (o === chosen || !o.candidate.ocr || o.key.length !== chosen.key.length) continue;
    const differing = [...o.key].filter((ch, i) => ch !== chosen.key[i]).length;
    if (differing === 1 && o.candidate.ocrConfidence >= best.candidate.ocrConfidence + SURER_MARGIN) best = o;
  }
  // Both readings are the one date: their probabilities add up.
  return best === chosen ? chosen : { ...best, p: Math.min(1, best.p + chosen.p) };
}

/**
 * Picks subtotal, tax and total among each field's top three options (or none) to maximize
 * the joint probability, counting combinations whose sum does not hold at a tenth.
 */
function reconcileAmounts(ranked: Record<string, { none: number; options: Option[] }>, chosen: Record<string, Option | null>): void {
  const choices = (name: string) => {
    const r = ranked[name];
    const top = r.options.slice(0, 3).map((o) => ({ o: o as Option | null, p: o.p }));
    return name === 'total' && top.length ? top : [{ o: null as Option | null, p: r.none }, ...top];
  };
  let best = -1;
  let pick: [Option | null, Option | null, Option | null] = [chosen.subtotal, chosen.tax, chosen.total];
  for (const s of choices('subtotal')) for (const t of choices('tax')) for (const tot of choices('total')) {
    let p = s.p * t.p * tot.p;
    if (s.o && tot.o) {
      const sum = Number(s.o.key) + (t.o ? Number(t.o.key) : 0);
      if (Math.abs(sum - Number(tot.o.key)) > 0.011) p *= 0.1;
    }
    if (p > best) {
      best = p;
      pick = [s.o, t.o, tot.o];
    }
  }
  [chosen.subtotal, chosen.tax, chosen.total] = pick;
}
