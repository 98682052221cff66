/**
 * Sentence embeddings: the contract between the models folder, the `onnx` worker pool and
 * the search index. An encoder turns texts into unit-length vectors; every stored vector
 * records the key of the model that made it.
 */

/** The kinds of model Folio can run. */
export type EncoderKind = 'use' | 'bert';

/** A model found in the models folder, ready to load in a worker. */
export interface EmbeddingModelInfo {
  /** Stable identifier stored with every vector, e.g. `use-lite` or `all-minilm-l6-v2`. */
  key: string;
  kind: EncoderKind;
  /** Human-readable name for the admin console and logs. */
  name: string;
  /** Vector length. */
  dims: number;
  /** Tokens the model reads per text; longer texts are cut. */
  maxTokens: number;
  /** Folder holding the model's files (model.onnx plus its tokenizer files). */
  dir: string;
  /** sha256 of model.onnx, hex. */
  sha256: string;
}

/**
 * What a text is, for models trained with a prefix per role (E5's "query: " / "passage: ",
 * BGE's query instruction). Models without such prefixes ignore it.
 */
export interface EmbedOptions {
  kind?: 'query' | 'passage';
}

/** A loaded model (inside a worker thread). */
export interface Encoder {
  readonly info: EmbeddingModelInfo;
  /** One unit-length Float32Array of `info.dims` per text, in order. */
  embed(texts: string[], opts?: EmbedOptions): Promise<Float32Array[]>;
}
