import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError } from './config';

describe('configuration', () => {
  it('starts with no configuration at all: SQLite under ./data, port 3000 on 127.0.0.1', () => {
    const c = buildConfig({}, {}, '/srv/folio');
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 3000 });
    expect(c.database).toMatchObject({ dialect: 'sqlite', url: 'sqlite:/srv/folio/data/folio.db' });
    expect(c.paths).toEqual({ db: '/srv/folio/data/folio.db', blobs: '/srv/folio/data/blobs', consume: '/srv/folio/data/consume' });
    expect(Object.isFrozen(c.server)).toBe(true);
  });

  it('lets environment variables override the file', () => {
    const c = buildConfig({ server: { port: 8080 }, dataDir: '/var/a' }, { PORT: '9000', DATA_DIR: '/var/b', DATABASE_URL: 'postgres://u@db/folio', TRUST_PROXY: 'yes' }, '/');
    expect(c.server.port).toBe(9000);
    expect(c.server.trustProxy).toBe(true);
    expect(c.dataDir).toBe('/var/b');
    expect(c.database).toMatchObject({ dialect: 'postgres', url: 'postgres://u@db/folio' });
    expect(c.paths.db).toBeNull();
  });

  it('reads English with the PP-OCRv4 models unless told to use tesseract', () => {
    expect(buildConfig({}, {}, '/').ocr).toEqual({ lang: 'eng', engine: 'ppocr' });
    expect(buildConfig({ ocr: { engine: 'ppocr' } }, { OCR_ENGINE: 'tesseract' }, '/').ocr.engine).toBe('tesseract');
    expect(() => buildConfig({}, { OCR_ENGINE: 'cloud' }, '/')).toThrow(/ocr\.engine \(OCR_ENGINE\)/);
  });

  it('lists every problem at once, naming the key and its variable', () => {
    let err: unknown;
    try {
      buildConfig({ server: { port: 'high' }, nonsense: 1, log: { level: 'loud' } }, { DATABASE_URL: 'mysql://x' }, '/');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/server\.port \(PORT\)/);
    expect(problems).toMatch(/database\.url \(DATABASE_URL\): must start with postgres/);
    expect(problems).toMatch(/log\.level/);
    expect(problems).toMatch(/nonsense/);
    expect((err as ConfigError).problems.length).toBeGreaterThanOrEqual(4);
  });
});
