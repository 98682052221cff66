import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli';
import { loadConfig } from '../src/config';
import { createAppContext } from '../src/main';
import { authenticateToken } from '../src/modules/tokens/token.service';
import { createLogger } from '../src/platform/log/logger';
import { createDb } from '../src/platform/db/db';
import { newId } from '../src/shared/ids';
import { TEST_DATABASE_URL } from './support/db';
import { PASSWORD } from './support/factories';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

const dir = mkdtempSync(path.join(tmpdir(), 'folio-cli-'));
const schema = `t_${newId(12)}`;
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const admin = createDb(TEST_DATABASE_URL, { poolSize: 1 });
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
  await admin.destroy();
});

const targets = {
  sqlite: () => ({ DATA_DIR: dir, LOG_LEVEL: 'silent' }),
  postgres: async () => {
    const admin = createDb(TEST_DATABASE_URL, { poolSize: 1 });
    await sql`create schema if not exists ${sql.id(schema)}`.execute(admin.db);
    await admin.destroy();
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return { DATABASE_URL: url.toString(), DATA_DIR: dir, LOG_LEVEL: 'silent' };
  },
};

for (const [dialect, envOf] of Object.entries(targets)) {
  describe(`folio CLI (${dialect})`, () => {
    it('migrate, create-admin and token create work headless; the token authenticates', async () => {
      const env = await envOf();
      const m = capture();
      expect(await runCli(['migrate'], env, m.io)).toBe(0);
      expect(m.out.join()).toMatch(/Applied \d+ migration|up to date/);

      const c = capture();
      expect(await runCli(['create-admin', '--email', 'root@acme.test', '--password', PASSWORD, '--org', 'Acme'], env, c.io)).toBe(0);
      expect(c.out.join()).toContain('Created root@acme.test, owner of "Acme"');

      const dup = capture();
      expect(await runCli(['create-admin', '--email', 'ROOT@acme.test', '--password', PASSWORD, '--org', 'Other'], env, dup.io)).toBe(1);
      expect(dup.err.join()).toContain('already exists');

      const weak = capture();
      expect(await runCli(['create-admin', '--email', 'x@acme.test', '--password', 'qwerty', '--org', 'X'], env, weak.io)).toBe(1);
      expect(weak.err.join()).toContain('Password rejected');

      const tk = capture();
      expect(await runCli(['token', 'create', '--email', 'root@acme.test'], env, tk.io)).toBe(0);
      expect(tk.out[0]).toMatch(/^folio_pat_[\w-]{40,}$/);
      const ctx = await createAppContext(loadConfig(env), createLogger('silent'));
      try {
        expect((await authenticateToken(ctx, tk.out[0]))?.user.email).toBe('root@acme.test');
      } finally {
        await ctx.db.destroy();
      }

      const nobody = capture();
      expect(await runCli(['token', 'create', '--email', 'nobody@acme.test'], env, nobody.io)).toBe(1);
      expect(nobody.err.join()).toContain('No account has the email');
    });
  });
}

describe('folio CLI usage', () => {
  it('explains missing options and unknown commands, and lists configuration problems', async () => {
    const a = capture();
    expect(await runCli(['create-admin', '--email', 'a@b.c'], { DATA_DIR: dir }, a.io)).toBe(2);
    expect(a.err.join()).toContain('create-admin needs --password, --org');
    const b = capture();
    expect(await runCli(['frobnicate'], { DATA_DIR: dir }, b.io)).toBe(2);
    expect(b.err.join()).toContain('Unknown command: frobnicate');
    const c = capture();
    expect(await runCli(['migrate'], { PORT: 'abc', DATABASE_URL: 'mysql://x' }, c.io)).toBe(2);
    expect(c.err.join()).toMatch(/server\.port \(PORT\)[\s\S]*database\.url \(DATABASE_URL\)/);
  });
});
