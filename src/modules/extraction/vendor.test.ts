import { describe, expect, it } from 'vitest';
import { pageOfLines } from '../../../test/support/pages';
import { applyHints, hintsFromReview, labelBefore, LABEL_BONUS, locateValue, matchVendor, vendorKey } from './vendor';


const invoice = pageOfLines([
  ['Nordwind Werkzeuge GmbH', 50, 30],
  ['Hafenstrasse 12, 20457 Hamburg', 50, 48],
  ['Rechnung Nr. RE-77', 50, 90],
  ['Zwischensumme', 300, 300],
  ['100,00', 480, 300],
  ['Zahlbetrag', 300, 340],
  ['119,00', 480, 340],
]);

describe('vendor keys and matching', () => {
  it('folds names so spacing, case and punctuation do not matter, and refuses names too short to tell vendors apart', () => {
    expect(vendorKey('Nordwind Werkzeuge GmbH')).toBe(vendorKey('NORDWIND  werkzeuge-gmbh.'));
    expect(vendorKey('A&B')).toBeNull();
  });

  it('finds the profile whose vendor name the document prints, preferring the longest', () => {
    const profiles = [{ key: vendorKey('Nordwind')! }, { key: vendorKey('Nordwind Werkzeuge GmbH')! }, { key: vendorKey('Südwind AG')! }];
    expect(matchVendor([invoice], profiles)).toBe(profiles[1]);
    expect(matchVendor([pageOfLines([['Someone Else Ltd', 50, 30]])], profiles)).toBeNull();
  });
});

describe('what a review teaches', () => {
  it('locates a value across words and reads the label left of it', () => {
    const at = locateValue([invoice], '119,00')!;
    expect(at.page).toBe(1);
    expect(at.box[0]).toBeCloseTo(480 / 600, 3);
    expect(labelBefore(invoice, at.box)).toBe('zahlbetrag');
    expect(locateValue([invoice], 'Hafenstrasse 12, 20457 Hamburg')!.box[1]).toBeCloseTo(48 / 800, 3);
    expect(locateValue([invoice], 'not on the page')).toBeNull();
  });

  it('keeps places and labels for every field and the values of the vendor-constant ones', () => {
    const hints = hintsFromReview([invoice], { total: { value: '119,00', page: null, box: null }, vendorName: { value: 'Nordwind Werkzeuge GmbH', page: null, box: null } }, ['vendorName']);
    expect(hints.total).toMatchObject({ page: 1, label: 'zahlbetrag' });
    expect(hints.total.value).toBeUndefined();
    expect(hints.vendorName.value).toBe('Nordwind Werkzeuge GmbH');
  });

  it('raises the candidate after the remembered label, and only for its field', () => {
    const next = pageOfLines([['Nordwind Werkzeuge GmbH', 50, 30], ['Zwischensumme', 300, 420], ['50,00', 480, 420], ['Zahlbetrag', 300, 460], ['59,50', 480, 460]]);
    const hints = hintsFromReview([invoice], { total: { value: '119,00', page: null, box: null } }, []);
    const candidates = [
      { kind: 'amount', text: '50,00', page: 1, box: locateValue([next], '50,00')!.box },
      { kind: 'amount', text: '59,50', page: 1, box: locateValue([next], '59,50')!.box },
    ] as never[];
    const fields = [{ name: 'subtotal', kind: 'amount' }, { name: 'total', kind: 'amount' }];
    const logits = new Float32Array(4);
    applyHints(candidates, logits, fields, hints, [next]);
    expect(Array.from(logits)).toEqual([0, 0, 0, LABEL_BONUS]);
  });
});
