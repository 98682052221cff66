import { describe, expect, it } from 'vitest';
import { createWordPieceTokenizer } from './wordpiece';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'the', 'cafe', 'invoice', 'un', '##paid', '##s', 'total', ',', '.', '!', '$', '中', '文', 'naive', 'résumé', 'resume', 'a', '##b'];

/** A tokenizer.json as BERT exports write it, with parts overridable per test. */
function tokenizerJson(over: { normalizer?: object | null; post_processor?: object | null; truncation?: object | null; model?: object } = {}) {
  return {
    version: '1.0',
    truncation: over.truncation ?? null,
    padding: null,
    added_tokens: [],
    normalizer: over.normalizer === undefined ? { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true } : over.normalizer,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor:
      over.post_processor === undefined
        ? {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
            pair: [],
            special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
          }
        : over.post_processor,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])), ...over.model },
  };
}

describe('WordPiece tokenizer', () => {
  const tok = createWordPieceTokenizer(tokenizerJson());

  it('wraps a text in [CLS] … [SEP] with ids from the vocabulary', () => {
    const e = tok.encode('The invoice');
    expect(e.tokens).toEqual(['[CLS]', 'the', 'invoice', '[SEP]']);
    expect(e.ids).toEqual([2, 4, 6, 3]);
    expect(e.typeIds).toEqual([0, 0, 0, 0]);
    expect(tok.padId).toBe(0);
  });

  it('splits words into the longest pieces, continuations marked ##', () => {
    expect(tok.tokenize('unpaid invoices')).toEqual(['un', '##paid', 'invoice', '##s']);
    expect(tok.tokenize('abbb')).toEqual(['a', '##b', '##b', '##b']);
  });

  it('isolates punctuation, ASCII symbols included', () => {
    expect(tok.tokenize('total,the.$the!')).toEqual(['total', ',', 'the', '.', '$', 'the', '!']);
  });

  it('lowercases and strips accents when strip_accents is null and lowercase is on', () => {
    expect(tok.tokenize('Café NAÏVE')).toEqual(['cafe', 'naive']);
  });

  it('keeps accents when told so, and case when lowercase is off', () => {
    const keep = createWordPieceTokenizer(tokenizerJson({ normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: false, lowercase: true } }));
    expect(keep.tokenize('Résumé')).toEqual(['résumé']);
    const cased = createWordPieceTokenizer(tokenizerJson({ normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: false } }));
    expect(cased.tokenize('résumé Résumé')).toEqual(['résumé', '[UNK]']);
    const strip = createWordPieceTokenizer(tokenizerJson({ normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: true } }));
    expect(strip.tokenize('Résumé')).toEqual(['resume']);
  });

  it('makes each Chinese character a word of its own', () => {
    expect(tok.tokenize('中文the')).toEqual(['中', '文', 'the']);
    const off = createWordPieceTokenizer(tokenizerJson({ normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: false, strip_accents: null, lowercase: true } }));
    expect(off.tokenize('中文')).toEqual(['[UNK]']);
  });

  it('drops control characters and treats every whitespace as a space', () => {
    expect(tok.tokenize('the\u0000 in\u200bvoice\tthe\u00a0total\r\n')).toEqual(['the', 'invoice', 'the', 'total']);
  });

  it('reads a word it cannot piece together, or one that is too long, as [UNK]', () => {
    expect(tok.tokenize('thexyz the')).toEqual(['[UNK]', 'the']);
    const short = createWordPieceTokenizer(tokenizerJson({ model: { max_input_chars_per_word: 3 } }));
    expect(short.tokenize('abb the invoice')).toEqual(['a', '##b', '##b', 'the', '[UNK]']);
  });

  it('cuts long texts so that the whole sequence, specials included, fits', () => {
    const e = tok.encode('the invoice total the invoice', 4);
    expect(e.tokens).toEqual(['[CLS]', 'the', 'invoice', '[SEP]']);
    expect(tok.encode('the invoice', 2).tokens).toEqual(['[CLS]', '[SEP]']);
    const left = createWordPieceTokenizer(tokenizerJson({ truncation: { direction: 'Left', max_length: 4, strategy: 'LongestFirst', stride: 0 } }));
    expect(left.encode('the invoice total').tokens).toEqual(['[CLS]', 'invoice', 'total', '[SEP]']);
  });

  it('encodes empty or blank text as the special tokens alone', () => {
    expect(tok.encode('').tokens).toEqual(['[CLS]', '[SEP]']);
    expect(tok.encode(' \n\t ').ids).toEqual([2, 3]);
  });

  it('follows BertProcessing and the absence of a post-processor', () => {
    const bert = createWordPieceTokenizer(tokenizerJson({ post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] } }));
    expect(bert.encode('the').ids).toEqual([2, 4, 3]);
    const bare = createWordPieceTokenizer(tokenizerJson({ post_processor: null }));
    expect(bare.encode('the total', 1).ids).toEqual([4]);
  });

  it('refuses tokenizers it cannot follow', () => {
    expect(() => createWordPieceTokenizer({ ...tokenizerJson(), model: { type: 'BPE', vocab: {}, merges: [] } })).toThrow(/BPE.*WordPiece only/);
    expect(() => createWordPieceTokenizer({ ...tokenizerJson(), pre_tokenizer: { type: 'Metaspace' } })).toThrow(/Metaspace/);
    expect(() => createWordPieceTokenizer(tokenizerJson({ model: { unk_token: '<unk>' } }))).toThrow(/<unk>/);
  });
});
