// The dashboard as it ships: web/ bundled by esbuild into dist/web/ (index.html and assets/ named by content
// hash, so the API serves them as immutable). The graph page, which brings dagre, is a chunk of its own that
// loads when the page is first opened. Prints each file's gzipped size: the README states the totals.
//   node --import tsx scripts/bundle-web.ts [OUTDIR]   (default dist/web; `npm run build` runs it)
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_OUT = 'dist/web';

export interface WebBundle {
  outdir: string;
  /** Gzipped bytes of what every page load fetches (index.html, the app and its static chunks, the CSS). */
  initialGzip: number;
  /** Gzipped bytes loaded with the graph page on top of that (its chunk and dagre). */
  graphGzip: number;
}

export async function bundleWeb(outdir = path.join(ROOT, WEB_OUT)): Promise<WebBundle> {
  const { build } = await import('esbuild');
  await fs.rm(outdir, { recursive: true, force: true });
  const assets = path.join(outdir, 'assets');
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { app: 'web/main.ts', style: 'web/style.css' },
    outdir: assets,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = result.metafile.outputs;
  const named = (entry: string) => {
    const file = Object.keys(outputs).find((f) => outputs[f]!.entryPoint === entry && !f.endsWith('.map'));
    if (!file) throw new Error(`esbuild wrote no output for ${entry}`);
    return file;
  };
  const app = named('web/main.ts');
  const style = named('web/style.css');
  const template = await fs.readFile(path.join(ROOT, 'web/index.html'), 'utf8');
  const html = template.replace('%APP%', path.basename(app)).replace('%STYLE%', path.basename(style));
  await fs.writeFile(path.join(outdir, 'index.html'), html);

  const initial = staticClosure(outputs, app);
  const all = Object.keys(outputs).filter((f) => f.endsWith('.js'));
  const gz = async (file: string) => gzipSync(await fs.readFile(path.join(ROOT, file))).length;
  const initialGzip = gzipSync(html).length + (await sum([...initial, style].map(gz)));
  const graphGzip = await sum(all.filter((f) => !initial.has(f)).map(gz));
  return { outdir, initialGzip, graphGzip };
}

/** The output and every chunk it imports statically: what the browser fetches before the page runs. */
function staticClosure(outputs: Metafile['outputs'], entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of outputs[file]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(entry);
  return seen;
}

async function sum(values: Promise<number>[]): Promise<number> {
  return (await Promise.all(values)).reduce((a, b) => a + b, 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await bundleWeb(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`dashboard: ${path.relative(process.cwd(), out.outdir)}: ${kib(out.initialGzip)} gzipped at load, ${kib(out.graphGzip)} more with the graph page`);
}
