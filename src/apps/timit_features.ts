/**
 * `deno task timit:features FILE`: the speech features of one utterance (a TIMIT SPHERE `.WAV` or
 * a RIFF WAV, PCM16 mono at 16 kHz) as one JSON object on stdout, before any z-scoring:
 * `{"rate", "frames", "mfcc": [frames][13], "mfcc_delta": [frames][13],
 * "mfcc_delta2": [frames][13], "fbank": [frames][40] (log), "energy": [frames] (log)}`,
 * as python_speech_features computes them with its defaults (docs/spec/TIMIT.md, "Features").
 * A bad file gives one line on stderr and exit code 2.
 *
 * @module
 */
import { readAudio } from "../data/audio.ts";
import { deltas, logFilterbank, mfcc, SPEECH_SAMPLE_RATE } from "../data/speech_features.ts";
import { commandMain, fileError, InputError } from "../cli/command.ts";

const USAGE = `usage: deno task timit:features{positionals}

Prints the speech features of one utterance (NIST SPHERE or RIFF WAV, PCM16 mono, 16 kHz) as
one JSON object on stdout, before any z-scoring: rate, frames, mfcc, mfcc_delta, mfcc_delta2
([frames][13]), fbank ([frames][40], log mel filter bank) and energy ([frames], log frame
energy); python_speech_features' defaults (docs/spec/TIMIT.md, "Features").`;

/** Rows of a row-major [rows][dim] array. */
function rows(data: Float64Array, dim: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < data.length; i += dim) out.push(Array.from(data.subarray(i, i + dim)));
  return out;
}

/**
 * Runs the command.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    { name: "timit:features", usage: USAGE, flags: {}, positionals: ["FILE"] },
    args,
    async ({ positionals: [file] }) => {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(file);
      } catch (e) {
        throw fileError(e, `read ${file}`);
      }
      const { rate, samples } = readAudio(bytes, file);
      if (rate !== SPEECH_SAMPLE_RATE) {
        throw new InputError(
          `${file}: sample rate ${rate} Hz; the features need ${SPEECH_SAMPLE_RATE} Hz (resample it)`,
        );
      }
      const m = mfcc(samples);
      const d = deltas(m.mfcc, { frames: m.frames, dim: 13 });
      const dd = deltas(d, { frames: m.frames, dim: 13 });
      const fb = logFilterbank(samples, { nFilters: 40 });
      console.log(JSON.stringify({
        rate,
        frames: m.frames,
        mfcc: rows(m.mfcc, 13),
        mfcc_delta: rows(d, 13),
        mfcc_delta2: rows(dd, 13),
        fbank: rows(fb.fbank, 40),
        energy: Array.from(fb.energy),
      }));
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
