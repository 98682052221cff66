/**
 * Converts a TF.js graph model (`model.json` plus its weight shards) into an ONNX model, op
 * by op, for the TensorFlow ops that the Universal Sentence Encoder lite uses. Every TF
 * integer tensor (int32 or int64) becomes int64 in ONNX, the type ONNX shape operators
 * take; floats stay float32. Const nodes become initializers when a node reads them at run
 * time; axes, permutations, slice bounds and 1×1 convolution kernels are read at conversion
 * time. A small shape inference (ranks, known dimensions) drives the ops that need a rank.
 * An op outside the table, or an attribute it cannot honour, stops the conversion with its
 * node name. Same input, same bytes.
 */
import {
  DataType,
  encodeModel,
  floatTensor,
  int64Tensor,
  intAttribute,
  intsAttribute,
  node,
  tensorAttribute,
  valueInfo,
  type ElementType,
} from '../onnx/onnx-writer';

/** The parts of a TF.js `model.json` the conversion reads. */
export interface TfjsModelJson {
  modelTopology: { node: TfNode[] };
  weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string; quantization?: unknown }> }>;
}

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

interface TfAttr {
  type?: number | string;
  i?: string | number;
  b?: boolean;
  s?: string | number[];
  list?: { i?: Array<string | number> };
  shape?: { dim?: Array<{ size?: string | number }>; unknownRank?: boolean };
}

/** Graph inputs and output of the converted model. */
export interface ConversionSpec {
  /** TF node whose output becomes the model's output. */
  output: string;
  outputName: string;
  /** Symbolic names for the unknown dimensions of inputs and output. */
  inputDims: Record<string, Array<number | string>>;
  outputDims: Array<number | string>;
  graphName: string;
  docString: string;
  meta: Record<string, string>;
  producerName: string;
  opset: number;
}

type Kind = 'float' | 'int' | 'bool';
type Dim = number | null;

interface Value {
  name: string;
  kind: Kind;
  shape: Dim[];
  /** Data of a Const node (numbers), known at conversion time. */
  data?: Float32Array | Int32Array;
}

const ELEMENT: Record<Kind, ElementType> = { float: DataType.FLOAT, int: DataType.INT64, bool: DataType.BOOL };
/** Slice bound meaning "to the end"; ONNX clamps it. */
const TO_END = Number.MAX_SAFE_INTEGER;

/** Decodes the weight shards (concatenated in manifest order) into one array per weight name. */
export function readWeights(modelJson: TfjsModelJson, shards: Uint8Array): Map<string, { shape: number[]; data: Float32Array | Int32Array }> {
  const view = new DataView(shards.buffer, shards.byteOffset, shards.byteLength);
  const out = new Map<string, { shape: number[]; data: Float32Array | Int32Array }>();
  let offset = 0;
  for (const group of modelJson.weightsManifest) {
    for (const w of group.weights) {
      if (w.quantization) throw new Error(`Weight ${w.name} is quantized; only float32 and int32 weights are supported.`);
      const count = w.shape.reduce((a, b) => a * b, 1);
      if (offset + count * 4 > shards.byteLength) throw new Error(`The weight shards end before ${w.name}.`);
      let data: Float32Array | Int32Array;
      if (w.dtype === 'float32') {
        data = new Float32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + i * 4, true);
      } else if (w.dtype === 'int32') {
        data = new Int32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getInt32(offset + i * 4, true);
      } else {
        throw new Error(`Weight ${w.name} has dtype ${w.dtype}; only float32 and int32 are supported.`);
      }
      offset += count * 4;
      out.set(w.name, { shape: w.shape, data });
    }
  }
  if (offset !== shards.byteLength) throw new Error(`The weight shards hold ${shards.byteLength} bytes; the manifest describes ${offset}.`);
  return out;
}

/** Converts the graph to ONNX bytes. */
export function convertTfjsGraph(modelJson: TfjsModelJson, shards: Uint8Array, spec: ConversionSpec): Uint8Array {
  const weights = readWeights(modelJson, shards);
  const byName = new Map(modelJson.modelTopology.node.map((n) => [n.name, n]));
  const ordered = topologicalOrder(byName, spec.output);

  const values = new Map<string, Value>();
  const nodes: object[] = [];
  const initializers: object[] = [];
  const inputs: object[] = [];
  const emittedConsts = new Set<string>();
  const auxConsts = new Map<string, string>();

  const ref = (input: string): string => (input.endsWith(':0') ? input.slice(0, -2) : input);
  const value = (input: string): Value => {
    const v = values.get(ref(input));
    if (!v) throw new Error(`No converted value for ${input}.`);
    return v;
  };
  /** A value as a node input: a Const becomes an initializer the first time a node reads it. */
  const use = (v: Value): string => {
    if (v.data && !emittedConsts.has(v.name)) {
      emittedConsts.add(v.name);
      initializers.push(v.kind === 'float' ? floatTensor(v.name, v.shape as number[], v.data as Float32Array) : int64Tensor(v.name, v.shape as number[], v.data));
    }
    return v.name;
  };
  /** An int64 initializer for a list of numbers worked out here (axes, bounds, splits). */
  const ints = (list: number[], scalar = false): string => {
    const key = `${scalar ? 's' : 'v'}:${list.join(',')}`;
    let name = auxConsts.get(key);
    if (!name) {
      name = `folio/const_${auxConsts.size}`;
      auxConsts.set(key, name);
      initializers.push(int64Tensor(name, scalar ? [] : [list.length], list));
    }
    return name;
  };
  const constData = (input: string, what: string): number[] => {
    const v = value(input);
    if (!v.data) throw new Error(`${what}: ${input} must be a constant.`);
    return Array.from(v.data);
  };

  for (const tf of ordered) {
    const attrs = tf.attr ?? {};
    const args = (tf.input ?? []).filter((i) => !i.startsWith('^'));
    const at = (i: number) => value(args[i]);
    const name = tf.name;
    let aux = 0;
    const tmp = (): string => `${name}/folio_${aux++}`;
    const emit = (op: string, ins: string[], outs: string[], attributes?: object[]): void => {
      nodes.push(node(op, ins, outs, outs[0] === name ? name : `${name}/${op}_${aux++}`, attributes));
    };
    const set = (kind: Kind, shape: Dim[], outName = name): void => {
      values.set(outName, { name: outName, kind, shape });
    };
    const fail = (why: string): never => {
      throw new Error(`Cannot convert ${tf.op} node ${name}: ${why}.`);
    };

    switch (tf.op) {
      case 'Placeholder': {
        const kind = kindOf(attrs.dtype);
        const dims = spec.inputDims[name] ?? fail('no dimensions given for this input');
        inputs.push(valueInfo(name, ELEMENT[kind], dims));
        set(kind, dims.map((d) => (typeof d === 'number' ? d : null)));
        break;
      }
      case 'Const': {
        const w = weights.get(name) ?? fail('its value is not in the weights manifest');
        const kind = kindOf(attrs.dtype);
        if (kind === 'bool') fail('boolean constants are not supported');
        if ((kind === 'float') !== w.data instanceof Float32Array) fail('its weight has another data type');
        values.set(name, { name, kind, shape: w.shape, data: w.data });
        break;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Maximum':
      case 'Less':
      case 'Greater':
      case 'BiasAdd': {
        if (tf.op === 'BiasAdd' && dataFormat(attrs) !== 'NHWC') fail('only NHWC bias is supported');
        const op = { Add: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Maximum: 'Max', Less: 'Less', Greater: 'Greater', BiasAdd: 'Add' }[tf.op];
        emit(op, [use(at(0)), use(at(1))], [name]);
        set(op === 'Less' || op === 'Greater' ? 'bool' : at(0).kind, broadcast(at(0).shape, at(1).shape));
        break;
      }
      case 'Sin':
      case 'Cos':
      case 'Tanh':
      case 'Relu':
      case 'LogicalNot': {
        emit(tf.op === 'LogicalNot' ? 'Not' : tf.op, [use(at(0))], [name]);
        set(at(0).kind, at(0).shape);
        break;
      }
      case 'Softmax': {
        emit('Softmax', [use(at(0))], [name], [intAttribute('axis', -1)]);
        set('float', at(0).shape);
        break;
      }
      case 'Square': {
        emit('Mul', [use(at(0)), use(at(0))], [name]);
        set(at(0).kind, at(0).shape);
        break;
      }
      case 'Rsqrt': {
        const root = tmp();
        emit('Sqrt', [use(at(0))], [root]);
        emit('Reciprocal', [root], [name]);
        set('float', at(0).shape);
        break;
      }
      case 'Cast': {
        const to = kindOf(attrs.DstT);
        if (to === at(0).kind) emit('Identity', [use(at(0))], [name]);
        else emit('Cast', [use(at(0))], [name], [intAttribute('to', ELEMENT[to])]);
        set(to, at(0).shape);
        break;
      }
      case 'Shape': {
        emit('Shape', [use(at(0))], [name]);
        set('int', [at(0).shape.length]);
        break;
      }
      case 'Reshape': {
        const target = at(1);
        emit('Reshape', [use(at(0)), use(target)], [name], [intAttribute('allowzero', 1)]);
        const length = target.shape[0] ?? fail('the length of the new shape is unknown');
        set(at(0).kind, target.data ? Array.from(target.data, (d) => (d >= 0 ? d : null)) : new Array<Dim>(length).fill(null));
        break;
      }
      case 'ExpandDims': {
        const x = at(0);
        const [dim] = constData(args[1], 'ExpandDims axis');
        const axis = dim < 0 ? dim + x.shape.length + 1 : dim;
        emit('Unsqueeze', [use(x), ints([axis])], [name]);
        set(x.kind, [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)]);
        break;
      }
      case 'Squeeze': {
        const x = at(0);
        const dims = listOf(attrs.squeeze_dims);
        if (dims.length === 0) fail('squeezing every unit dimension is not supported');
        const axes = dims.map((d) => (d < 0 ? d + x.shape.length : d));
        emit('Squeeze', [use(x), ints(axes)], [name]);
        set(x.kind, x.shape.filter((_, i) => !axes.includes(i)));
        break;
      }
      case 'Transpose': {
        const perm = constData(args[1], 'Transpose permutation');
        emit('Transpose', [use(at(0))], [name], [intsAttribute('perm', perm)]);
        set(at(0).kind, perm.map((p) => at(0).shape[p]));
        break;
      }
      case 'ConcatV2': {
        const parts = args.slice(0, -1).map(value);
        const [axisRaw] = constData(args[args.length - 1], 'ConcatV2 axis');
        const rank = parts[0].shape.length;
        const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
        emit('Concat', parts.map(use), [name], [intAttribute('axis', axis)]);
        const shape = [...parts[0].shape];
        shape[axis] = parts.every((p) => p.shape[axis] !== null) ? parts.reduce((n, p) => n + (p.shape[axis] as number), 0) : null;
        set(parts[0].kind, shape);
        break;
      }
      case 'Pack': {
        const parts = args.map(value);
        const axis = Number(attrs.axis?.i ?? 0);
        if (axis !== 0) fail('only axis 0 is supported');
        const lifted = parts.map((p) => {
          const out = tmp();
          emit('Unsqueeze', [use(p), ints([0])], [out]);
          return out;
        });
        emit('Concat', lifted, [name], [intAttribute('axis', 0)]);
        set(parts[0].kind, [parts.length, ...parts[0].shape]);
        break;
      }
      case 'StridedSlice': {
        for (const mask of ['ellipsis_mask', 'new_axis_mask']) if (Number(attrs[mask]?.i ?? 0) !== 0) fail(`${mask} is not supported`);
        const x = at(0);
        const begin = constData(args[1], 'StridedSlice begin');
        const end = constData(args[2], 'StridedSlice end');
        const strides = constData(args[3], 'StridedSlice strides');
        const beginMask = Number(attrs.begin_mask?.i ?? 0);
        const endMask = Number(attrs.end_mask?.i ?? 0);
        const shrinkMask = Number(attrs.shrink_axis_mask?.i ?? 0);
        const starts: number[] = [];
        const ends: number[] = [];
        const shrunk: number[] = [];
        const shape = [...x.shape];
        begin.forEach((b, i) => {
          const step = strides[i];
          if (step !== 1) fail('only stride 1 is supported');
          if (shrinkMask & (1 << i)) {
            starts.push(b);
            ends.push(b === -1 ? TO_END : b + 1);
            shrunk.push(i);
            shape[i] = 1;
            return;
          }
          const s = beginMask & (1 << i) ? 0 : b;
          const e = endMask & (1 << i) ? TO_END : end[i];
          starts.push(s);
          ends.push(e);
          const size = x.shape[i];
          shape[i] = size === null ? null : Math.max(0, clampIndex(e, size) - clampIndex(s, size));
        });
        const axes = begin.map((_, i) => i);
        const sliced = shrunk.length > 0 ? tmp() : name;
        emit('Slice', [use(x), ints(starts), ints(ends), ints(axes)], [sliced]);
        if (shrunk.length > 0) emit('Squeeze', [sliced, ints(shrunk)], [name]);
        set(x.kind, shape.filter((_, i) => !shrunk.includes(i)));
        break;
      }
      case 'Slice': {
        const x = at(0);
        const begin = constData(args[1], 'Slice begin');
        const size = constData(args[2], 'Slice size');
        const ends = begin.map((b, i) => (size[i] === -1 ? TO_END : b + size[i]));
        emit('Slice', [use(x), ints(begin), ints(ends), ints(begin.map((_, i) => i))], [name]);
        set(
          x.kind,
          x.shape.map((d, i) => (i >= begin.length ? d : size[i] !== -1 ? size[i] : d === null ? null : d - begin[i])),
        );
        break;
      }
      case 'SplitV': {
        const x = at(0);
        const sizes = constData(args[1], 'SplitV sizes');
        const [axisRaw] = constData(args[2], 'SplitV axis');
        if (sizes.includes(-1)) fail('a split size of -1 is not supported');
        const axis = axisRaw < 0 ? axisRaw + x.shape.length : axisRaw;
        const outs = sizes.map((_, i) => (i === 0 ? name : `${name}:${i}`));
        emit('Split', [use(x), ints(sizes)], outs, [intAttribute('axis', axis)]);
        outs.forEach((out, i) => set(x.kind, x.shape.map((d, j) => (j === axis ? sizes[i] : d)), out));
        break;
      }
      case 'GatherV2': {
        if (Number(attrs.batch_dims?.i ?? 0) !== 0) fail('batch_dims is not supported');
        const params = at(0);
        const indices = at(1);
        const [axisRaw] = constData(args[2], 'GatherV2 axis');
        const axis = axisRaw < 0 ? axisRaw + params.shape.length : axisRaw;
        emit('Gather', [use(params), use(indices)], [name], [intAttribute('axis', axis)]);
        set(params.kind, [...params.shape.slice(0, axis), ...indices.shape, ...params.shape.slice(axis + 1)]);
        break;
      }
      case 'GatherNd': {
        const params = at(0);
        const indices = at(1);
        const depth = indices.shape[indices.shape.length - 1] ?? fail('the index depth is unknown');
        emit('GatherND', [use(params), use(indices)], [name]);
        set(params.kind, [...indices.shape.slice(0, -1), ...params.shape.slice(depth)]);
        break;
      }
      case 'Where': {
        if (args.length !== 1) fail('only the one-argument form (coordinates of true values) is supported');
        const coords = tmp();
        emit('NonZero', [use(at(0))], [coords]);
        emit('Transpose', [coords], [name], [intsAttribute('perm', [1, 0])]);
        set('int', [null, at(0).shape.length]);
        break;
      }
      case 'ScatterNd': {
        const [indices, updates, shape] = [at(0), at(1), at(2)];
        const zeros = tmp();
        const zero = updates.kind === 'float' ? floatTensor('', [1], new Float32Array([0])) : int64Tensor('', [1], [0]);
        emit('ConstantOfShape', [use(shape)], [zeros], [tensorAttribute('value', zero)]);
        emit('ScatterND', [zeros, use(indices), use(updates)], [name]);
        set(updates.kind, new Array<Dim>(shape.shape[0] ?? fail('the output rank is unknown')).fill(null));
        break;
      }
      case 'SparseToDense': {
        const [indices, shape, updates, fill] = [at(0), at(1), at(2), at(3)];
        if (indices.shape.length !== 2) fail('only a matrix of indices is supported');
        const dense = tmp();
        emit('Expand', [use(fill), use(shape)], [dense]);
        emit('ScatterND', [dense, use(indices), use(updates)], [name]);
        set(updates.kind, new Array<Dim>(shape.shape[0] ?? fail('the output rank is unknown')).fill(null));
        break;
      }
      case 'Max':
      case 'Sum':
      case 'Mean':
      case 'Prod': {
        const x = at(0);
        const axes = constData(args[1], `${tf.op} axes`).map((a) => (a < 0 ? a + x.shape.length : a));
        const keep = attrs.keep_dims?.b === true;
        const op = { Max: 'ReduceMax', Sum: 'ReduceSum', Mean: 'ReduceMean', Prod: 'ReduceProd' }[tf.op];
        // ReduceSum takes its axes as an input from opset 13; the others until opset 18 as an attribute.
        if (op === 'ReduceSum') emit(op, [use(x), ints(axes)], [name], [intAttribute('keepdims', keep ? 1 : 0)]);
        else emit(op, [use(x)], [name], [intsAttribute('axes', axes), intAttribute('keepdims', keep ? 1 : 0)]);
        set(
          x.kind,
          x.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d])),
        );
        break;
      }
      case 'Range': {
        emit('Range', [use(at(0)), use(at(1)), use(at(2))], [name]);
        set(at(0).kind, [null]);
        break;
      }
      case 'MatMul':
      case 'BatchMatMul':
      case 'BatchMatMulV2': {
        const [a, b] = [at(0), at(1)];
        const swapA = tf.op === 'MatMul' ? attrs.transpose_a?.b === true : attrs.adj_x?.b === true;
        const swapB = tf.op === 'MatMul' ? attrs.transpose_b?.b === true : attrs.adj_y?.b === true;
        const lastTwo = (v: Value, swap: boolean): { input: string; shape: Dim[] } => {
          if (!swap) return { input: use(v), shape: v.shape };
          const rank = v.shape.length;
          const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
          const out = tmp();
          emit('Transpose', [use(v)], [out], [intsAttribute('perm', perm)]);
          return { input: out, shape: perm.map((p) => v.shape[p]) };
        };
        const left = lastTwo(a, swapA);
        const right = lastTwo(b, swapB);
        emit('MatMul', [left.input, right.input], [name]);
        const batch = broadcast(left.shape.slice(0, -2), right.shape.slice(0, -2));
        set('float', [...batch, left.shape[left.shape.length - 2], right.shape[right.shape.length - 1]]);
        break;
      }
      case 'Conv2D': {
        // A 1×1 convolution with unit strides over NHWC is a matrix product on the last axis.
        if (dataFormat(attrs) !== 'NHWC') fail('only NHWC is supported');
        if (listOf(attrs.strides).some((s) => s !== 1) || listOf(attrs.dilations).some((d) => d !== 1)) fail('only unit strides and dilations are supported');
        if (!['VALID', 'SAME'].includes(textOf(attrs.padding))) fail('only VALID or SAME padding is supported');
        const x = at(0);
        const filter = at(1);
        if (!filter.data || filter.shape[0] !== 1 || filter.shape[1] !== 1) fail('only constant 1×1 kernels are supported');
        const [cin, cout] = [filter.shape[2] as number, filter.shape[3] as number];
        const kernel: Value = { name: `${filter.name}/matrix`, kind: 'float', shape: [cin, cout], data: filter.data };
        emit('MatMul', [use(x), use(kernel)], [name]);
        set('float', [...x.shape.slice(0, -1), cout]);
        break;
      }
      default:
        fail('this op is not supported');
    }
  }

  const out = value(spec.output);
  nodes.push(node('Identity', [use(out)], [spec.outputName], `${spec.outputName}/identity`));
  return encodeModel(
    { name: spec.graphName, nodes, initializers, inputs, outputs: [valueInfo(spec.outputName, ELEMENT[out.kind], spec.outputDims)] },
    spec.meta,
    spec.docString,
    { opset: spec.opset, producerName: spec.producerName, producerVersion: '1' },
  );
}

/** The nodes the output depends on, each after its inputs. */
function topologicalOrder(byName: Map<string, TfNode>, output: string): TfNode[] {
  const order: TfNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'open') throw new Error(`The graph has a cycle through ${name}.`);
    const n = byName.get(name);
    if (!n) throw new Error(`The graph has no node ${name}.`);
    state.set(name, 'open');
    for (const input of n.input ?? []) visit(input.replace(/^\^/, '').replace(/:\d+$/, ''));
    state.set(name, 'done');
    order.push(n);
  };
  visit(output);
  return order;
}

const TF_TYPES: Record<string, Kind> = { '1': 'float', DT_FLOAT: 'float', '3': 'int', DT_INT32: 'int', '9': 'int', DT_INT64: 'int', '10': 'bool', DT_BOOL: 'bool' };

function kindOf(attr: TfAttr | undefined): Kind {
  const kind = TF_TYPES[String(attr?.type)];
  if (!kind) throw new Error(`TF data type ${String(attr?.type)} is not supported (float32, int32, int64 and bool are).`);
  return kind;
}

function listOf(attr: TfAttr | undefined): number[] {
  return (attr?.list?.i ?? []).map(Number);
}

/** A string attribute: model.json holds it as a list of byte values or as base64. */
function textOf(attr: TfAttr | undefined): string {
  const s = attr?.s;
  if (s === undefined) return '';
  return typeof s === 'string' ? Buffer.from(s, 'base64').toString() : String.fromCharCode(...s);
}

function dataFormat(attrs: Record<string, TfAttr>): string {
  return textOf(attrs.data_format) || 'NHWC';
}

function broadcast(a: Dim[], b: Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const y = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    out.push(x === 1 ? y : y === 1 ? x : x === null ? y : x);
  }
  return out;
}

function clampIndex(i: number, size: number): number {
  const j = i < 0 ? i + size : i;
  return Math.min(Math.max(j, 0), size);
}
