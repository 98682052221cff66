import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config';

const VERSION = 'v1';

/**
 * Seals small secrets (bind passwords, client secrets, private keys, TOTP seeds) for storage:
 * AES-256-GCM with a random nonce, so a database dump alone reveals none of them and any
 * change to a sealed value is detected when it is opened.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  /** Derives the box from a passphrase of any length (the configured secret key). */
  static fromPassphrase(passphrase: string): SecretBox {
    return new SecretBox(createHash('sha256').update(`folio-secret-box:${passphrase}`).digest());
  }

  seal(plain: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Opens a sealed value; throws when it was sealed with another key or context, or altered. */
  open(sealed: string, context = ''): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('Not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** Seals a JSON value. */
  sealJson(value: unknown, context = ''): string {
    return this.seal(JSON.stringify(value), context);
  }

  openJson<T>(sealed: string, context = ''): T {
    return JSON.parse(this.open(sealed, context)) as T;
  }
}

const boxes = new WeakMap<Config, SecretBox>();

/**
 * The box for a configuration: from `auth.secretKey` when set; otherwise from a random key
 * created once in `<dataDir>/secret.key` (readable by its owner only). Replicas sharing a
 * Postgres database must share the configured key.
 */
export function secretBoxFor(config: Config): SecretBox {
  let box = boxes.get(config);
  if (box) return box;
  if (config.auth.secretKey) {
    box = SecretBox.fromPassphrase(config.auth.secretKey);
  } else {
    const file = path.join(config.dataDir, 'secret.key');
    if (!existsSync(file)) {
      mkdirSync(config.dataDir, { recursive: true });
      try {
        writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      chmodSync(file, 0o600);
    }
    box = SecretBox.fromPassphrase(readFileSync(file, 'utf8').trim());
  }
  boxes.set(config, box);
  return box;
}
