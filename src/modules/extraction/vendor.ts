/**
 * Learning from reviews, per vendor. A confirmed review leaves a profile keyed by the
 * vendor's folded name: for each field, where its value sat (page and box), the words that
 * labelled it (the words just left of it on its row, or the row above), and — for fields
 * that never change between a vendor's documents (name, address, tax id, IBAN) — the value
 * itself. The next document whose text contains that vendor's name is extracted with the
 * profile: candidates at the remembered place or after the remembered label score higher,
 * and the vendor's constant values are taken where they appear. Pure.
 */
import type { Candidate, ExtractionPage, PageWord } from './candidates';
import { fold } from './normalize';

export type Box = [number, number, number, number];

/** What a review taught about one field. */
export interface FieldHint {
  page: number;
  box: Box;
  /** Folded words that labelled the value, or null. */
  label: string | null;
  /** The confirmed value, kept for fields constant per vendor. */
  value?: string;
}

export type VendorHints = Record<string, FieldHint>;

/** A field as the learner reads it. */
export interface LocatedValue {
  value: string;
  page: number | null;
  box: Box | null;
}

/** Letters and digits only, folded: how names are compared across OCR spacing and punctuation. */
export function compactFold(text: string): string {
  return fold(text).replace(/[^\p{L}\p{N}]+/gu, '');
}

/** The key of a vendor profile: its folded name (null when too short to recognise a vendor by). */
export function vendorKey(name: string): string | null {
  const key = compactFold(name);
  return key.length >= 4 ? key : null;
}

/** The profile whose vendor name appears in the document (the longest such name wins). */
export function matchVendor<P extends { key: string }>(pages: ExtractionPage[], profiles: P[]): P | null {
  const text = pages.map((p) => compactFold(p.words.map((w) => w.t).join(' '))).join('|');
  let best: P | null = null;
  for (const p of profiles) if (p.key.length >= 4 && text.includes(p.key) && (!best || p.key.length > best.key.length)) best = p;
  return best;
}

const centerY = (b: Box) => b[1] + b[3] / 2;

/** The folded words that label a value at `box`: up to three words left of it on its row, else the row above. */
export function labelBefore(page: ExtractionPage | undefined, box: Box): string | null {
  if (!page) return null;
  const cy = centerY(box);
  const sameRow = page.words.filter((w) => Math.abs(centerY(w.b) - cy) < Math.max(w.b[3], box[3]) * 0.5 && w.b[0] + w.b[2] <= box[0] + 0.002);
  let picked: PageWord[] = sameRow.sort((a, b) => b.b[0] - a.b[0]).slice(0, 3).reverse();
  if (!picked.length) {
    const above = page.words.filter((w) => w.b[1] + w.b[3] <= box[1] + 0.002 && w.b[0] < box[0] + box[2] && w.b[0] + w.b[2] > box[0]);
    if (above.length) {
      const nearest = Math.max(...above.map((w) => w.b[1] + w.b[3]));
      picked = above.filter((w) => nearest - (w.b[1] + w.b[3]) < w.b[3] * 0.5).sort((a, b) => a.b[0] - b.b[0]).slice(0, 3);
    }
  }
  const label = picked.map((w) => fold(w.t).replace(/[^\p{L}\p{N} ]+/gu, '')).join(' ').replace(/\s+/g, ' ').trim();
  return /\p{L}/u.test(label) ? label : null;
}

/** Where `value` is printed: the words whose letters and digits spell it, in reading order. */
export function locateValue(pages: ExtractionPage[], value: string): { page: number; box: Box } | null {
  const target = compactFold(value);
  if (!target) return null;
  for (let p = 0; p < pages.length; p++) {
    const words = pages[p].words;
    const folded = words.map((w) => compactFold(w.t));
    for (let i = 0; i < words.length; i++) {
      if (!folded[i] || !target.startsWith(folded[i])) continue;
      let acc = '';
      for (let j = i; j < words.length && acc.length < target.length; j++) {
        acc += folded[j];
        if (!target.startsWith(acc)) break;
        if (acc === target) return { page: p + 1, box: unionBox(words.slice(i, j + 1).map((w) => w.b)) };
      }
    }
  }
  return null;
}

export function unionBox(boxes: Box[]): Box {
  const x0 = Math.min(...boxes.map((b) => b[0])), y0 = Math.min(...boxes.map((b) => b[1]));
  const x1 = Math.max(...boxes.map((b) => b[0] + b[2])), y1 = Math.max(...boxes.map((b) => b[1] + b[3]));
  const r = (n: number) => Math.round(n * 10_000) / 10_000;
  return [r(x0), r(y0), r(x1 - x0), r(y1 - y0)];
}

/**
 * Hints from a confirmed review: each field's place (its box, or where its value is found),
 * its label, and the value of the fields constant per vendor.
 */
export function hintsFromReview(pages: ExtractionPage[], fields: Record<string, LocatedValue>, constantFields: readonly string[]): VendorHints {
  const hints: VendorHints = {};
  for (const [name, f] of Object.entries(fields)) {
    const at = f.page && f.box ? { page: f.page, box: f.box } : locateValue(pages, f.value);
    const constant = constantFields.includes(name);
    if (!at && !constant) continue;
    hints[name] = { page: at?.page ?? 1, box: at?.box ?? [0, 0, 0, 0], label: at ? labelBefore(pages[at.page - 1], at.box) : null, ...(constant ? { value: f.value } : {}) };
  }
  return hints;
}

/** Logit added to a candidate at the remembered place / after the remembered label. */
export const PLACE_BONUS = 3;
export const LABEL_BONUS = 4;

/**
 * Raises the logits (row-major, `fields.length` per candidate) of the candidates that sit
 * where a field's hint says, or after its remembered label. `fields[k]` names output k.
 * A candidate at the remembered place and after the remembered label is what a reviewer
 * confirmed for this vendor: it ends up LABEL_BONUS above every other candidate, however
 * sure the model was of another (a fixed bonus alone loses to a confident model).
 */
export function applyHints(candidates: Candidate[], logits: Float32Array, fields: readonly { name: string; kind: string }[], hints: VendorHints, pages: ExtractionPage[]): void {
  const K = fields.length;
  fields.forEach((spec, k) => {
    const hint = hints[spec.name];
    if (!hint || hint.value !== undefined) return;
    const confirmed: number[] = [];
    let bestOther = -Infinity;
    candidates.forEach((c, i) => {
      if (c.kind !== spec.kind) return;
      let bonus = 0;
      const dx = Math.abs(c.box[0] + c.box[2] - (hint.box[0] + hint.box[2])), dy = Math.abs(centerY(c.box) - centerY(hint.box));
      const atPlace = c.page === hint.page && dx < 0.03 && dy < 0.02;
      const afterLabel = !!hint.label && labelBefore(pages[c.page - 1], c.box) === hint.label;
      if (atPlace) bonus += PLACE_BONUS;
      if (afterLabel) bonus += LABEL_BONUS;
      logits[i * K + k] += bonus;
      if (atPlace && afterLabel) confirmed.push(i);
      else bestOther = Math.max(bestOther, logits[i * K + k]);
    });
    for (const i of confirmed) logits[i * K + k] = Math.max(logits[i * K + k], bestOther + LABEL_BONUS);
  });
}
