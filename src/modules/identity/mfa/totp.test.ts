import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totp } from './totp';

// RFC 6238 appendix B: the seeds are the ASCII strings below (20, 32 and 64 bytes), 8 digits.
const SEED = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};
const VECTORS: [number, string, 'sha1' | 'sha256' | 'sha512'][] = [
  [59, '94287082', 'sha1'],
  [59, '46119246', 'sha256'],
  [59, '90693936', 'sha512'],
  [1111111109, '07081804', 'sha1'],
  [1111111109, '68084774', 'sha256'],
  [1111111109, '25091201', 'sha512'],
  [1111111111, '14050471', 'sha1'],
  [1111111111, '67062674', 'sha256'],
  [1111111111, '99943326', 'sha512'],
  [1234567890, '89005924', 'sha1'],
  [1234567890, '91819424', 'sha256'],
  [1234567890, '93441116', 'sha512'],
  [2000000000, '69279037', 'sha1'],
  [2000000000, '90698825', 'sha256'],
  [2000000000, '38618901', 'sha512'],
  [20000000000, '65353130', 'sha1'],
  [20000000000, '77737706', 'sha256'],
  [20000000000, '47863826', 'sha512'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(VECTORS)('at %i s gives %s with %s', (seconds, expected, algorithm) => {
    expect(totp(SEED[algorithm], new Date(seconds * 1000), 8, algorithm)).toBe(expected);
  });

  it('matches RFC 4226 HOTP values for counters 0..9', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_, i) => hotp(SEED.sha1, i))).toEqual(expected);
  });

  it('round-trips base32 and refuses other characters', () => {
    expect(base32Encode(SEED.sha1)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq')).toEqual(SEED.sha1);
    expect(() => base32Decode('GEZD1')).toThrow();
  });

  it('accepts one step of drift either way, never a step already used', () => {
    const secret = base32Encode(SEED.sha1);
    const at = new Date(1111111111 * 1000);
    const step = Math.floor(1111111111 / 30);
    const code = (s: number) => hotp(SEED.sha1, s);
    expect(matchTotp(secret, code(step), at)).toBe(step);
    expect(matchTotp(secret, code(step - 1), at)).toBe(step - 1);
    expect(matchTotp(secret, code(step + 1), at)).toBe(step + 1);
    expect(matchTotp(secret, code(step - 2), at)).toBeNull();
    expect(matchTotp(secret, code(step), at, step)).toBeNull();
    expect(matchTotp(secret, 'abcdef', at)).toBeNull();
  });

  it('builds the otpauth URI apps scan', () => {
    expect(otpauthUri('ABC', 'ada@acme.test')).toBe('otpauth://totp/Folio:ada%40acme.test?secret=ABC&issuer=Folio&algorithm=SHA1&digits=6&period=30');
  });
});
