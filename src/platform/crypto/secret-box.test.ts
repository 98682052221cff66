import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../config';
import { SecretBox, secretBoxFor } from './secret-box';

describe('SecretBox', () => {
  const box = SecretBox.fromPassphrase('a passphrase that is long enough to use');

  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const sealed = box.seal('bind-password-123', 'ldap:org1');
    expect(sealed).not.toContain('bind-password-123');
    expect(box.open(sealed, 'ldap:org1')).toBe('bind-password-123');
    expect(box.seal('same', 'x')).not.toBe(box.seal('same', 'x'));
  });

  it('refuses a value sealed with another key, for another context, or altered', () => {
    const sealed = box.seal('secret', 'ctx');
    expect(() => SecretBox.fromPassphrase('another passphrase entirely, also long').open(sealed, 'ctx')).toThrow();
    expect(() => box.open(sealed, 'other ctx')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'), 'ctx')).toThrow();
    expect(() => box.open('plain text', 'ctx')).toThrow(/Not a sealed secret/);
  });

  it('without a configured key keeps one random key in the data folder, readable by its owner only', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'folio-box-'));
    try {
      const a = secretBoxFor(buildConfig({ dataDir, log: { level: 'silent' } }, {}));
      const sealed = a.seal('x');
      const b = secretBoxFor(buildConfig({ dataDir, log: { level: 'silent' } }, {}));
      expect(b.open(sealed)).toBe('x');
      const file = path.join(dataDir, 'secret.key');
      expect(readFileSync(file, 'utf8').length).toBeGreaterThan(40);
      expect(statSync(file).mode & 0o077).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('with a configured key, every replica opens the same secrets', () => {
    const key = 'k'.repeat(40);
    const a = secretBoxFor(buildConfig({ auth: { secretKey: key }, log: { level: 'silent' } }, {}));
    const b = secretBoxFor(buildConfig({ auth: { secretKey: key }, log: { level: 'silent' } }, {}));
    expect(b.open(a.seal('shared'))).toBe('shared');
  });
});
