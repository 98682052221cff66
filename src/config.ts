import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OCR_ENGINES } from './platform/workers/tasks/types';

/**
 * Configuration: read once from an optional YAML file (`config.yaml` in the working
 * directory, or the path in FOLIO_CONFIG), overridden by environment variables, validated
 * with every problem reported at once, then frozen. `config.example.yaml` documents each key.
 */

const ZConfig = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.coerce.number().int().min(0).max(65535).default(3000),
        publicUrl: z.url({ protocol: /^https?$/ }).optional(),
        trustProxy: z.coerce.boolean().default(false),
        maxBodyBytes: z.coerce.number().int().positive().default(1024 * 1024),
      })
      .strict()
      .prefault({}),
    dataDir: z.string().min(1).default('./data'),
    database: z
      .object({
        url: z
          .string()
          .refine((v) => /^(postgres(ql)?:\/\/|sqlite:)/.test(v), 'must start with postgres://, postgresql:// or sqlite:')
          .optional(),
        poolSize: z.coerce.number().int().min(1).max(200).default(10),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        sessionDays: z.coerce.number().positive().max(365).default(30),
        passwordMinLength: z.coerce.number().int().min(8).max(128).default(10),
        lockoutThreshold: z.coerce.number().int().min(1).max(100).default(5),
        lockoutBaseSeconds: z.coerce.number().int().min(1).default(30),
        lockoutMaxSeconds: z.coerce.number().int().min(1).default(3600),
        inviteDays: z.coerce.number().positive().max(90).default(7),
        secretKey: z.string().min(32, 'use at least 32 characters (e.g. openssl rand -base64 32)').optional(),
        ldapSyncMinutes: z.coerce.number().min(0).max(7 * 24 * 60).default(60),
      })
      .strict()
      .prefault({}),
    uploads: z
      .object({
        maxBytes: z.coerce.number().int().positive().default(200 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    consume: z
      .object({
        pollSeconds: z.coerce.number().min(0).default(10),
      })
      .strict()
      .prefault({}),
    ocr: z
      .object({
        lang: z.string().regex(/^[a-z_]+(\+[a-z_]+)*$/, 'tesseract language codes, e.g. eng or eng+deu').default('eng'),
        engine: z.enum(OCR_ENGINES).default('ppocr'),
      })
      .strict()
      .prefault({}),
    search: z
      .object({
        embeddingModel: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a model key: use-lite or the name of a model folder in modelsDir')
          .default('use-lite'),
        modelsDir: z.string().min(1).optional(),
        embedBatch: z.coerce.number().int().min(1).max(256).default(16),
      })
      .strict()
      .prefault({}),
    answers: z
      .object({
        ollamaUrl: z.url({ protocol: /^https?$/ }).optional(),
        model: z.string().min(1).max(200).default('llama3.2:3b'),
        firstTokenTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(30_000),
        totalTimeoutMs: z.coerce.number().int().min(100).max(1_800_000).default(120_000),
      })
      .strict()
      .prefault({}),
    smtp: z
      .object({
        url: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://'),
        from: z.string().min(3),
      })
      .strict()
      .optional(),
  })
  .strict();

export type Config = z.infer<typeof ZConfig> & {
  database: { url: string; dialect: 'sqlite' | 'postgres' };
  paths: { db: string | null; blobs: string; consume: string };
};

/** Environment variables and the config key each one overrides. */
export const ENV_KEYS: Record<string, string[]> = {
  HOST: ['server', 'host'],
  PORT: ['server', 'port'],
  PUBLIC_URL: ['server', 'publicUrl'],
  TRUST_PROXY: ['server', 'trustProxy'],
  MAX_BODY_BYTES: ['server', 'maxBodyBytes'],
  DATA_DIR: ['dataDir'],
  DATABASE_URL: ['database', 'url'],
  DATABASE_POOL_SIZE: ['database', 'poolSize'],
  LOG_LEVEL: ['log', 'level'],
  SESSION_DAYS: ['auth', 'sessionDays'],
  SECRET_KEY: ['auth', 'secretKey'],
  LDAP_SYNC_MINUTES: ['auth', 'ldapSyncMinutes'],
  PASSWORD_MIN_LENGTH: ['auth', 'passwordMinLength'],
  UPLOAD_MAX_BYTES: ['uploads', 'maxBytes'],
  CONSUME_POLL_SECONDS: ['consume', 'pollSeconds'],
  OCR_LANG: ['ocr', 'lang'],
  OCR_ENGINE: ['ocr', 'engine'],
  EMBEDDING_MODEL: ['search', 'embeddingModel'],
  MODELS_DIR: ['search', 'modelsDir'],
  OLLAMA_URL: ['answers', 'ollamaUrl'],
  OLLAMA_MODEL: ['answers', 'model'],
  SMTP_URL: ['smtp', 'url'],
  SMTP_FROM: ['smtp', 'from'],
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function setPath(target: Record<string, any>, keys: string[], value: unknown) {
  let node = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
    node = node[k];
  }
  node[keys[keys.length - 1]] = value;
}

function boolish(v: unknown) {
  if (typeof v !== 'string') return v;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off|)$/i.test(v)) return false;
  return v;
}

/**
 * Builds the configuration from a raw object (the YAML file's content) and the
 * environment. Throws ConfigError listing every problem.
 */
export function buildConfig(raw: unknown, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const input: Record<string, any> = raw && typeof raw === 'object' ? structuredClone(raw as object) : {};
  if (raw !== undefined && raw !== null && typeof raw !== 'object') problems.push('config file: must be a mapping of keys');
  for (const [name, keys] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(input, keys, value);
  }
  if (input.server && 'trustProxy' in input.server) input.server.trustProxy = boolish(input.server.trustProxy);
  const parsed = ZConfig.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.') || '(root)';
      const envName = Object.entries(ENV_KEYS).find(([, k]) => k.join('.') === key)?.[0];
      problems.push(`${key}${envName ? ` (${envName})` : ''}: ${issue.message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const c = parsed.data!;
  const dataDir = path.resolve(cwd, c.dataDir);
  const url = c.database.url ?? `sqlite:${path.join(dataDir, 'folio.db')}`;
  const dialect = url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  const dbPath = dialect === 'sqlite' ? resolveSqlitePath(url.slice('sqlite:'.length), cwd) : null;
  return deepFreeze({
    ...c,
    dataDir,
    database: { ...c.database, url, dialect },
    search: { ...c.search, modelsDir: c.search.modelsDir === undefined ? undefined : path.resolve(cwd, c.search.modelsDir) },
    paths: { db: dbPath, blobs: path.join(dataDir, 'blobs'), consume: path.join(dataDir, 'consume') },
  }) as Config;
}

function resolveSqlitePath(p: string, cwd: string) {
  if (p === ':memory:') return p;
  return path.resolve(cwd, p.replace(/^\/\/(?=\/)/, ''));
}

/** Reads the YAML file (if any) and the environment. */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  const file = env.FOLIO_CONFIG ? path.resolve(cwd, env.FOLIO_CONFIG) : path.join(cwd, 'config.yaml');
  let raw: unknown = {};
  if (existsSync(file)) {
    try {
      raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
    } catch (err) {
      throw new ConfigError([`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`]);
    }
  } else if (env.FOLIO_CONFIG) {
    throw new ConfigError([`FOLIO_CONFIG: file not found: ${file}`]);
  }
  return buildConfig(raw, env, cwd);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
