/**
 * A process that runs the crash job until it is killed: the crash test starts it with
 * `node --import tsx crash-runner.ts <database-url> [postgres-schema]` and kills it with
 * SIGKILL in the middle of its jobs.
 */
import pino from 'pino';
import { createDb } from '../../db/db';
import { createJobRegistry } from '../registry';
import { JobRunner } from '../runner';
import { crashJob } from './crash-job';

const [url, schema] = process.argv.slice(2);
const database = createDb(url, { searchPath: schema || undefined });
const runner = new JobRunner({
  db: database.db,
  dialect: database.dialect,
  registry: createJobRegistry([crashJob]),
  log: pino({ level: 'warn' }, pino.destination(2)),
  id: `crash-runner:${process.pid}`,
  pollIntervalMs: 20,
  leaseMs: 1000,
  sweepIntervalMs: 200,
});
runner.start();
process.stdout.write('ready\n');
