// deno-lint-ignore-file no-import-prefix -- full npm: specifiers keep this module importable from a URL, where deno.json import maps do not apply.
/**
 * Figures: Vega-Lite specs rendered to SVG by Vega (no browser, no canvas) and rasterised to PNG
 * by resvg (WebAssembly). resvg is handed the DejaVu Sans font from its npm package, so text
 * renders in the PNGs too, offline. Shared by every experiment.
 *
 * @module
 */
import * as vega from "npm:vega@6.4.0";
import * as vegaLite from "npm:vega-lite@6.5.0";
import { initWasm as initResvg, Resvg } from "npm:@resvg/resvg-wasm@2.6.2";
import fontPackage from "npm:dejavu-fonts-ttf@2.37.3/package.json" with { type: "json" };

/** A Vega-Lite specification. */
export type FigureSpec = vegaLite.TopLevelSpec;

/** The font every figure uses (shipped with the library through its npm package). */
export const FIGURE_FONT = "DejaVu Sans";

let resvgReady: Promise<Uint8Array[]> | undefined;

/** Loads resvg's WebAssembly and the fonts once; concurrent calls share the promise. */
function loadRasteriser(): Promise<Uint8Array[]> {
  resvgReady ??= (async () => {
    const wasm = await Deno.readFile(
      new URL(import.meta.resolve("npm:@resvg/resvg-wasm@2.6.2/index_bg.wasm")),
    );
    await initResvg(wasm);
    void fontPackage; // keeps the font package in the module graph, so its files resolve locally
    const fonts = [];
    for (const file of ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]) {
      fonts.push(
        await Deno.readFile(
          new URL(import.meta.resolve(`npm:dejavu-fonts-ttf@2.37.3/ttf/${file}`)),
        ),
      );
    }
    return fonts;
  })();
  return resvgReady;
}

/**
 * Renders a Vega-Lite spec to SVG text.
 * @param spec The figure.
 * @returns Standalone SVG.
 */
export async function renderSvg(spec: FigureSpec): Promise<string> {
  const withFont = {
    ...spec,
    config: { font: FIGURE_FONT, ...(spec as { config?: object }).config },
  } as FigureSpec;
  const compiled = vegaLite.compile(withFont).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A rasterised image. */
export interface Raster {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** RGBA bytes, row-major. */
  pixels: Uint8Array;
  /** The same image as PNG. */
  png: Uint8Array;
}

/**
 * Rasterises SVG with the bundled fonts.
 * @param svg SVG text.
 * @param options `scale` (default 2, for sharp text).
 * @returns The image as pixels and PNG.
 */
export async function rasterise(svg: string, options: { scale?: number } = {}): Promise<Raster> {
  const fonts = await loadRasteriser();
  const resvg = new Resvg(svg, {
    font: {
      fontBuffers: fonts,
      defaultFontFamily: FIGURE_FONT,
      sansSerifFamily: FIGURE_FONT,
      loadSystemFonts: false,
    },
    fitTo: { mode: "zoom", value: options.scale ?? 2 },
    background: "white",
  });
  try {
    const image = resvg.render();
    try {
      return {
        width: image.width,
        height: image.height,
        pixels: image.pixels.slice(),
        png: image.asPng(),
      };
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/**
 * Rasterises SVG to PNG.
 * @param svg SVG text.
 * @param options `scale` (default 2).
 * @returns PNG bytes.
 */
export async function svgToPng(svg: string, options: { scale?: number } = {}): Promise<Uint8Array> {
  return (await rasterise(svg, options)).png;
}

/**
 * Writes a figure as `<dir>/<name>.svg` and `<dir>/<name>.png`.
 * @param spec The figure.
 * @param target Output folder (created if needed) and base name.
 * @returns The two paths.
 */
export async function saveFigure(
  spec: FigureSpec,
  target: { dir: string; name: string },
): Promise<{ svg: string; png: string }> {
  await Deno.mkdir(target.dir, { recursive: true });
  const svg = await renderSvg(spec);
  const svgPath = `${target.dir}/${target.name}.svg`;
  const pngPath = `${target.dir}/${target.name}.png`;
  await Deno.writeTextFile(svgPath, svg);
  await Deno.writeFile(pngPath, await svgToPng(svg));
  return { svg: svgPath, png: pngPath };
}
