/**
 * A tiny TIMIT-layout corpus written without flite (test helper): utterances of tones whose
 * frequency depends on the phone (noise for fricatives, near-silence for h#), with .PHN, .WRD and
 * .TXT files, for two training speakers, one validation and one core-test speaker.
 */
import { writeSphere } from "../src/data/audio.ts";
import { CORE_TEST_SPEAKERS, VALIDATION_SPEAKERS } from "../src/data/timit_corpus.ts";

/** Phones used, with the tone (Hz) of each; 0: noise. */
const TONES: Record<string, number> = { aa: 220, iy: 660, uw: 1200, s: 0 };

/**
 * Writes the corpus.
 * @param dir Corpus root (created).
 * @param options Utterances per speaker (default 4) and seed (default 1).
 */
export async function writeTinyTimit(
  dir: string,
  options: { utterances?: number; seed?: number } = {},
): Promise<void> {
  let seed = options.seed ?? 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const v = VALIDATION_SPEAKERS[0], t = CORE_TEST_SPEAKERS[0];
  const speakers = [
    ["TRAIN", "DR1", "FCJF0"],
    ["TRAIN", "DR2", "MDAB1"],
    ["TEST", v.dialect, v.speaker],
    ["TEST", t.dialect, t.speaker],
  ];
  const names = Object.keys(TONES);
  for (const [folder, dr, speaker] of speakers) {
    const path = `${dir}/${folder}/${dr}/${speaker}`;
    await Deno.mkdir(path, { recursive: true });
    for (let u = 0; u < (options.utterances ?? 4); u++) {
      const phones = [
        "h#",
        ...Array.from({ length: 3 }, () => names[Math.floor(rand() * 4)]),
        "h#",
      ];
      const durations = phones.map(() => 800 + 160 * Math.floor(rand() * 6));
      const n = durations.reduce((a, d) => a + d, 0);
      const bounds = [0];
      for (const d of durations) bounds.push(bounds.at(-1)! + d);
      const samples = new Int16Array(n);
      phones.forEach((p, i) => {
        for (let k = bounds[i]; k < bounds[i + 1]; k++) {
          const hz = TONES[p];
          samples[k] = p === "h#"
            ? Math.round(40 * (rand() - 0.5))
            : hz === 0
            ? Math.round(6000 * (rand() - 0.5))
            : Math.round(6000 * Math.sin((k * hz * 2 * Math.PI) / 16000));
        }
      });
      const id = `SX${u + 1}`;
      await Deno.writeFile(`${path}/${id}.WAV`, writeSphere(samples, 16000));
      await Deno.writeTextFile(
        `${path}/${id}.PHN`,
        phones.map((p, i) => `${bounds[i]} ${bounds[i + 1]} ${p}\n`).join(""),
      );
      await Deno.writeTextFile(`${path}/${id}.WRD`, `${bounds[1]} ${bounds[4]} tone\n`);
      await Deno.writeTextFile(`${path}/${id}.TXT`, `0 ${n} Tone.\n`);
    }
  }
}
