import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, DIALECTS } from '../../../test/support/db';
import { createDb, type Database } from '../db/db';
import { migrateToLatest } from '../db/migrate';
import { createJobQueue } from './queue';
import { createJobRegistry } from './registry';
import { JobRunner } from './runner';
import { crashJob, createCrashTables } from './testing/crash-job';
import { memoryLogger, waitFor } from './testing/helpers';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./testing/crash-runner.ts', import.meta.url));
const N = 40;

for (const dialect of DIALECTS) {
  describe(`job runner killed mid-job (${dialect})`, () => {
    let database: Database;
    let childArgs: string[];
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      if (dialect === 'postgres') {
        const t = await createTestDb('postgres');
        database = { db: t.db, dialect: t.dialect, destroy: () => t.destroy() };
        childArgs = [t.url, t.schema!];
        cleanup = () => t.destroy();
      } else {
        // A file, not :memory:, so that two processes share it.
        const dir = await mkdtemp(path.join(os.tmpdir(), 'folio-crash-'));
        const url = `sqlite:${path.join(dir, 'folio.db')}`;
        database = createDb(url);
        await migrateToLatest(database);
        childArgs = [url];
        cleanup = async () => {
          await database.destroy();
          await rm(dir, { recursive: true, force: true });
        };
      }
      await createCrashTables(database.db);
    });
    afterAll(async () => cleanup?.());

    it('loses no job and completes each exactly once after kill -9 and a restart', async () => {
      const { db } = database;
      const registry = createJobRegistry([crashJob]);
      const queue = createJobQueue({ registry });
      await db.transaction().execute(async (trx) => {
        for (let n = 0; n < N; n++) await queue.enqueue(trx, { type: 'crash.work', payload: { n } });
      });

      const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...childArgs], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const started = new Set<string>();
      child.stdout!.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (line.startsWith('started ')) started.add(line.slice(8));
      });
      const count = async (table: string) => Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0].n);
      try {
        await waitFor(async () => (await count('crash_effect')) >= 8, `the child to complete some jobs (stderr: ${stderr})`, 20_000);
      } finally {
        kill9(child);
      }
      await new Promise((r) => child.once('exit', r));

      // Killed in the middle of its work: jobs are left running under the dead runner's lock.
      const orphaned = await db.selectFrom('job').select(['id', 'locked_by']).where('type', '=', 'crash.work').where('status', '=', 'running').execute();
      expect(orphaned.length).toBeGreaterThan(0);
      expect(orphaned.every((j) => j.locked_by === `crash-runner:${child.pid}`)).toBe(true);
      const doneBeforeCrash = await count('crash_effect');
      expect(doneBeforeCrash).toBeLessThan(N);

      const runner = new JobRunner({ db, dialect: database.dialect, registry, log: memoryLogger().log, pollIntervalMs: 20, leaseMs: 1000, sweepIntervalMs: 200 });
      runner.start();
      try {
        await waitFor(
          async () => (await db.selectFrom('job').select('id').where('type', '=', 'crash.work').where('status', '!=', 'succeeded').execute()).length === 0,
          'every job to succeed after the restart',
          20_000,
          50,
        );
      } finally {
        await runner.stop();
      }

      const effects = await sql<{ job_id: string; n: number }>`select job_id, count(*) as n from crash_effect group by job_id`.execute(db);
      expect(effects.rows.length).toBe(N);
      expect(effects.rows.every((r) => Number(r.n) === 1)).toBe(true);
      // The jobs orphaned by the crash really ran again (at-least-once attempts) ...
      const orphanIds = orphaned.map((j) => j.id);
      const rerun = await db.selectFrom('job').select(['id', 'attempts', 'last_error']).where('id', 'in', orphanIds).execute();
      expect(rerun.every((j) => j.attempts >= 2 && /Lease expired/.test(j.last_error ?? ''))).toBe(true);
      // ... yet each left exactly one completed side effect.
      expect(started.size).toBeGreaterThan(0);
    });
  });
}

function kill9(child: ChildProcess) {
  if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
}
