import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBertEncoder, readBertSettings } from './encoders/bert';
import { expectedVector, TINY_DIMS, writeTinyBert, type TinyBertOptions } from './test-fixtures/tiny-bert';
import type { EmbeddingModelInfo } from './types';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-bert-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let count = 0;
function model(opts: TinyBertOptions = {}, info: Partial<EmbeddingModelInfo> = {}): EmbeddingModelInfo {
  const dir = writeTinyBert(path.join(root, `m${++count}`), opts);
  return { key: 'tiny', kind: 'bert', name: 'Tiny', dims: TINY_DIMS, maxTokens: 64, dir, sha256: 'x', ...info };
}

const length = (v: Float32Array) => Math.hypot(...v);
const close = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
};

describe('BERT-family encoder', () => {
  it('gives one unit vector per text: the mean of its token vectors', async () => {
    const encoder = await createBertEncoder(model());
    const [a, b] = await encoder.embed(['The invoice', 'receipt total']);
    expect(length(a)).toBeCloseTo(1, 5);
    expect(length(b)).toBeCloseTo(1, 5);
    close(a, expectedVector(['[CLS]', 'the', 'invoice', '[SEP]'], 'mean'));
    close(b, expectedVector(['[CLS]', 'receipt', 'total', '[SEP]'], 'mean'));
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeGreaterThan(0.01);
    expect(await encoder.embed([])).toEqual([]);
  });

  it('ignores the padding of shorter texts in a batch', async () => {
    const encoder = await createBertEncoder(model());
    const [alone] = await encoder.embed(['invoice']);
    const batch = await encoder.embed(['the invoice total due paid invoices', 'invoice', 'a b c a b c a b c']);
    close(batch[1], alone);
    close(batch[0], expectedVector(['[CLS]', 'the', 'invoice', 'total', 'due', 'paid', 'invoice', '##s', '[SEP]'], 'mean'));
  });

  it('cuts texts at maxTokens, special tokens included', async () => {
    const encoder = await createBertEncoder(model({}, { maxTokens: 4 }));
    const [long, short] = await encoder.embed(['the invoice total due paid', 'the invoice']);
    close(long, short);
  });

  it('runs a graph without token_type_ids', async () => {
    const encoder = await createBertEncoder(model({ segments: false }));
    const [v] = await encoder.embed(['the receipt']);
    close(v, expectedVector(['[CLS]', 'the', 'receipt', '[SEP]'], 'mean', false));
  });

  it('takes the [CLS] vector when folio.json asks for CLS pooling', async () => {
    const encoder = await createBertEncoder(model({ folio: { pooling: 'cls' } }));
    const [a, b] = await encoder.embed(['the invoice', 'paid receipt']);
    // In this model a token's vector depends on the token alone, so every text's [CLS] is the same.
    close(a, expectedVector(['[CLS]'], 'cls'));
    close(b, a);
  });

  it('puts the query or passage prefix of folio.json before the text', async () => {
    const encoder = await createBertEncoder(model({ folio: { queryPrefix: 'query: ', passagePrefix: 'passage: ' } }));
    const [query] = await encoder.embed(['invoice'], { kind: 'query' });
    const [passage] = await encoder.embed(['invoice'], { kind: 'passage' });
    const [plain, ...literal] = await encoder.embed(['invoice', 'query: invoice', 'passage: invoice']);
    close(query, literal[0]);
    close(passage, literal[1]);
    close(plain, expectedVector(['[CLS]', 'invoice', '[SEP]'], 'mean'));
  });

  it('finds the vector length when it is not known, and refuses a wrong one', async () => {
    const found = await createBertEncoder(model({ config: null }, { dims: 0 }));
    expect(found.info.dims).toBe(TINY_DIMS);
    await expect(createBertEncoder(model({}, { dims: 384 }))).rejects.toThrow(/makes 8-dimensional vectors, but 384/);
  });
});

describe('BERT model settings', () => {
  it('reads folio.json first, then the files sentence-transformers ships', () => {
    const dir = writeTinyBert(path.join(root, 'settings'), { config: { hidden_size: 384, max_position_embeddings: 512 } });
    expect(readBertSettings(dir)).toEqual({ name: undefined, dims: 384, maxTokens: 512, queryPrefix: '', passagePrefix: '', pooling: 'mean' });
    fs.writeFileSync(path.join(dir, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 256, do_lower_case: false }));
    fs.mkdirSync(path.join(dir, '1_Pooling'));
    fs.writeFileSync(path.join(dir, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: 384, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }));
    fs.writeFileSync(path.join(dir, 'config_sentence_transformers.json'), JSON.stringify({ prompts: { query: 'query: ', document: 'passage: ' } }));
    expect(readBertSettings(dir)).toEqual({ name: undefined, dims: 384, maxTokens: 256, queryPrefix: 'query: ', passagePrefix: 'passage: ', pooling: 'cls' });
    fs.writeFileSync(path.join(dir, 'folio.json'), JSON.stringify({ name: 'BGE small', maxTokens: 128, pooling: 'mean', queryPrefix: '' }));
    expect(readBertSettings(dir)).toMatchObject({ name: 'BGE small', maxTokens: 128, pooling: 'mean', queryPrefix: '', passagePrefix: 'passage: ' });
  });

  it('names the problems of an invalid folio.json', () => {
    const dir = writeTinyBert(path.join(root, 'bad-folio'), { folio: { pooling: 'max', maxTokens: 'many' } });
    expect(() => readBertSettings(dir)).toThrow(/folio\.json: .*pooling.*maxTokens|folio\.json: .*maxTokens.*pooling/);
  });
});
