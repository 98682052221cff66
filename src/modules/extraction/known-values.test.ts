import { describe, expect, it } from 'vitest';
import { KNOWN_RECEIPT_VALUES, pairedValue, snapToKnown } from './known-values';

const KNOWN = ['99 SPEED MART S/B', 'LOT 1851-A & 1851-B, JALAN KPB 6, KAWASAN PERINDUSTRIAN BALAKONG, 43300 SERI KEMBANGAN, SELANGOR', 'SANYU STATIONERY SHOP'];

describe('snapToKnown', () => {
  it('reads a misspelt OCR name or address as the known value it is a few edits from', () => {
    expect(snapToKnown('99 SPEED NART 5/B', KNOWN)).toBe('99 SPEED MART S/B');
    expect(snapToKnown('LOT 1B51-A & 1851-B, JALAN KP8 6, KAWASAN PERINDUSTRLAN BALAKONG, 43300 SERI KEMBANGAN, SELANGOR.', KNOWN)).toBe(KNOWN[1]);
  });

  it('leaves text that is near no known value, or too short to tell', () => {
    expect(snapToKnown('KEDAI RUNCIT AH HOCK', KNOWN)).toBeNull();
    expect(snapToKnown('SHO', KNOWN)).toBeNull();
  });

  it('leaves a reading that lies between two different known values', () => {
    expect(snapToKnown('LOT 7, JALAN MAXUR 12, TAMAN BUNGA RAYA', ['LOT 5, JALAN MAWAR 12, TAMAN BUNGA RAYA', 'LOT 9, JALAN MELUR 12, TAMAN BUNGA RAYA'])).toBeNull();
    // Two spellings of one value (a final full stop) are not rivals: the closer one is taken.
    expect(snapToKnown('N0 12, JALAN MERANT1 5, TAMAN SRI', ['NO 12, JALAN MERANTI 5, TAMAN SRI.', 'NO 12, JALAN MERANTI 5, TAMAN SRI'])).toBe('NO 12, JALAN MERANTI 5, TAMAN SRI');
  });

  it('ships the training receipts’ vendors', () => {
    expect(KNOWN_RECEIPT_VALUES.fields.company.length).toBeGreaterThan(100);
    expect(KNOWN_RECEIPT_VALUES.fields.address.length).toBeGreaterThan(100);
  });
});

describe('pairedValue', () => {
  const known = {
    fields: {},
    pairs: [
      { company: 'SANYU STATIONERY SHOP', address: 'NO. 31G&33G, JALAN SETIA INDAH X ,U13/X 40170 SETIA ALAM' },
      { company: '99 SPEED MART S/B', address: 'LOT P.T. 2811, JALAN ANGSA, TAMAN BERKELEY 41150 KLANG, SELANGOR' },
      { company: '99 SPEED MART S/B', address: 'NO. 2 & 4, JALAN BAYU 1, 41000 KLANG' },
    ],
  };
  it("gives a vendor's only known address, and the name that goes with an address", () => {
    expect(pairedValue(known, 'company', 'SANYU STATIONERY SHOP', 'address')).toBe(known.pairs[0].address);
    expect(pairedValue(known, 'address', known.pairs[2].address, 'company')).toBe('99 SPEED MART S/B');
  });
  it('gives nothing for a chain with several addresses or an unknown vendor', () => {
    expect(pairedValue(known, 'company', '99 SPEED MART S/B', 'address')).toBeNull();
    expect(pairedValue(known, 'company', 'KEDAI RUNCIT', 'address')).toBeNull();
  });
});
