import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createEncoder, listModels, resolveModel, sha256File } from './models';
import { TINY_DIMS, writeTinyBert } from './test-fixtures/tiny-bert';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-models-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const repoModels = fileURLToPath(new URL('../../../models', import.meta.url));
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** A models folder with a manifest listing use-lite (a stand-in file) and the given extra entries. */
function modelsDir(name: string, useLite: { sha256?: string } | null = {}): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const models: object[] = [{ name: 'classifier', file: 'classifier.onnx', sha256: '0' }];
  if (useLite) {
    fs.mkdirSync(path.join(dir, 'use-lite'));
    const file = path.join(dir, 'use-lite', 'model.onnx');
    fs.writeFileSync(file, 'stand-in for the converted encoder');
    models.push({ name: 'use-lite', file: 'use-lite/model.onnx', sha256: useLite.sha256 ?? sha(file), dims: 512, maxTokens: 128 });
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ models }));
  return dir;
}

describe('embedding model registry', () => {
  it('lists the built-in use-lite first, then the models dropped into folders', () => {
    const dir = modelsDir('both');
    writeTinyBert(path.join(dir, 'tiny-minilm'), { folio: { name: 'Tiny MiniLM', maxTokens: 128 } });
    writeTinyBert(path.join(dir, 'another'), { config: { hidden_size: 384, max_position_embeddings: 512 } });
    const models = listModels(dir);
    expect(models.map((m) => m.key)).toEqual(['use-lite', 'another', 'tiny-minilm']);
    expect(models[0]).toEqual({
      key: 'use-lite',
      kind: 'use',
      name: expect.any(String),
      dims: 512,
      maxTokens: 128,
      dir: path.join(dir, 'use-lite'),
      sha256: sha(path.join(dir, 'use-lite', 'model.onnx')),
    });
    expect(models[2]).toEqual({
      key: 'tiny-minilm',
      kind: 'bert',
      name: 'Tiny MiniLM',
      dims: TINY_DIMS,
      maxTokens: 128,
      dir: path.join(dir, 'tiny-minilm'),
      sha256: sha(path.join(dir, 'tiny-minilm', 'model.onnx')),
    });
    expect(models[1]).toMatchObject({ name: 'another', dims: 384, maxTokens: 512 });
    expect(resolveModel(dir, 'tiny-minilm')).toEqual(models[2]);
  });

  it('leaves out folders it cannot use and says why when asked for one', () => {
    const dir = modelsDir('broken', null);
    writeTinyBert(path.join(dir, 'good'));
    writeTinyBert(path.join(dir, 'no-tokenizer'));
    fs.rmSync(path.join(dir, 'no-tokenizer', 'tokenizer.json'));
    writeTinyBert(path.join(dir, 'bad-folio'), { folio: { pooling: 'max' } });
    fs.mkdirSync(path.join(dir, 'hf-layout', 'onnx'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'hf-layout', 'onnx', 'model.onnx'), 'x');
    fs.mkdirSync(path.join(dir, 'just-a-folder'));
    expect(listModels(dir).map((m) => m.key)).toEqual(['good']);
    expect(() => resolveModel(dir, 'no-tokenizer')).toThrow(/no tokenizer\.json/);
    expect(() => resolveModel(dir, 'bad-folio')).toThrow(/folio\.json: pooling/);
    expect(() => resolveModel(dir, 'hf-layout')).toThrow(/move .*onnx\/model\.onnx up/);
    expect(() => resolveModel(dir, 'use-lite')).toThrow(/manifest\.json has no "use-lite" entry/);
    expect(() => resolveModel(dir, 'nothing-here')).toThrow(/No embedding model "nothing-here" in .*Available: good\./);
    expect(() => resolveModel(path.join(root, 'missing'), 'use-lite')).toThrow(/no models folder/);
  });

  it('refuses a built-in model whose file does not match the manifest', () => {
    const dir = modelsDir('tampered', { sha256: 'f'.repeat(64) });
    expect(listModels(dir)).toEqual([]);
    expect(() => resolveModel(dir, 'use-lite')).toThrow(/does not match the sha256/);
  });

  it('hashes a model file again when it changes', () => {
    const file = path.join(root, 'hash.bin');
    fs.writeFileSync(file, 'one');
    expect(sha256File(file)).toBe(sha(file));
    fs.writeFileSync(file, 'other');
    expect(sha256File(file)).toBe(sha(file));
  });

  it('loads a dropped-in model as a BERT encoder whose vector length it finds', async () => {
    const dir = modelsDir('load', null);
    writeTinyBert(path.join(dir, 'tiny'), { config: null });
    const info = resolveModel(dir, 'tiny');
    expect(info.dims).toBe(0);
    const encoder = await createEncoder(info);
    expect(encoder.info.dims).toBe(TINY_DIMS);
    const [v] = await encoder.embed(['the invoice']);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
  });

  it.skipIf(!fs.existsSync(path.join(repoModels, 'use-lite', 'model.onnx')))('finds the built-in use-lite in the repository models folder', () => {
    expect(resolveModel(repoModels, 'use-lite')).toMatchObject({ key: 'use-lite', kind: 'use', dims: 512, maxTokens: 128 });
  });
});
