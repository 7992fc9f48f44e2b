// The LSTM cell over a sequence (the Fig. 2 baseline), forward and backward. Arrays are time-major
// [T][B][...]; the four gates of a step are packed per row as [i | f | g | o], H values each:
//   i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o),
//   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t),  with a = x_t W_x + b + h_{t-1} W_h and c_0 = h_0 = 0.
// The backward pass gives dE/da for every step. With `full` set it is BPTT (the error also flows
// through h_{t-1} into the previous step's gates); with `full` clear the recurrent hidden state is
// treated as an input (stop-gradient on h_{t-1}): what is left is the error through the cell state,
// whose only recurrence is c_t = f c_{t-1} + ..., i.e. e-prop for LSTM, with the eligibility traces
// of the cell (eps_t = f_t eps_{t-1} + dc_t/dW) summed against the learning signal dE/dh_t in
// reverse order.
import { at } from "./simd";
import { gemmNNDense } from "./linalg";

@inline function expT<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>Mathf.exp(<f32>x);
  return <T>Math.exp(<f64>x);
}

@inline function tanhT<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>Mathf.tanh(<f32>x);
  return <T>Math.tanh(<f64>x);
}

@inline function sigmoid<T>(x: T): T {
  return <T>1 / (<T>1 + expT<T>(-x));
}

/**
 * Runs the cell over `steps` steps. `gates` holds the input part of each step's pre-activations
 * (x_t W_x + b) on entry and the gate activations [i|f|g|o] on return; c and h [T][B][H] are written.
 */
export function lstmForward<T>(steps: i32, B: i32, H: i32, wRec: usize, gates: usize, c: usize, h: usize): void {
  const G = 4 * H;
  for (let t = 0; t < steps; t++) {
    const g = at<T>(gates, t * B * G);
    if (t > 0) gemmNNDense<T>(B, H, G, at<T>(h, (t - 1) * B * H), wRec, g);
    for (let b = 0; b < B; b++) {
      const row = at<T>(g, b * G);
      const cRow = at<T>(c, (t * B + b) * H);
      const hRow = at<T>(h, (t * B + b) * H);
      const cPrev = at<T>(c, ((t - 1) * B + b) * H);
      for (let j = 0; j < H; j++) {
        const ig = sigmoid<T>(load<T>(at<T>(row, j)));
        const fg = sigmoid<T>(load<T>(at<T>(row, H + j)));
        const gg = tanhT<T>(load<T>(at<T>(row, 2 * H + j)));
        const og = sigmoid<T>(load<T>(at<T>(row, 3 * H + j)));
        store<T>(at<T>(row, j), ig);
        store<T>(at<T>(row, H + j), fg);
        store<T>(at<T>(row, 2 * H + j), gg);
        store<T>(at<T>(row, 3 * H + j), og);
        const cp: T = t > 0 ? load<T>(at<T>(cPrev, j)) : <T>0;
        const cv = fg * cp + ig * gg;
        store<T>(at<T>(cRow, j), cv);
        store<T>(at<T>(hRow, j), og * tanhT<T>(cv));
      }
    }
  }
}

/**
 * dE/da [T][B][4H] into `dGates` from the activations and cell states of {@linkcode lstmForward}
 * and the external dE/dh [T][B][H] (`dh`, e.g. from a readout). `wRecT` is W_h transposed
 * [4H][H] (read only when `full` is set). Scratch: `dcNext` and `dhRec`, [B][H] each, zeroed on
 * entry.
 */
export function lstmBackward<T>(
  steps: i32, B: i32, H: i32, wRecT: usize, gates: usize, c: usize, dh: usize, dGates: usize,
  dcNext: usize, dhRec: usize, full: i32,
): void {
  const G = 4 * H;
  for (let t = steps - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const row = at<T>(gates, (t * B + b) * G);
      const dRow = at<T>(dGates, (t * B + b) * G);
      const cRow = at<T>(c, (t * B + b) * H);
      const cPrev = at<T>(c, ((t - 1) * B + b) * H);
      const dhRow = at<T>(dh, (t * B + b) * H);
      const dcRow = at<T>(dcNext, b * H);
      const dhrRow = at<T>(dhRec, b * H);
      for (let j = 0; j < H; j++) {
        let dhv = load<T>(at<T>(dhRow, j));
        if (full != 0) dhv += load<T>(at<T>(dhrRow, j));
        const ig = load<T>(at<T>(row, j));
        const fg = load<T>(at<T>(row, H + j));
        const gg = load<T>(at<T>(row, 2 * H + j));
        const og = load<T>(at<T>(row, 3 * H + j));
        const tc = tanhT<T>(load<T>(at<T>(cRow, j)));
        const cp: T = t > 0 ? load<T>(at<T>(cPrev, j)) : <T>0;
        const dc = load<T>(at<T>(dcRow, j)) + dhv * og * (<T>1 - tc * tc);
        store<T>(at<T>(dRow, j), dc * gg * ig * (<T>1 - ig));
        store<T>(at<T>(dRow, H + j), dc * cp * fg * (<T>1 - fg));
        store<T>(at<T>(dRow, 2 * H + j), dc * ig * (<T>1 - gg * gg));
        store<T>(at<T>(dRow, 3 * H + j), dhv * tc * og * (<T>1 - og));
        store<T>(at<T>(dcRow, j), dc * fg);
      }
    }
    if (full != 0 && t > 0) {
      memory.fill(dhRec, 0, <usize>(B * H) << alignof<T>());
      gemmNNDense<T>(B, G, H, at<T>(dGates, t * B * G), wRecT, dhRec);
    }
  }
}
