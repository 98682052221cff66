import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config';
import { createAppContext, createRuntime, startServer } from './main';
import { REINDEX_JOB, startReindex } from './modules/search/models.service';
import { JobRunner } from './platform/jobs';
import { createAccountWithOrg } from './modules/auth/auth.service';
import { createPersonalToken } from './modules/tokens/token.service';
import { findUserByEmail } from './modules/users/user.repository';
import { createDb } from './platform/db/db';
import { migrateToLatest } from './platform/db/migrate';
import { createLogger } from './platform/log/logger';
import { NO_META } from './shared/context';
import { AppError } from './shared/errors';

const USAGE = `Usage: folio <command> [options]

Commands:
  serve                                   start the web server (the default)
  migrate                                 apply pending database migrations and exit
  create-admin --email E --password P --org NAME [--name N]
                                          create an account that owns a new organization
  token create --email E [--name N] [--expires-days D]
                                          print a new personal API token for an account
  reindex [--wait]                        embed every passage with the configured embedding
                                          model; a running server does it in the background
                                          (search keeps using the previous model until done),
                                          --wait does it here and reports progress

Configuration comes from config.yaml (or FOLIO_CONFIG) and environment variables;
see config.example.yaml.`;

type Out = { out: (s: string) => void; err: (s: string) => void };
const stdio: Out = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

/** Runs one CLI command and returns the process exit code. */
export async function runCli(argv: string[], env = process.env, io: Out = stdio): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  try {
    if (command === 'help' || command === '--help' || command === '-h') {
      io.out(USAGE);
      return 0;
    }
    const config = loadConfig(env);
    switch (command) {
      case 'serve':
        await startServer(config);
        return 0;
      case 'migrate': {
        const database = createDb(config.database.url, { poolSize: 2 });
        try {
          const applied = await migrateToLatest(database);
          io.out(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'The database is up to date.');
        } finally {
          await database.destroy();
        }
        return 0;
      }
      case 'create-admin': {
        const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, password: { type: 'string' }, org: { type: 'string' }, name: { type: 'string' } } });
        const missing = ['email', 'password', 'org'].filter((k) => !values[k as keyof typeof values]);
        if (missing.length) {
          io.err(`create-admin needs ${missing.map((m) => `--${m}`).join(', ')}\n\n${USAGE}`);
          return 2;
        }
        const ctx = await createAppContext(config, createLogger('warn'));
        try {
          const { user, org } = await createAccountWithOrg(
            { ...ctx, meta: NO_META },
            { email: values.email!, password: values.password!, name: values.name ?? '', orgName: values.org! },
            { firstOnly: false },
          );
          io.out(`Created ${user.email}, owner of "${org.name}" (/o/${org.slug}).`);
        } finally {
          await ctx.db.destroy();
        }
        return 0;
      }
      case 'token': {
        const [sub, ...args] = rest;
        if (sub !== 'create') {
          io.err(`Unknown token command: ${sub ?? '(none)'}\n\n${USAGE}`);
          return 2;
        }
        const { values } = parseArgs({ args, options: { email: { type: 'string' }, name: { type: 'string' }, 'expires-days': { type: 'string' } } });
        if (!values.email) {
          io.err(`token create needs --email\n\n${USAGE}`);
          return 2;
        }
        const ctx = await createAppContext(config, createLogger('warn'));
        try {
          const user = await findUserByEmail(ctx.db, values.email);
          if (!user) throw new AppError('not_found', `No account has the email ${values.email}.`);
          const days = values['expires-days'] ? Number(values['expires-days']) : undefined;
          if (days !== undefined && !(Number.isInteger(days) && days > 0)) throw new AppError('validation_failed', '--expires-days must be a positive whole number');
          const { token } = await createPersonalToken({ ...ctx, meta: NO_META }, user.id, { name: values.name ?? 'command line', expiresInDays: days });
          io.out(token);
        } finally {
          await ctx.db.destroy();
        }
        return 0;
      }
      case 'reindex': {
        const { values } = parseArgs({ args: rest, options: { wait: { type: 'boolean' } } });
        const runtime = await createRuntime(config, createLogger('warn'));
        const { ctx } = runtime;
        try {
          const { model, jobId } = await startReindex({ ...ctx });
          io.out(`Re-embedding with ${model} (job ${jobId}).`);
          if (values.wait && jobId) {
            const runner = new JobRunner({ db: ctx.db, dialect: ctx.dialect, registry: runtime.registry, log: createLogger('warn'), types: [REINDEX_JOB], pollIntervalMs: 200 });
            runner.start();
            try {
              for (let last = ''; ; ) {
                const job = await ctx.jobs.find(ctx.db, jobId);
                const line = job ? `${job.status}${job.progress ? ` ${JSON.stringify(job.progress)}` : ''}` : 'gone';
                if (line !== last) io.out(line);
                last = line;
                if (!job || ['succeeded', 'failed', 'cancelled'].includes(job.status)) {
                  if (job?.status !== 'succeeded') return 1;
                  break;
                }
                await new Promise((r) => setTimeout(r, 1000));
              }
            } finally {
              await runner.stop({ timeoutMs: 10_000 });
            }
          }
        } finally {
          await runtime.closePools();
          await ctx.db.destroy();
        }
        return 0;
      }
      default:
        io.err(`Unknown command: ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 2;
    }
    if (err instanceof AppError) {
      io.err(`Error: ${err.message}`);
      return 1;
    }
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.err(`${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`Error: ${(err as Error).stack ?? err}`);
    return 1;
  }
}
