import { describe, expect, it } from 'vitest';
import { pageOfLines } from '../../../test/support/pages';
import { buildCandidates, FIELDS } from './candidates';
import { pickFields } from './extract';
import { NO_KNOWN_VALUES } from './known-values';

describe('pickFields', () => {
  const doc = pageOfLines([['ACME GmbH', 50, 30], ['Rechnung Nr. RE-1001', 50, 80], ['Zwischensumme', 300, 300], ['100,00', 480, 300], ['MwSt. 19%', 300, 320], ['19,00', 480, 320], ['Gesamt', 300, 340], ['119,00', 480, 340], ['Bar', 300, 360], ['120,00', 480, 360]]);
  const { candidates } = buildCandidates([doc]);
  const K = FIELDS.invoice.length;
  const col = (name: string) => FIELDS.invoice.findIndex((f) => f.name === name);
  /** Logits that favour, per field, the candidate with the given text. */
  const logits = (wants: Record<string, Record<string, number>>) => {
    const out = new Float32Array(candidates.length * K).fill(-5);
    candidates.forEach((c, i) => {
      for (const [field, byText] of Object.entries(wants)) if (c.kind === FIELDS.invoice[col(field)].kind && byText[c.text] !== undefined) out[i * K + col(field)] = byText[c.text];
    });
    return out;
  };

  it('takes the best candidate per field, leaves out fields whose "none" wins, and keeps page and box', () => {
    const { fields, issues } = pickFields(candidates, logits({ invoiceNumber: { 'RE-1001': 4 }, subtotal: { '100,00': 4 }, tax: { '19,00': 4 }, total: { '119,00': 4 } }), 'invoice');
    expect(fields.invoiceNumber.value).toBe('RE-1001');
    expect(fields.total).toMatchObject({ value: '119,00', normalized: '119.00', page: 1 });
    expect(fields.total.box[0]).toBeCloseTo(480 / 600, 2);
    expect(fields.total.confidence).toBeGreaterThan(0.8);
    expect(fields.poNumber).toBeUndefined();
    expect(issues).toEqual([]);
  });

  it('prefers amounts that add up when the model hesitates', () => {
    const { fields } = pickFields(candidates, logits({ subtotal: { '100,00': 4 }, tax: { '19,00': 4 }, total: { '120,00': 2.1, '119,00': 2 } }), 'invoice');
    expect(fields.total.normalized).toBe('119.00');
  });

  it('reports broken rules and lowers confidence when nothing adds up', () => {
    const { fields, issues } = pickFields(candidates, logits({ subtotal: { '100,00': 4 }, tax: { '19,00': 4 }, total: { '120,00': 6 } }), 'invoice');
    expect(fields.total.normalized).toBe('120.00');
    expect(issues.map((i) => i.rule)).toEqual(['sum']);
    expect(fields.total.confidence).toBeLessThan(0.6);
  });

  it('always answers a required field', () => {
    const { fields } = pickFields(candidates, logits({ total: { '119,00': -3 } }), 'invoice');
    expect(fields.total.normalized).toBe('119.00');
  });

  it('snaps an OCR-read receipt name to the known vendor it is a few edits from, but never a text layer', () => {
    const lines: Array<[string, number, number]> = [['99 SPEED NART 5/B', 50, 30], ['TOTAL', 300, 300], ['11.50', 480, 300]];
    const R = FIELDS.receipt.length;
    const pick = (ocr: boolean) => {
      const page = pageOfLines(lines);
      const pages = [ocr ? { ...page, words: page.words.map((w) => ({ ...w, c: 90 })) } : page];
      const { candidates: cs } = buildCandidates(pages);
      const out = new Float32Array(cs.length * R).fill(-5);
      cs.forEach((c, i) => {
        if (c.kind === 'block' && c.text === '99 SPEED NART 5/B') out[i * R] = 4;
      });
      return pickFields(cs, out, 'receipt', { fields: { company: ['99 SPEED MART S/B'] }, pairs: [] }).fields.company.value;
    };
    expect(pick(true)).toBe('99 SPEED MART S/B');
    expect(pick(false)).toBe('99 SPEED NART 5/B');
  });

  it('reads look-alike digits in an OCR-read name as letters, but never in a text layer', () => {
    const R = FIELDS.receipt.length;
    const pick = (ocr: boolean) => {
      const page = pageOfLines([['URBAN 1DEA SDN BHD', 50, 30], ['TOTAL', 300, 300], ['11.50', 480, 300]], ocr ? 90 : undefined);
      const { candidates: cs } = buildCandidates([page]);
      const out = new Float32Array(cs.length * R).fill(-5);
      cs.forEach((c, i) => {
        if (c.kind === 'block' && c.text === 'URBAN 1DEA SDN BHD') out[i * R] = 4;
      });
      return pickFields(cs, out, 'receipt', NO_KNOWN_VALUES).fields.company;
    };
    expect(pick(true)).toMatchObject({ value: 'URBAN IDEA SDN BHD', normalized: 'URBAN IDEA SDN BHD' });
    expect(pick(false).value).toBe('URBAN 1DEA SDN BHD');
  });

  it("keeps a branch's line after a chain's known address when the model reads the block with it", () => {
    const lines: Array<[string, number, number]> = [['LOT P.T. 28I1, JALAN ANGSA', 50, 30], ['41150 KLANG, SELANGOR', 50, 50], ['1245-DESA SRI HARTAMAS', 50, 70], ['TOTAL', 300, 300], ['11.50', 480, 300]];
    const R = FIELDS.receipt.length;
    const address = FIELDS.receipt.findIndex((f) => f.name === 'address');
    const pick = (branchLogit: number) => {
      const page = pageOfLines(lines, 90);
      const { candidates: cs } = buildCandidates([page]);
      const out = new Float32Array(cs.length * R).fill(-5);
      cs.forEach((c, i) => {
        if (c.kind !== 'block') return;
        if (c.text === 'LOT P.T. 28I1, JALAN ANGSA 41150 KLANG, SELANGOR') out[i * R + address] = 3;
        if (c.text === 'LOT P.T. 28I1, JALAN ANGSA 41150 KLANG, SELANGOR 1245-DESA SRI HARTAMAS') out[i * R + address] = branchLogit;
      });
      return pickFields(cs, out, 'receipt', { fields: { address: ['LOT P.T. 2811, JALAN ANGSA, 41150 KLANG, SELANGOR'] }, pairs: [] }).fields.address.value;
    };
    expect(pick(4)).toBe('LOT P.T. 2811, JALAN ANGSA, 41150 KLANG, SELANGOR 1245-DESA SRI HARTAMAS');
    // The model prefers the block without the branch: the known address alone.
    expect(pick(2)).toBe('LOT P.T. 2811, JALAN ANGSA, 41150 KLANG, SELANGOR');
  });

  it("snaps an address to a known one only when the receipt's company could be that address's vendor", () => {
    const R = FIELDS.receipt.length;
    const address = FIELDS.receipt.findIndex((f) => f.name === 'address');
    const known = '30, JLN KEBUDAYAAN 7, TMN UNIVERSITI 81300 SKUDAI, JOHOR';
    const pick = (company: string) => {
      const page = pageOfLines([[company, 50, 30], ['35, JLN KEBUDAYAAN 8, TMN UNIVERSITI', 50, 60], ['81300 SKUDAI, JOHOR', 50, 75], ['TOTAL', 300, 300], ['11.50', 480, 300]], 90);
      const { candidates: cs } = buildCandidates([page]);
      const out = new Float32Array(cs.length * R).fill(-5);
      cs.forEach((c, i) => {
        if (c.kind === 'block' && c.text === company) out[i * R] = 4;
        if (c.kind === 'block' && c.text === '35, JLN KEBUDAYAAN 8, TMN UNIVERSITI 81300 SKUDAI, JOHOR') out[i * R + address] = 4;
      });
      return pickFields(cs, out, 'receipt', { fields: { address: [known] }, pairs: [{ company: "DOMINO'S PIZZA", address: known }] }).fields.address.value;
    };
    expect(pick("DOMINO'S PIZZA")).toBe(known);
    expect(pick('OLD TOWN KOPITIAM SDN BHD')).toBe('35, JLN KEBUDAYAAN 8, TMN UNIVERSITI 81300 SKUDAI, JOHOR');
  });

  it("takes the surer of two OCR readings of a receipt's date that differ in one digit, not a different date", () => {
    const R = FIELDS.receipt.length;
    const date = FIELDS.receipt.findIndex((f) => f.name === 'date');
    const pick = (foot: string, footConfidence: number) => {
      const head = pageOfLines([['28/03/2016 10:36', 50, 100]], 76);
      const tail = pageOfLines([[foot, 50, 700]], footConfidence);
      const { candidates: cs } = buildCandidates([{ words: [...head.words, ...tail.words] }]);
      // The model prefers the head's reading.
      const out = new Float32Array(cs.length * R).fill(-5);
      cs.forEach((c, i) => {
        if (c.kind === 'date') out[i * R + date] = c.text === '28/03/2016' ? 3 : 2;
      });
      return pickFields(cs, out, 'receipt', NO_KNOWN_VALUES).fields.date;
    };
    const surer = pick('28/03/2018 10:36', 96);
    expect(surer.normalized).toBe('2018-03-28');
    expect(surer.box[1]).toBeCloseTo(700 / 800, 2);
    // Not clearly surer, or another date altogether: the model's choice stands.
    expect(pick('28/03/2018 10:36', 80).normalized).toBe('2016-03-28');
    expect(pick('29/04/2016 10:36', 96).normalized).toBe('2016-03-28');
  });
});
