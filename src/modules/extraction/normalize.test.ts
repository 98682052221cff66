import { describe, expect, it } from 'vitest';
import { compactIban, dateOrderHint, ibanCheckDigits, isValidIban, normalizeAmount, normalizeCurrency, normalizeDate } from './normalize';

describe('normalizeDate', () => {
  it.each([
    ['30/04/2018', '2018-04-30'],
    ['17-02-18', '2018-02-17'],
    ['11 APR 2018', '2018-04-11'],
    ['05.03.2024', '2024-03-05'],
    ['2024-03-05', '2024-03-05'],
    ['March 5, 2024', '2024-03-05'],
    ['5. März 2024', '2024-03-05'],
    ['28 août 2022', '2022-08-28'],
    ['5 de marzo de 2024', '2024-03-05'],
    ['5 maart 2024', '2024-03-05'],
    ['13/12/2019', '2019-12-13'],
    ['30-092017', '2017-09-30'],
  ])('%s → %s', (text, iso) => expect(normalizeDate(text)).toBe(iso));

  it('reads numeric dates month first when asked, and falls back when only one reading is valid', () => {
    expect(normalizeDate('03/05/2024', 'mdy')).toBe('2024-03-05');
    expect(normalizeDate('03/05/2024', 'dmy')).toBe('2024-05-03');
    expect(normalizeDate('12/31/2024', 'dmy')).toBe('2024-12-31');
    expect(dateOrderHint('12/31/2024')).toBe('mdy');
    expect(dateOrderHint('31/12/2024')).toBe('dmy');
  });

  it('refuses impossible dates', () => {
    expect(normalizeDate('31/02/2024')).toBeNull();
    expect(normalizeDate('hello')).toBeNull();
    expect(normalizeDate('03-87238214')).toBeNull();
  });
});

describe('normalizeAmount', () => {
  it.each([
    ['1,234.56', '1234.56'],
    ['1.234,56', '1234.56'],
    ['1 234,56 €', '1234.56'],
    ["CHF 1'234.50", '1234.50'],
    ['RM 9.99', '9.99'],
    ['$12', '12.00'],
    ['9.000', '9.000'],
    ['(12.00)', '-12.00'],
    ['EUR 1.234.567,8', '1234567.80'],
  ])('%s → %s', (text, value) => expect(normalizeAmount(text)).toBe(value));

  it('refuses what is not an amount', () => {
    expect(normalizeAmount('12,34,5')).toBeNull();
    expect(normalizeAmount('abc')).toBeNull();
  });
});

describe('currencies and IBANs', () => {
  it('maps symbols and codes to ISO 4217', () => {
    expect(normalizeCurrency('€')).toBe('EUR');
    expect(normalizeCurrency('RM')).toBe('MYR');
    expect(normalizeCurrency('chf')).toBe('CHF');
    expect(normalizeCurrency('£')).toBe('GBP');
    expect(normalizeCurrency('XYZ')).toBeNull();
  });

  it('validates IBAN checksums', () => {
    expect(isValidIban('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(isValidIban('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(isValidIban('DE89 3704 0044 0532 0130 01')).toBe(false);
    expect(compactIban('de89 3704 0044 0532 0130 00')).toBe('DE89370400440532013000');
    const bban = '370400440532013000';
    expect(`DE${ibanCheckDigits('DE', bban)}${bban}`).toBe('DE89370400440532013000');
  });
});
