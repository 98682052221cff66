/**
 * The candidate ranker: a one-hidden-layer MLP (features → ReLU → one logit per field),
 * trained in plain TypeScript with Adam and a fixed seed. The loss is listwise: for each
 * document and field, a softmax over that field's candidates plus a "none" option with a
 * fixed logit of 0, so the model learns both which candidate is right and whether the field
 * is there at all. Feature standardization is folded into the first layer on export.
 */
import { rng } from './synthetic-invoices';

/** One training document: row-major features and, per field, its candidates and the right ones. */
export interface TrainDoc {
  x: Float32Array;
  n: number;
  groups: Array<{ field: number; idx: Int32Array; pos: Int32Array }>;
}

/** A trained network (weights for raw, unstandardized features). */
export interface Net {
  inDim: number;
  hidden: number;
  outDim: number;
  /** inDim × hidden, row-major. */
  w1: Float32Array;
  b1: Float32Array;
  /** hidden × outDim, row-major. */
  w2: Float32Array;
  b2: Float32Array;
}

export interface TrainOptions {
  hidden: number;
  epochs: number;
  lr: number;
  seed: number;
  batchDocs: number;
  weightDecay: number;
  log?: (line: string) => void;
}

export const DEFAULT_TRAIN: TrainOptions = { hidden: 32, epochs: 30, lr: 0.005, seed: 20240501, batchDocs: 16, weightDecay: 1e-4 };

/** Logits of `n` candidates (row-major `x`) under `net`. */
export function forward(net: Net, x: Float32Array, n: number): Float32Array {
  const { inDim, hidden, outDim, w1, b1, w2, b2 } = net;
  const out = new Float32Array(n * outDim);
  const h = new Float64Array(hidden);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < hidden; j++) h[j] = b1[j];
    for (let i = 0; i < inDim; i++) {
      const v = x[r * inDim + i];
      if (v === 0) continue;
      const row = i * hidden;
      for (let j = 0; j < hidden; j++) h[j] += v * w1[row + j];
    }
    for (let k = 0; k < outDim; k++) {
      let s = b2[k];
      for (let j = 0; j < hidden; j++) if (h[j] > 0) s += h[j] * w2[j * outDim + k];
      out[r * outDim + k] = s;
    }
  }
  return out;
}

/** Trains a network on `docs` for `outDim` fields. Deterministic for a given seed and input order. */
export function trainNet(docs: TrainDoc[], inDim: number, outDim: number, opts: TrainOptions = DEFAULT_TRAIN): Net {
  const rand = rng(opts.seed);
  const H = opts.hidden;
  // Standardization statistics over all rows.
  const mean = new Float64Array(inDim), sq = new Float64Array(inDim);
  let rows = 0;
  for (const d of docs) {
    for (let r = 0; r < d.n; r++) for (let i = 0; i < inDim; i++) {
      const v = d.x[r * inDim + i];
      mean[i] += v;
      sq[i] += v * v;
    }
    rows += d.n;
  }
  const std = new Float64Array(inDim);
  for (let i = 0; i < inDim; i++) {
    mean[i] /= Math.max(1, rows);
    std[i] = Math.sqrt(Math.max(sq[i] / Math.max(1, rows) - mean[i] * mean[i], 0)) || 1;
    if (std[i] < 1e-3) std[i] = 1;
  }
  const xs = docs.map((d) => {
    const z = new Float32Array(d.x.length);
    for (let r = 0; r < d.n; r++) for (let i = 0; i < inDim; i++) z[r * inDim + i] = (d.x[r * inDim + i] - mean[i]) / std[i];
    return z;
  });
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const P = {
    w1: Float64Array.from({ length: inDim * H }, () => gauss() * Math.sqrt(2 / inDim)),
    b1: new Float64Array(H).fill(0.01),
    w2: Float64Array.from({ length: H * outDim }, () => gauss() * Math.sqrt(1 / H)),
    b2: new Float64Array(outDim).fill(-1),
  };
  const keys = ['w1', 'b1', 'w2', 'b2'] as const;
  const m = Object.fromEntries(keys.map((k) => [k, new Float64Array(P[k].length)])) as Record<(typeof keys)[number], Float64Array>;
  const v = Object.fromEntries(keys.map((k) => [k, new Float64Array(P[k].length)])) as Record<(typeof keys)[number], Float64Array>;
  const g = Object.fromEntries(keys.map((k) => [k, new Float64Array(P[k].length)])) as Record<(typeof keys)[number], Float64Array>;
  let step = 0;
  const order = docs.map((_, i) => i);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0, groupsSeen = 0;
    const lr = opts.lr * (epoch < opts.epochs * 0.6 ? 1 : epoch < opts.epochs * 0.85 ? 0.3 : 0.1);
    for (let b = 0; b < order.length; b += opts.batchDocs) {
      for (const k of keys) g[k].fill(0);
      let groupsInBatch = 0;
      for (const di of order.slice(b, b + opts.batchDocs)) {
        const d = docs[di], x = xs[di], n = d.n;
        if (!d.groups.length) continue;
        // Forward.
        const z1 = new Float64Array(n * H);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < H; j++) z1[r * H + j] = P.b1[j];
          for (let i = 0; i < inDim; i++) {
            const xv = x[r * inDim + i];
            if (xv === 0) continue;
            for (let j = 0; j < H; j++) z1[r * H + j] += xv * P.w1[i * H + j];
          }
        }
        const out = new Float64Array(n * outDim);
        for (let r = 0; r < n; r++) for (let k = 0; k < outDim; k++) {
          let s = P.b2[k];
          for (let j = 0; j < H; j++) {
            const a = z1[r * H + j];
            if (a > 0) s += a * P.w2[j * outDim + k];
          }
          out[r * outDim + k] = s;
        }
        // Listwise softmax with a "none" option (logit 0) per field.
        const dOut = new Float64Array(n * outDim);
        for (const grp of d.groups) {
          const k = grp.field;
          let mx = 0;
          for (const r of grp.idx) mx = Math.max(mx, out[r * outDim + k]);
          let Z = Math.exp(-mx);
          for (const r of grp.idx) Z += Math.exp(out[r * outDim + k] - mx);
          const isPos = new Set(grp.pos);
          let pPos = 0;
          if (grp.pos.length) for (const r of grp.pos) pPos += Math.exp(out[r * outDim + k] - mx) / Z;
          else pPos = Math.exp(-mx) / Z;
          lossSum += -Math.log(Math.max(pPos, 1e-12));
          groupsSeen++;
          groupsInBatch++;
          // d(-log sum_pos p)/dz_r = p_r - [r in pos] p_r / pPos
          for (const r of grp.idx) {
            const p = Math.exp(out[r * outDim + k] - mx) / Z;
            dOut[r * outDim + k] += p - (isPos.has(r) ? p / pPos : 0);
          }
        }
        // Backward.
        for (let r = 0; r < n; r++) {
          let any = false;
          for (let k = 0; k < outDim; k++) if (dOut[r * outDim + k] !== 0) any = true;
          if (!any) continue;
          for (let k = 0; k < outDim; k++) g.b2[k] += dOut[r * outDim + k];
          for (let j = 0; j < H; j++) {
            const a = z1[r * H + j];
            if (a <= 0) continue;
            let da = 0;
            for (let k = 0; k < outDim; k++) {
              const dk = dOut[r * outDim + k];
              if (dk === 0) continue;
              g.w2[j * outDim + k] += a * dk;
              da += dk * P.w2[j * outDim + k];
            }
            g.b1[j] += da;
            for (let i = 0; i < inDim; i++) {
              const xv = x[r * inDim + i];
              if (xv !== 0) g.w1[i * H + j] += xv * da;
            }
          }
        }
      }
      if (!groupsInBatch) continue;
      step++;
      const b1c = 1 - 0.9 ** step, b2c = 1 - 0.999 ** step;
      for (const k of keys) {
        const p = P[k], gk = g[k], mk = m[k], vk = v[k];
        for (let i = 0; i < p.length; i++) {
          const grad = gk[i] / groupsInBatch + (k === 'w1' || k === 'w2' ? opts.weightDecay * p[i] : 0);
          mk[i] = 0.9 * mk[i] + 0.1 * grad;
          vk[i] = 0.999 * vk[i] + 0.001 * grad * grad;
          p[i] -= (lr * (mk[i] / b1c)) / (Math.sqrt(vk[i] / b2c) + 1e-8);
        }
      }
    }
    opts.log?.(`epoch ${epoch + 1}/${opts.epochs}: loss ${(lossSum / Math.max(1, groupsSeen)).toFixed(4)}`);
  }
  // Fold standardization into the first layer: z = ((x - mean) / std) W1 + b1.
  const w1 = new Float32Array(inDim * H), b1 = new Float32Array(H);
  for (let j = 0; j < H; j++) {
    let bias = P.b1[j];
    for (let i = 0; i < inDim; i++) {
      w1[i * H + j] = P.w1[i * H + j] / std[i];
      bias -= (mean[i] / std[i]) * P.w1[i * H + j];
    }
    b1[j] = bias;
  }
  return { inDim, hidden: H, outDim, w1, b1, w2: Float32Array.from(P.w2), b2: Float32Array.from(P.b2) };
}
