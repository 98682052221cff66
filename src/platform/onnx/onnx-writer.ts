/**
 * Writes ONNX model files with protobufjs from a JSON descriptor of the part of the ONNX
 * schema (onnx/onnx.proto, IR version 8) that Folio's models need: ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto and friends. Field numbers
 * follow the ONNX specification. Output is deterministic: same graph, same bytes.
 *
 * Used by the training scripts (feed-forward networks, float tensors, default opset 13) and
 * by the sentence-encoder conversion (integer and boolean tensors, attributes, opset 14).
 */
import protobuf from 'protobufjs';

const repeated = 'repeated';
/** The subset of onnx.proto used by Folio's models, as a protobufjs JSON descriptor. */
export const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: { rule: repeated, type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            metadataProps: { rule: repeated, type: 'StringStringEntryProto', id: 14 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: repeated, type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: repeated, type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: repeated, type: 'ValueInfoProto', id: 11 },
            output: { rule: repeated, type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: repeated, type: 'ValueInfoProto', id: 13 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: repeated, type: 'string', id: 1 },
            output: { rule: repeated, type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: repeated, type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: repeated, type: 'float', id: 7 },
            ints: { rule: repeated, type: 'int64', id: 8 },
            type: { type: 'AttributeType', id: 20 },
          },
          nested: { AttributeType: { values: { UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } } },
        },
        TensorProto: {
          fields: {
            dims: { rule: repeated, type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: repeated, type: 'float', id: 4, options: { packed: true } },
            int64Data: { rule: repeated, type: 'int64', id: 7, options: { packed: true } },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            docString: { type: 'string', id: 12 },
          },
          nested: { DataType: { values: { UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, DOUBLE: 11 } } },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 }, docString: { type: 'string', id: 3 } } },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: { tensorType: { type: 'Tensor', id: 1 } },
          nested: { Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } } },
        },
        TensorShapeProto: {
          fields: { dim: { rule: repeated, type: 'Dimension', id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 }, denotation: { type: 'string', id: 3 } },
            },
          },
        },
      },
    },
  },
};

/** ONNX element types (TensorProto.DataType) that Folio writes. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type ElementType = (typeof DataType)[keyof typeof DataType];

const FLOAT = DataType.FLOAT;

/** A float32 tensor for a graph initializer. */
export function floatTensor(name: string, dims: number[], values: Float32Array): object {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims, dataType: FLOAT, rawData: raw };
}

/** A float32 tensor input or output; a string dimension is symbolic (`'candidates'`). */
export function floatValueInfo(name: string, dims: Array<number | string>): object {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** An int64 tensor (little-endian raw data), for shapes, axes and integer constants. */
export function int64Tensor(name: string, dims: number[], values: ArrayLike<number>): object {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i]), true);
  return { name, dims, dataType: DataType.INT64, rawData: raw };
}

/** A tensor input or output of any element type; a string dimension is symbolic. */
export function valueInfo(name: string, elemType: ElementType, dims: Array<number | string>): object {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** A node of the graph, with its attributes (see `intAttribute` and friends) when it has any. */
export function node(opType: string, inputs: string[], outputs: string[], name: string, attributes?: object[]): object {
  return attributes && attributes.length > 0 ? { opType, input: inputs, output: outputs, name, attribute: attributes } : { opType, input: inputs, output: outputs, name };
}

const ATTRIBUTE = { FLOAT: 1, INT: 2, TENSOR: 4, INTS: 7 } as const;

/** An integer attribute (`axis`, `keepdims`, `to`, …). */
export function intAttribute(name: string, value: number): object {
  return { name, type: ATTRIBUTE.INT, i: value };
}

/** A list-of-integers attribute (`perm`, `axes`, …). */
export function intsAttribute(name: string, values: number[]): object {
  return { name, type: ATTRIBUTE.INTS, ints: values };
}

/** A float attribute (`alpha`, `epsilon`, …). */
export function floatAttribute(name: string, value: number): object {
  return { name, type: ATTRIBUTE.FLOAT, f: value };
}

/** A tensor attribute (the `value` of ConstantOfShape). */
export function tensorAttribute(name: string, tensor: object): object {
  return { name, type: ATTRIBUTE.TENSOR, t: tensor };
}

/** What `encodeModel` writes into the model header; the defaults are the training scripts'. */
export interface EncodeOptions {
  /** Version of the default ("ai.onnx") operator set; 13 unless given. */
  opset?: number;
  producerName?: string;
  producerVersion?: string;
}

/** Encodes a model (ONNX IR 8, default opset 13 unless `options.opset`) to bytes; metadata keys are sorted. */
export function encodeModel(
  graph: { name: string; nodes: object[]; initializers: object[]; inputs: object[]; outputs: object[] },
  meta: Record<string, string>,
  docString: string,
  options: EncodeOptions = {},
): Uint8Array {
  const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
  const Model = root.lookupType('onnx.ModelProto');
  const message = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: options.opset ?? 13 }],
    producerName: options.producerName ?? 'folio-train-extractor',
    producerVersion: options.producerVersion ?? '1',
    modelVersion: 1,
    docString,
    graph: { name: graph.name, node: graph.nodes, initializer: graph.initializers, input: graph.inputs, output: graph.outputs },
    metadataProps: Object.keys(meta).sort().map((key) => ({ key, value: meta[key] })),
  };
  const err = Model.verify(message);
  if (err) throw new Error(`Invalid ONNX model: ${err}`);
  return Model.encode(Model.create(message)).finish();
}

/** Decodes a model written by `encodeModel` (for tests and inspection). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
  const Model = root.lookupType('onnx.ModelProto');
  return Model.toObject(Model.decode(bytes), { longs: Number, bytes: Array }) as Record<string, unknown>;
}
