// Exports of the e-prop core, each kernel in float32 (`_f32`, the fast path) and float64
// (`_f64`, for verification). All pointers are byte addresses into the exported memory; the
// TypeScript side (src/engine/wasm/) validates sizes once and owns the memory layout.
import { addColumnSums, gemmNN, gemmNNDense, gemmNNEvent, gemmNNEventRows, gemmTN, gemmTNDense, gemmTNEvent, gemmTNEventStrided, traceFilter, transpose } from "./linalg";
import { lsnnForwardFrames, lsnnStep } from "./neuron";
import { addRowVector, copyColumns, poolFrames, reverseWithin, spreadFrames, toTimeMajor } from "./sequence";
import { learningSignal, projectError, readoutForward, readoutStep } from "./readout";
import { bpttBackward, lsnnSpanBackward } from "./bptt";
import { onlineTraceStep, traceAdjoint } from "./eprop";
import { DENSE_ABOVE } from "./linalg";
import { lstmBackward, lstmForward } from "./lstm";
import { countNonFinite, countNonZero } from "./simd";
import { rewardTraceFrame, rewardTraceFrames } from "./reward";
import { convForward, convForwardDense, convForwardEvent, convInputGrad, convWeightGrad, convWeightGradDense, convWeightGradEvent, lifBackward, lifForward } from "./conv";

/** Density above which the dense kernels are used. */
export function denseAbove(): f64 {
  return DENSE_ABOVE;
}

export function lsnnStep_f32(B: i32, nIn: i32, n: i32, cst: usize, x: usize, wIn: usize, wRec: usize, beta: usize, zPrev: usize, v: usize, a: usize, r: usize, cur: usize, zOut: usize, psiOut: usize, vOut: usize, thrOut: usize): void {
  lsnnStep<f32>(B, nIn, n, cst, x, wIn, wRec, beta, zPrev, v, a, r, cur, zOut, psiOut, vOut, thrOut);
}
export function lsnnStep_f64(B: i32, nIn: i32, n: i32, cst: usize, x: usize, wIn: usize, wRec: usize, beta: usize, zPrev: usize, v: usize, a: usize, r: usize, cur: usize, zOut: usize, psiOut: usize, vOut: usize, thrOut: usize): void {
  lsnnStep<f64>(B, nIn, n, cst, x, wIn, wRec, beta, zPrev, v, a, r, cur, zOut, psiOut, vOut, thrOut);
}
export function readoutStep_f32(B: i32, n: i32, nOut: i32, cst: usize, z: usize, zbarPrev: usize, zbar: usize, y: usize, wOutT: usize, bias: usize): void {
  readoutStep<f32>(B, n, nOut, cst, z, zbarPrev, zbar, y, wOutT, bias);
}
export function readoutStep_f64(B: i32, n: i32, nOut: i32, cst: usize, z: usize, zbarPrev: usize, zbar: usize, y: usize, wOutT: usize, bias: usize): void {
  readoutStep<f64>(B, n, nOut, cst, z, zbarPrev, zbar, y, wOutT, bias);
}
export function readoutForward_f32(steps: i32, B: i32, n: i32, nOut: i32, cst: usize, z: usize, zbar: usize, y: usize, wOutT: usize, bias: usize): void {
  readoutForward<f32>(steps, B, n, nOut, cst, z, zbar, y, wOutT, bias);
}
export function readoutForward_f64(steps: i32, B: i32, n: i32, nOut: i32, cst: usize, z: usize, zbar: usize, y: usize, wOutT: usize, bias: usize): void {
  readoutForward<f64>(steps, B, n, nOut, cst, z, zbar, y, wOutT, bias);
}
export function projectError_f32(B: i32, n: i32, nOut: i32, dEdy: usize, fbT: usize, out: usize): void {
  projectError<f32>(B, n, nOut, dEdy, fbT, out);
}
export function projectError_f64(B: i32, n: i32, nOut: i32, dEdy: usize, fbT: usize, out: usize): void {
  projectError<f64>(B, n, nOut, dEdy, fbT, out);
}
export function learningSignal_f32(steps: i32, B: i32, n: i32, nOut: i32, cst: usize, dEdy: usize, fbT: usize, reg: usize, regStride: i32, out: usize, acc: usize): void {
  learningSignal<f32>(steps, B, n, nOut, cst, dEdy, fbT, reg, regStride, out, acc);
}
export function learningSignal_f64(steps: i32, B: i32, n: i32, nOut: i32, cst: usize, dEdy: usize, fbT: usize, reg: usize, regStride: i32, out: usize, acc: usize): void {
  learningSignal<f64>(steps, B, n, nOut, cst, dEdy, fbT, reg, regStride, out, acc);
}
export function bpttBackward_f32(steps: i32, B: i32, n: i32, cst: usize, G: usize, psi: usize, wRecT: usize, beta: usize, gv: usize, ltrue: usize, ga: usize, rec: usize): void {
  bpttBackward<f32>(steps, B, n, cst, G, psi, wRecT, beta, gv, ltrue, ga, rec);
}
export function bpttBackward_f64(steps: i32, B: i32, n: i32, cst: usize, G: usize, psi: usize, wRecT: usize, beta: usize, gv: usize, ltrue: usize, ga: usize, rec: usize): void {
  bpttBackward<f64>(steps, B, n, cst, G, psi, wRecT, beta, gv, ltrue, ga, rec);
}
export function traceAdjoint_f32(steps: i32, B: i32, n: i32, cst: usize, G: usize, psi: usize, beta: usize, Mt: usize, la: usize): void {
  traceAdjoint<f32>(steps, B, n, cst, G, psi, beta, Mt, la);
}
export function traceAdjoint_f64(steps: i32, B: i32, n: i32, cst: usize, G: usize, psi: usize, beta: usize, Mt: usize, la: usize): void {
  traceAdjoint<f64>(steps, B, n, cst, G, psi, beta, Mt, la);
}
export function onlineTraceStep_f32(B: i32, nIn: i32, n: i32, cst: usize, x: usize, zPrev: usize, psiPrev: usize, psi: usize, L: usize, reg: usize, beta: usize, epsV: usize, epsA: usize, ebar: usize, g: usize, S: usize, scratch: usize): void {
  onlineTraceStep<f32>(B, nIn, n, cst, x, zPrev, psiPrev, psi, L, reg, beta, epsV, epsA, ebar, g, S, scratch);
}
export function onlineTraceStep_f64(B: i32, nIn: i32, n: i32, cst: usize, x: usize, zPrev: usize, psiPrev: usize, psi: usize, L: usize, reg: usize, beta: usize, epsV: usize, epsA: usize, ebar: usize, g: usize, S: usize, scratch: usize): void {
  onlineTraceStep<f64>(B, nIn, n, cst, x, zPrev, psiPrev, psi, L, reg, beta, epsV, epsA, ebar, g, S, scratch);
}
export function gemmNN_f32(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize): void {
  gemmNN<f32>(M, K, N, A, B, C);
}
export function gemmNN_f64(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize): void {
  gemmNN<f64>(M, K, N, A, B, C);
}
export function gemmTN_f32(R: i32, K: i32, N: i32, P: usize, D: usize, G: usize, scale: f32): void {
  gemmTN<f32>(R, K, N, P, D, G, scale);
}
export function gemmTN_f64(R: i32, K: i32, N: i32, P: usize, D: usize, G: usize, scale: f64): void {
  gemmTN<f64>(R, K, N, P, D, G, scale);
}
export function gemmNNEvent_f32(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize): void {
  gemmNNEvent<f32>(M, K, N, A, B, C);
}
export function gemmNNEventRows_f32(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize, idx: usize): void {
  gemmNNEventRows<f32>(M, K, N, A, B, C, idx);
}
export function gemmNNDense_f32(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize): void {
  gemmNNDense<f32>(M, K, N, A, B, C);
}
export function gemmTNEvent_f32(R: i32, K: i32, N: i32, P: usize, D: usize, G: usize, scale: f32): void {
  gemmTNEvent<f32>(R, K, N, P, D, G, scale);
}
export function gemmTNDense_f32(R: i32, K: i32, N: i32, P: usize, D: usize, G: usize, scale: f32): void {
  gemmTNDense<f32>(R, K, N, P, D, G, scale);
}
export function gemmNNEvent_f64(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize): void {
  gemmNNEvent<f64>(M, K, N, A, B, C);
}
export function gemmNNEventRows_f64(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize, idx: usize): void {
  gemmNNEventRows<f64>(M, K, N, A, B, C, idx);
}
export function gemmNNDense_f64(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize): void {
  gemmNNDense<f64>(M, K, N, A, B, C);
}
export function gemmTNEvent_f64(R: i32, K: i32, N: i32, P: usize, D: usize, G: usize, scale: f64): void {
  gemmTNEvent<f64>(R, K, N, P, D, G, scale);
}
export function gemmTNDense_f64(R: i32, K: i32, N: i32, P: usize, D: usize, G: usize, scale: f64): void {
  gemmTNDense<f64>(R, K, N, P, D, G, scale);
}
export function countNonFinite_f32(x: usize, n: i32): i32 {
  return countNonFinite<f32>(x, n);
}
export function countNonFinite_f64(x: usize, n: i32): i32 {
  return countNonFinite<f64>(x, n);
}
export function countNonZero_f32(x: usize, n: i32): i32 {
  return countNonZero<f32>(x, n);
}
export function countNonZero_f64(x: usize, n: i32): i32 {
  return countNonZero<f64>(x, n);
}
export function transpose_f32(rows: i32, cols: i32, src: usize, dst: usize): void {
  transpose<f32>(rows, cols, src, dst);
}
export function transpose_f64(rows: i32, cols: i32, src: usize, dst: usize): void {
  transpose<f64>(rows, cols, src, dst);
}
export function addColumnSums_f32(rows: i32, cols: i32, src: usize, dst: usize): void {
  addColumnSums<f32>(rows, cols, src, dst);
}
export function addColumnSums_f64(rows: i32, cols: i32, src: usize, dst: usize): void {
  addColumnSums<f64>(rows, cols, src, dst);
}

export function lsnnForwardFrames_f32(steps: i32, repeat: i32, B: i32, nIn: i32, n: i32, cst: usize, x: usize, wIn: usize, I: usize, wRec: usize, beta: usize, lens: usize, zInit: usize, v: usize, a: usize, r: usize, cur: usize, zRec: usize, psiRec: usize, vRec: usize, thrRec: usize): void {
  lsnnForwardFrames<f32>(steps, repeat, B, nIn, n, cst, x, wIn, I, wRec, beta, lens, zInit, v, a, r, cur, zRec, psiRec, vRec, thrRec);
}
export function reverseWithin_f32(steps: i32, B: i32, n: i32, lens: usize, src: usize, dst: usize): void {
  reverseWithin<f32>(steps, B, n, lens, src, dst);
}
export function poolFrames_f32(frames: i32, repeat: i32, B: i32, n: i32, src: usize, dst: usize, scale: f32): void {
  poolFrames<f32>(frames, repeat, B, n, src, dst, scale);
}
export function spreadFrames_f32(frames: i32, repeat: i32, B: i32, n: i32, src: usize, dst: usize, scale: f32): void {
  spreadFrames<f32>(frames, repeat, B, n, src, dst, scale);
}
export function copyColumns_f32(rows: i32, count: i32, nSrc: i32, src: usize, srcOff: i32, nDst: i32, dst: usize, dstOff: i32, accumulate: i32): void {
  copyColumns<f32>(rows, count, nSrc, src, srcOff, nDst, dst, dstOff, accumulate);
}
export function toTimeMajor_f32(B: i32, F: i32, n: i32, lens: usize, src: usize, dst: usize): void {
  toTimeMajor<f32>(B, F, n, lens, src, dst);
}
export function addRowVector_f32(steps: i32, B: i32, n: i32, vec: usize, stride: i32, dst: usize): void {
  addRowVector<f32>(steps, B, n, vec, stride, dst);
}
export function lsnnForwardFrames_f64(steps: i32, repeat: i32, B: i32, nIn: i32, n: i32, cst: usize, x: usize, wIn: usize, I: usize, wRec: usize, beta: usize, lens: usize, zInit: usize, v: usize, a: usize, r: usize, cur: usize, zRec: usize, psiRec: usize, vRec: usize, thrRec: usize): void {
  lsnnForwardFrames<f64>(steps, repeat, B, nIn, n, cst, x, wIn, I, wRec, beta, lens, zInit, v, a, r, cur, zRec, psiRec, vRec, thrRec);
}
export function reverseWithin_f64(steps: i32, B: i32, n: i32, lens: usize, src: usize, dst: usize): void {
  reverseWithin<f64>(steps, B, n, lens, src, dst);
}
export function poolFrames_f64(frames: i32, repeat: i32, B: i32, n: i32, src: usize, dst: usize, scale: f64): void {
  poolFrames<f64>(frames, repeat, B, n, src, dst, scale);
}
export function spreadFrames_f64(frames: i32, repeat: i32, B: i32, n: i32, src: usize, dst: usize, scale: f64): void {
  spreadFrames<f64>(frames, repeat, B, n, src, dst, scale);
}
export function copyColumns_f64(rows: i32, count: i32, nSrc: i32, src: usize, srcOff: i32, nDst: i32, dst: usize, dstOff: i32, accumulate: i32): void {
  copyColumns<f64>(rows, count, nSrc, src, srcOff, nDst, dst, dstOff, accumulate);
}
export function toTimeMajor_f64(B: i32, F: i32, n: i32, lens: usize, src: usize, dst: usize): void {
  toTimeMajor<f64>(B, F, n, lens, src, dst);
}
export function addRowVector_f64(steps: i32, B: i32, n: i32, vec: usize, stride: i32, dst: usize): void {
  addRowVector<f64>(steps, B, n, vec, stride, dst);
}

export function lstmForward_f32(steps: i32, B: i32, H: i32, wRec: usize, gates: usize, c: usize, h: usize): void {
  lstmForward<f32>(steps, B, H, wRec, gates, c, h);
}
export function lstmForward_f64(steps: i32, B: i32, H: i32, wRec: usize, gates: usize, c: usize, h: usize): void {
  lstmForward<f64>(steps, B, H, wRec, gates, c, h);
}
export function lstmBackward_f32(steps: i32, B: i32, H: i32, wRecT: usize, gates: usize, c: usize, dh: usize, dGates: usize, dcNext: usize, dhRec: usize, full: i32): void {
  lstmBackward<f32>(steps, B, H, wRecT, gates, c, dh, dGates, dcNext, dhRec, full);
}
export function lstmBackward_f64(steps: i32, B: i32, H: i32, wRecT: usize, gates: usize, c: usize, dh: usize, dGates: usize, dcNext: usize, dhRec: usize, full: i32): void {
  lstmBackward<f64>(steps, B, H, wRecT, gates, c, dh, dGates, dcNext, dhRec, full);
}

// Spiking convolutional layers (conv.ts): the Atari front end.
export function convForward_f32(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, Wt: usize, Y: usize): void {
  convForward<f32>(B, H, W, Cin, kh, kw, stride, Cout, X, Wt, Y);
}
export function convForwardDense_f32(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, Wt: usize, Y: usize): void {
  convForwardDense<f32>(B, H, W, Cin, kh, kw, stride, Cout, X, Wt, Y);
}
export function convForwardEvent_f32(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, Wt: usize, Y: usize): void {
  convForwardEvent<f32>(B, H, W, Cin, kh, kw, stride, Cout, X, Wt, Y);
}
export function convWeightGrad_f32(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, D: usize, G: usize, scale: f32): void {
  convWeightGrad<f32>(B, H, W, Cin, kh, kw, stride, Cout, X, D, G, scale);
}
export function convWeightGradDense_f32(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, D: usize, G: usize, scale: f32): void {
  convWeightGradDense<f32>(B, H, W, Cin, kh, kw, stride, Cout, X, D, G, scale);
}
export function convWeightGradEvent_f32(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, D: usize, G: usize, scale: f32): void {
  convWeightGradEvent<f32>(B, H, W, Cin, kh, kw, stride, Cout, X, D, G, scale);
}
export function convInputGrad_f32(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, D: usize, WtT: usize, dX: usize, scale: f32): void {
  convInputGrad<f32>(B, H, W, Cin, kh, kw, stride, Cout, D, WtT, dX, scale);
}
export function lifForward_f32(steps: i32, repeat: i32, n: i32, cst: usize, I: usize, zInit: usize, v: usize, zRec: usize, psiRec: usize, vRec: usize): void {
  lifForward<f32>(steps, repeat, n, cst, I, zInit, v, zRec, psiRec, vRec);
}
export function lifBackward_f32(steps: i32, n: i32, cst: usize, psi: usize, gz: usize, gv: usize, pg: usize, reset: i32, gvExt: usize): void {
  lifBackward<f32>(steps, n, cst, psi, gz, gv, pg, reset, gvExt);
}
export function convForward_f64(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, Wt: usize, Y: usize): void {
  convForward<f64>(B, H, W, Cin, kh, kw, stride, Cout, X, Wt, Y);
}
export function convForwardDense_f64(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, Wt: usize, Y: usize): void {
  convForwardDense<f64>(B, H, W, Cin, kh, kw, stride, Cout, X, Wt, Y);
}
export function convForwardEvent_f64(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, Wt: usize, Y: usize): void {
  convForwardEvent<f64>(B, H, W, Cin, kh, kw, stride, Cout, X, Wt, Y);
}
export function convWeightGrad_f64(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, D: usize, G: usize, scale: f64): void {
  convWeightGrad<f64>(B, H, W, Cin, kh, kw, stride, Cout, X, D, G, scale);
}
export function convWeightGradDense_f64(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, D: usize, G: usize, scale: f64): void {
  convWeightGradDense<f64>(B, H, W, Cin, kh, kw, stride, Cout, X, D, G, scale);
}
export function convWeightGradEvent_f64(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, X: usize, D: usize, G: usize, scale: f64): void {
  convWeightGradEvent<f64>(B, H, W, Cin, kh, kw, stride, Cout, X, D, G, scale);
}
export function convInputGrad_f64(B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32, D: usize, WtT: usize, dX: usize, scale: f64): void {
  convInputGrad<f64>(B, H, W, Cin, kh, kw, stride, Cout, D, WtT, dX, scale);
}
export function lifForward_f64(steps: i32, repeat: i32, n: i32, cst: usize, I: usize, zInit: usize, v: usize, zRec: usize, psiRec: usize, vRec: usize): void {
  lifForward<f64>(steps, repeat, n, cst, I, zInit, v, zRec, psiRec, vRec);
}
export function lifBackward_f64(steps: i32, n: i32, cst: usize, psi: usize, gz: usize, gv: usize, pg: usize, reset: i32, gvExt: usize): void {
  lifBackward<f64>(steps, n, cst, psi, gz, gv, pg, reset, gvExt);
}

/** First free byte after the module's static data: the TypeScript arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}

// Reward-based e-prop, online form (reward.ts): one agent step of one episode's synapse traces.
export function rewardTraceFrame_f32(nPre: i32, n: i32, nLif: i32, S: i32, recurrent: i32, ev: usize, evOld: usize, psi: usize, psiPrev: usize, L: usize, LH: usize, volt: i32, cv: usize, ca: usize, delta: f64, kappa: f64, c: f64, rho: f64, beta: f64, gamma: f64, ebar: usize, F: usize, epsA: usize, Ssum: usize, g: usize): void {
  rewardTraceFrame<f32>(nPre, n, nLif, S, recurrent, ev, evOld, psi, psiPrev, L, LH, volt, cv, ca, delta, kappa, c, rho, beta, gamma, ebar, F, epsA, Ssum, g);
}
export function rewardTraceFrame_f64(nPre: i32, n: i32, nLif: i32, S: i32, recurrent: i32, ev: usize, evOld: usize, psi: usize, psiPrev: usize, L: usize, LH: usize, volt: i32, cv: usize, ca: usize, delta: f64, kappa: f64, c: f64, rho: f64, beta: f64, gamma: f64, ebar: usize, F: usize, epsA: usize, Ssum: usize, g: usize): void {
  rewardTraceFrame<f64>(nPre, n, nLif, S, recurrent, ev, evOld, psi, psiPrev, L, LH, volt, cv, ca, delta, kappa, c, rho, beta, gamma, ebar, F, epsA, Ssum, g);
}
export function lsnnSpanBackward_f32(steps: i32, B: i32, n: i32, cst: usize, mode: i32, G: usize, ev: usize, ea: usize, cut: usize, psi: usize, wRecT: usize, beta: usize, M: usize, D: usize, la: usize, next: usize, rec: usize): void {
  lsnnSpanBackward<f32>(steps, B, n, cst, mode, G, ev, ea, cut, psi, wRecT, beta, M, D, la, next, rec);
}
export function lsnnSpanBackward_f64(steps: i32, B: i32, n: i32, cst: usize, mode: i32, G: usize, ev: usize, ea: usize, cut: usize, psi: usize, wRecT: usize, beta: usize, M: usize, D: usize, la: usize, next: usize, rec: usize): void {
  lsnnSpanBackward<f64>(steps, B, n, cst, mode, G, ev, ea, cut, psi, wRecT, beta, M, D, la, next, rec);
}
export function gemmTNEventStrided_f32(R: i32, K: i32, N: i32, P: usize, D: usize, ldD: i32, G: usize, scale: f32): void {
  gemmTNEventStrided<f32>(R, K, N, P, D, ldD, G, scale);
}
export function traceFilter_f32(steps: i32, K: i32, alpha: f64, P: usize, cut: usize, eps: usize): void {
  traceFilter<f32>(steps, K, alpha, P, cut, eps);
}
export function gemmTNEventStrided_f64(R: i32, K: i32, N: i32, P: usize, D: usize, ldD: i32, G: usize, scale: f64): void {
  gemmTNEventStrided<f64>(R, K, N, P, D, ldD, G, scale);
}
export function traceFilter_f64(steps: i32, K: i32, alpha: f64, P: usize, cut: usize, eps: usize): void {
  traceFilter<f64>(steps, K, alpha, P, cut, eps);
}
export function rewardTraceFrames_f32(Q: i32, nPre: i32, n: i32, nLif: i32, S: i32, recurrent: i32, table: usize, deltas: usize, volt: i32, kappa: f64, c: f64, rho: f64, beta: f64, gamma: f64, Ssum: usize, g: usize): void {
  rewardTraceFrames<f32>(Q, nPre, n, nLif, S, recurrent, table, deltas, volt, kappa, c, rho, beta, gamma, Ssum, g);
}
export function rewardTraceFrames_f64(Q: i32, nPre: i32, n: i32, nLif: i32, S: i32, recurrent: i32, table: usize, deltas: usize, volt: i32, kappa: f64, c: f64, rho: f64, beta: f64, gamma: f64, Ssum: usize, g: usize): void {
  rewardTraceFrames<f64>(Q, nPre, n, nLif, S, recurrent, table, deltas, volt, kappa, c, rho, beta, gamma, Ssum, g);
}
