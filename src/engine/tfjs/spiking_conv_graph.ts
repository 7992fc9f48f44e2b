/**
 * The spiking CNN of the Atari agent (../wasm/spiking_conv.ts) in TensorFlow.js ops, with
 * tf.conv2d (channels-last frames, filters [kh][kw][Cin][Cout] = HWIO, no padding, stride), so
 * that autodiff gives its exact BPTT gradient: the spike's gradient is the pseudo-derivative and
 * the reset is differentiated (SpikingConv's method "bptt").
 * ```
 * I_0(t) = conv(frame(floor(t / S)), W_0) + b_0,   I_l(t) = conv(z_{l-1}(t), W_l) + b_l  (l >= 1)
 * v_l(t) = alpha v_l(t-1) + s I_l(t) - thr z_l(t-1)
 * z_l(t) = H(v_l(t) - thr) / dt,   dz/dv = psi = (gamma / thr) max(0, 1 - |v_l(t) - thr| / thr)
 * ```
 * (b_l only for a layer with `bias: true`: the same current for every position of a channel.)
 * Teacher forcing (`forcedSpikes`): a layer's spikes take given forward values (e.g. the
 * WebAssembly record) while their gradient is still psi of this graph's own potentials; the
 * potentials are then computed from the forced spikes (input to the next layer and reset).
 *
 * @module
 */
import { tf } from "./tf.ts";
import { customOp, stopGradient } from "./lsnn_graph.ts";
import type { ResolvedSpikingConvSpec, SpikingConvState } from "../../net/spiking_conv_spec.ts";
import { describe } from "../../util/errors.ts";

/** The state between two runs: per layer, potentials and last spikes, each [B, h, w, c]. */
export interface SpikingConvGraphState {
  /** Membrane potentials per layer. */
  v: tf.Tensor4D[];
  /** Spikes of the last step per layer (they reset the next step's potential). */
  z: tf.Tensor4D[];
}

/** Options of {@linkcode runSpikingConvGraph}. */
export interface SpikingConvGraphOptions {
  /** State to start from (default zero). */
  state?: SpikingConvGraphState;
  /** Per layer, the spikes' forward values [T, B, h, w, c] (teacher forcing), or undefined. */
  forcedSpikes?: readonly (tf.Tensor | undefined)[];
  /** [F, B]: the state is multiplied by keep[f][b] before frame f (0 resets an episode). */
  keep?: tf.Tensor2D;
  /** Per layer, its bias [filters] (a layer with `bias: true` needs one; the others none). */
  bias?: readonly (tf.Tensor | undefined)[];
  /**
   * Stop the gradient on each layer's spikes where they feed the next layer (default false): the
   * spikes' own gradient (and the BPTT inside each layer, reset included) is kept, nothing flows
   * from layer l + 1 back into layer l (the authors' Atari CNN, trained from its pooled spikes).
   */
  stopBetweenLayers?: boolean;
}

/** What a run gives, per layer (T = frames x stepsPerFrame). */
export interface SpikingConvGraphRecord {
  /** Spikes [T, B, h, w, c] (differentiable). */
  z: tf.Tensor[];
  /** Membrane potentials [T, B, h, w, c]. */
  v: tf.Tensor[];
  /** Pseudo-derivatives [T, B, h, w, c] (not differentiated). */
  psi: tf.Tensor[];
  /** The state after the last step. */
  state: SpikingConvGraphState;
}

/**
 * The spike ops: forward H(v - thr) / dt (or the forced value), gradient psi(v) to v.
 * @param spec The CNN's constants.
 * @returns (v, forced?) => z.
 */
function convSpike(spec: ResolvedSpikingConvSpec): (v: tf.Tensor, forced?: tf.Tensor) => tf.Tensor {
  const free = customOp(([v], save) => {
    save([convPsi(spec, v)]);
    return {
      value: tf.mul(tf.cast(tf.greater(v, spec.thr), "float32"), 1 / spec.dtMs),
      gradFunc: (dy, saved) => tf.mul(dy, saved[0]),
    };
  });
  const forcedOp = customOp(([v, forced], save) => {
    save([convPsi(spec, v)]);
    return {
      value: tf.clone(forced),
      gradFunc: (dy, saved) => [tf.mul(dy, saved[0]), tf.zerosLike(dy)],
    };
  });
  return (v, forced) => forced ? forcedOp(v, forced) : free(v);
}

/** psi = (gamma / thr) max(0, 1 - |v - thr| / thr), as a plain (not differentiated) value. */
function convPsi(spec: ResolvedSpikingConvSpec, v: tf.Tensor): tf.Tensor {
  const { thr, dampening } = spec;
  return tf.mul(dampening / thr, tf.relu(tf.sub(1, tf.div(tf.abs(tf.sub(v, thr)), thr))));
}

/**
 * Runs the spiking CNN over F frames for B trials (inside a tf.tidy or tf.grads scope).
 * @param spec The CNN's resolved shape and constants.
 * @param weights Filters per layer, [kernel, kernel, inChannels, filters].
 * @param frames Frames [F, B, height, width, channels].
 * @param options Start state, teacher forcing, resets.
 * @returns Spikes, potentials and pseudo-derivatives per layer, and the final state.
 * @throws {RangeError} Naming `weights[l]`, `frames`, `options.bias[l]` or
 *   `options.forcedSpikes[l]` on a bad shape.
 */
export function runSpikingConvGraph(
  spec: ResolvedSpikingConvSpec,
  weights: readonly tf.Tensor[],
  frames: tf.Tensor,
  options: SpikingConvGraphOptions = {},
): SpikingConvGraphRecord {
  const action = "run spiking CNN graph";
  const S = spec.stepsPerFrame, layers = spec.layers;
  if (
    frames.rank !== 5 || frames.shape[2] !== spec.height || frames.shape[3] !== spec.width ||
    frames.shape[4] !== spec.channels
  ) {
    throw new RangeError(
      `Cannot ${action}: frames must be [F, B, ${spec.height}, ${spec.width}, ${spec.channels}], got [${frames.shape}]`,
    );
  }
  const [F, B] = frames.shape;
  const T = F * S;
  if (weights.length !== layers.length) {
    throw new RangeError(
      `Cannot ${action}: weights must hold ${layers.length} filters, got ${
        describe(weights.length)
      }`,
    );
  }
  layers.forEach((l, i) => {
    const want = [l.kernel, l.kernel, l.inChannels, l.channels];
    if (weights[i].shape.join() !== want.join()) {
      throw new RangeError(
        `Cannot ${action}: weights[${i}] must be [${want}], got [${weights[i].shape}]`,
      );
    }
    const b = options.bias?.[i];
    if (l.bias !== (b !== undefined) || (b !== undefined && b.shape.join() !== `${l.channels}`)) {
      throw new RangeError(
        `Cannot ${action}: options.bias[${i}] must be ${
          l.bias ? `[${l.channels}] (layer ${i} has a bias)` : `undefined (layer ${i} has no bias)`
        }, got ${b === undefined ? "undefined" : `[${b.shape}]`}`,
      );
    }
    const f = options.forcedSpikes?.[i];
    const zs = [T, B, l.height, l.width, l.channels];
    if (f !== undefined && f.shape.join() !== zs.join()) {
      throw new RangeError(
        `Cannot ${action}: options.forcedSpikes[${i}] must be [${zs}], got [${f.shape}]`,
      );
    }
  });
  const spike = convSpike(spec);
  const keep = options.keep
    ? (tf.unstack(options.keep).map((k) => tf.reshape(k, [B, 1, 1, 1])) as tf.Tensor4D[])
    : undefined;
  const out: SpikingConvGraphRecord = { z: [], v: [], psi: [], state: { v: [], z: [] } };
  let input: tf.Tensor4D = tf.reshape(frames, [F * B, spec.height, spec.width, spec.channels]);
  layers.forEach((l, i) => {
    const conv = tf.conv2d(input, weights[i] as tf.Tensor4D, l.stride, "valid");
    const bias = options.bias?.[i];
    const I = tf.reshape(
      bias === undefined ? conv : tf.add(conv, bias),
      [i === 0 ? F : T, B, l.height, l.width, l.channels],
    );
    const Is = tf.unstack(I) as tf.Tensor4D[];
    const forced = options.forcedSpikes?.[i]
      ? (tf.unstack(options.forcedSpikes[i]!) as tf.Tensor4D[])
      : undefined;
    let v: tf.Tensor4D = options.state?.v[i] ?? tf.zeros([B, l.height, l.width, l.channels]);
    let z: tf.Tensor4D = options.state?.z[i] ?? tf.zeros([B, l.height, l.width, l.channels]);
    const zs: tf.Tensor[] = [], vs: tf.Tensor[] = [], psis: tf.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      if (keep && t % S === 0) {
        v = tf.mul(v, keep[t / S]);
        z = tf.mul(z, keep[t / S]);
      }
      const cur = Is[i === 0 ? Math.floor(t / S) : t];
      v = tf.sub(tf.add(tf.mul(spec.alpha, v), tf.mul(spec.s, cur)), tf.mul(spec.thr, z));
      z = spike(v, forced?.[t]) as tf.Tensor4D;
      zs.push(z), vs.push(v), psis.push(convPsi(spec, v));
    }
    const zStack = tf.stack(zs);
    out.z.push(zStack), out.v.push(tf.stack(vs)), out.psi.push(tf.stack(psis));
    out.state.v.push(v), out.state.z.push(z);
    const next = options.stopBetweenLayers ? stopGradient(zStack) : zStack;
    input = tf.reshape(next, [T * B, l.height, l.width, l.channels]);
  });
  return out;
}

/** Options of {@linkcode spikingConvGraphGradients}. */
export interface SpikingConvGraphGradientOptions {
  /** Per layer, dE/dz [T][B][h][w][c] (undefined: none). */
  dEdz: readonly (ArrayLike<number> | undefined)[];
  /** Per layer, the spikes' forward values [T][B][h][w][c] (teacher forcing), or undefined. */
  forcedSpikes?: readonly (ArrayLike<number> | undefined)[];
  /** State to start from (default zero), e.g. a WebAssembly pass's state(). */
  state?: SpikingConvState;
  /** Per layer, its bias [filters] for a layer with `bias: true` (SpikingConvParams' `b`). */
  bias?: readonly (ArrayLike<number> | undefined)[];
}

/**
 * Runs the CNN in tfjs and differentiates E = sum_l sum_t <dEdz_l(t), z_l(t)> (exact BPTT).
 * @param spec The CNN's resolved shape and constants.
 * @param weights Filters per layer, [kernel][kernel][inChannels][filters] flat.
 * @param frames Frames [F][B][height][width][channels] flat.
 * @param B Trials.
 * @param F Frames per trial.
 * @param options External errors, teacher forcing, start state.
 * @returns Spikes and potentials per layer ([T][B][h][w][c], float32), dE/dW per layer (zero
 *   when no layer has an error) and dE/db per layer (undefined for a layer without bias).
 */
export function spikingConvGraphGradients(
  spec: ResolvedSpikingConvSpec,
  weights: readonly ArrayLike<number>[],
  frames: ArrayLike<number>,
  B: number,
  F: number,
  options: SpikingConvGraphGradientOptions,
): {
  spikes: Float32Array[];
  v: Float32Array[];
  grads: Float64Array[];
  biasGrads: (Float64Array | undefined)[];
} {
  const T = F * spec.stepsPerFrame, L = spec.layers;
  const shapeOf = (i: number) => [T, B, L[i].height, L[i].width, L[i].channels];
  const out = {
    spikes: [] as Float32Array[],
    v: [] as Float32Array[],
    grads: [] as Float64Array[],
    biasGrads: L.map(() => undefined) as (Float64Array | undefined)[],
  };
  const withBias = L.flatMap((l, i) => l.bias ? [i] : []);
  tf.tidy(() => {
    const w = L.map((l, i) =>
      tf.tensor4d(Float32Array.from(weights[i]), [l.kernel, l.kernel, l.inChannels, l.channels])
    );
    const x = tf.tensor(Float32Array.from(frames), [F, B, spec.height, spec.width, spec.channels]);
    const b = withBias.map((i) => {
      const given = options.bias?.[i];
      if (given === undefined) {
        throw new RangeError(
          `Cannot differentiate spiking CNN graph: options.bias[${i}] must hold layer ${i}'s bias [${
            L[i].channels
          }]`,
        );
      }
      return tf.tensor1d(Float32Array.from(given));
    });
    const biasOf = (bs: readonly tf.Tensor[]) =>
      L.map((_, i) => withBias.includes(i) ? bs[withBias.indexOf(i)] : undefined);
    const forced = options.forcedSpikes?.map((f, i) =>
      f === undefined ? undefined : tf.tensor(Float32Array.from(f), shapeOf(i))
    );
    const state = options.state && {
      v: L.map((l, i) =>
        tf.tensor4d(Float32Array.from(options.state!.v[i]), [B, l.height, l.width, l.channels])
      ),
      z: L.map((l, i) =>
        tf.tensor4d(Float32Array.from(options.state!.z[i]), [B, l.height, l.width, l.channels])
      ),
    };
    const dEdz = L.map((_, i) =>
      options.dEdz[i] === undefined
        ? undefined
        : tf.tensor(Float32Array.from(options.dEdz[i]!), shapeOf(i))
    );
    if (dEdz.every((d) => d === undefined)) {
      const record = runSpikingConvGraph(spec, w, x, {
        forcedSpikes: forced,
        state,
        bias: biasOf(b),
      });
      out.spikes = record.z.map((z) => z.dataSync() as Float32Array);
      out.v = record.v.map((v) => v.dataSync() as Float32Array);
      out.grads = L.map((l) => new Float64Array(l.weights));
      out.biasGrads = L.map((l) => l.bias ? new Float64Array(l.channels) : undefined);
      return;
    }
    const grads = tf.grads((...ps: tf.Tensor[]) => {
      const record = runSpikingConvGraph(spec, ps.slice(0, L.length), x, {
        forcedSpikes: forced,
        state,
        bias: biasOf(ps.slice(L.length)),
      });
      // read inside: tf.grads disposes the forward's tensors that the loss does not return
      out.spikes = record.z.map((z) => z.dataSync() as Float32Array);
      out.v = record.v.map((v) => v.dataSync() as Float32Array);
      let loss: tf.Scalar = tf.scalar(0);
      record.z.forEach((z, i) => {
        if (dEdz[i]) loss = tf.add(loss, tf.sum(tf.mul(z, dEdz[i]!)));
      });
      return loss;
    })([...w, ...b]);
    out.grads = grads.slice(0, L.length).map((g) => Float64Array.from(g.dataSync()));
    withBias.forEach((i, j) => {
      out.biasGrads[i] = Float64Array.from(grads[L.length + j].dataSync());
    });
  });
  return out;
}
