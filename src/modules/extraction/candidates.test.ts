import { describe, expect, it } from 'vitest';
import { pageOfLines } from '../../../test/support/pages';
import { buildCandidates, FEATURE_COUNT, FEATURE_NAMES } from './candidates';

const receipt = pageOfLines([
  ['KEDAI MAJU SDN BHD', 200, 20],
  ['NO 5, JALAN BESAR,', 200, 40],
  ['43000 KAJANG, SELANGOR.', 200, 58],
  ['TEL: 03-8737 1234', 200, 76],
  ['DATE: 30/04/2018 10:12', 100, 110],
  ['ITEM A', 100, 150], ['4.50', 450, 150],
  ['ITEM B', 100, 168], ['5.00', 450, 168],
  ['TOTAL:', 100, 200], ['RM 9.50', 430, 200],
  ['CASH', 100, 220], ['10.00', 450, 220],
  ['CHANGE', 100, 240], ['0.50', 450, 240],
], 90);

describe('buildCandidates', () => {
  const { candidates, dateOrder } = buildCandidates([receipt]);
  const feature = (c: (typeof candidates)[number], name: string) => c.features[FEATURE_NAMES.indexOf(name)];

  it('proposes dates, amounts, currencies and stacked blocks with normalized values', () => {
    expect(dateOrder).toBe('dmy');
    expect(candidates.filter((c) => c.kind === 'date').map((c) => [c.text, c.normalized])).toEqual([['30/04/2018', '2018-04-30']]);
    expect(candidates.filter((c) => c.kind === 'amount').map((c) => c.normalized).sort()).toEqual(['0.50', '10.00', '4.50', '5.00', '9.50']);
    expect(candidates.some((c) => c.kind === 'currency' && c.normalized === 'MYR')).toBe(true);
    expect(candidates.some((c) => c.kind === 'block' && c.text === 'NO 5, JALAN BESAR, 43000 KAJANG, SELANGOR.')).toBe(true);
    for (const c of candidates) expect(c.features).toHaveLength(FEATURE_COUNT);
  });

  it('describes labels to the left, the largest amount and the box where the value was found', () => {
    const total = candidates.find((c) => c.kind === 'amount' && c.normalized === '9.50')!;
    expect(feature(total, 'left_total')).toBeGreaterThan(0.1);
    expect(feature(total, 'nearest_left_total')).toBe(1);
    expect(feature(total, 'amt_is_max')).toBe(0);
    expect(feature(total, 'amt_currency_adjacent')).toBe(1);
    expect(feature(total, 'amt_sum_of_two')).toBe(1);
    const cash = candidates.find((c) => c.kind === 'amount' && c.normalized === '10.00')!;
    expect(feature(cash, 'nearest_left_payment')).toBe(1);
    expect(feature(cash, 'amt_is_max')).toBe(1);
    // Cash tendered less the change given back is the total; neither payment line is.
    expect(feature(total, 'amt_tendered_less_change')).toBe(1);
    for (const v of ['10.00', '0.50', '4.50', '5.00']) expect(feature(candidates.find((c) => c.kind === 'amount' && c.normalized === v)!, 'amt_tendered_less_change')).toBe(0);
    expect(total.page).toBe(1);
    expect(total.box[0]).toBeCloseTo(451 / 600, 2);
    expect(total.box[1]).toBeCloseTo(200 / 800, 3);
  });

  it('marks company names and addresses in blocks', () => {
    const company = candidates.find((c) => c.kind === 'block' && c.text === 'KEDAI MAJU SDN BHD')!;
    expect(feature(company, 'blk_company')).toBe(1);
    expect(feature(company, 'blk_is_first')).toBe(1);
    const address = candidates.find((c) => c.kind === 'block' && c.text === 'NO 5, JALAN BESAR, 43000 KAJANG, SELANGOR.')!;
    expect(feature(address, 'blk_address')).toBe(1);
    expect(feature(address, 'blk_next_contact')).toBe(1);
    expect(feature(address, 'blk_prev_company')).toBe(1);
  });

  it('finds IBANs with their checksum, ids and month-first dates in dollar documents', () => {
    const inv = buildCandidates([pageOfLines([['Invoice No: INV-2024-0042', 50, 50], ['Date: 03/05/2024', 50, 70], ['Total: $1,234.56', 50, 90], ['IBAN: DE89 3704 0044 0532 0130 00', 50, 110]], 90)]);
    expect(inv.dateOrder).toBe('mdy');
    expect(inv.candidates.find((c) => c.kind === 'date')!.normalized).toBe('2024-03-05');
    const iban = inv.candidates.find((c) => c.kind === 'iban')!;
    expect(iban.normalized).toBe('DE89370400440532013000');
    expect(iban.features[FEATURE_NAMES.indexOf('iban_valid')]).toBe(1);
    const id = inv.candidates.find((c) => c.kind === 'id' && c.text === 'INV-2024-0042')!;
    expect(id.features[FEATURE_NAMES.indexOf('nearest_left_invno')]).toBe(1);
    expect(inv.candidates.find((c) => c.kind === 'amount')!.normalized).toBe('1234.56');
  });

  it('proposes a name without its bracketed registration number, keeping brackets that belong to the name', () => {
    const blocks = (line: string) => buildCandidates([pageOfLines([[line, 50, 50]], 90)]).candidates.filter((c) => c.kind === 'block').map((c) => c.text);
    expect(blocks('AEON CO. (M) BHD (126928-H)')).toContain('AEON CO. (M) BHD');
    expect(blocks('GARDENIA BAKERIES (KL) SDN BHD (139386 X)')).toContain('GARDENIA BAKERIES (KL) SDN BHD');
    expect(blocks('GARDENIA BAKERIES (KL) SDN BHD (139386 X)')).not.toContain('GARDENIA BAKERIES');
    // Printed without a space before the bracket.
    expect(blocks('GARDENIA BAKERIES(KL)SDN BHD(139386X)')).toContain('GARDENIA BAKERIES(KL)SDN BHD');
    expect(blocks('GARDENIA BAKERIES(KL) SDN BHD(139386 X)')).toContain('GARDENIA BAKERIES(KL) SDN BHD');
    expect(blocks('HOME MASTER (M) SDN BHD')).not.toContain('HOME MASTER');
  });

  it('marks blocks that start with a label or run into a registration line', () => {
    const page = buildCandidates([pageOfLines([['OWN BY: CHEF LEE SDN BHD', 50, 50], ['Company No: 256628-W', 50, 70]], 90)]).candidates;
    const block = (text: string) => page.find((c) => c.kind === 'block' && c.text === text)!;
    expect(feature(block('OWN BY: CHEF LEE SDN BHD'), 'blk_starts_label')).toBe(1);
    expect(feature(block('CHEF LEE SDN BHD'), 'blk_starts_label')).toBe(0);
    expect(feature(block('CHEF LEE SDN BHD'), 'blk_has_contact')).toBe(0);
    expect(feature(block('CHEF LEE SDN BHD Company No'), 'blk_has_contact')).toBe(1);
    const check = buildCandidates([pageOfLines([['69000 PAHANG MALAYSIA', 50, 50], ['Guest Check', 50, 70]], 90)]).candidates;
    expect(feature(check.find((c) => c.kind === 'block' && c.text === '69000 PAHANG MALAYSIA Guest Check')!, 'blk_has_contact')).toBe(1);
  });

  it('reads amounts printed against their currency, but not numbers inside words', () => {
    const page = pageOfLines([['SUBTOTAL RM96.20', 50, 50], ['CASH RM100.00', 50, 70], ['Gesamt EUR12,50', 50, 90], ['ITEM AB12.50 X', 50, 110]], 90);
    expect(buildCandidates([page]).candidates.filter((c) => c.kind === 'amount').map((c) => c.normalized)).toEqual(['96.20', '100.00', '12.50']);
  });

  it('reads a date whose second separator OCR lost, but not a phone number', () => {
    const page = pageOfLines([['TEL: 03-87238214', 50, 50], ['Date: 30-092017', 50, 70]], 90);
    expect(buildCandidates([page]).candidates.filter((c) => c.kind === 'date').map((c) => [c.text, c.normalized])).toEqual([['30-092017', '2017-09-30']]);
  });

  it('copes with empty pages', () => {
    expect(buildCandidates([{ words: [] }]).candidates).toEqual([]);
  });
});
