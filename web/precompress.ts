/**
 * A Vite step that writes `.br` and `.gz` beside every text asset of the build, once, at the
 * highest levels: the service then sends them as they are (@fastify/static `preCompressed`)
 * instead of compressing on each request, and a browser on a slow line gets a quarter of the
 * bytes. node:zlib does both, so no compression package is needed.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'vite';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Text that compresses; images and fonts of these kinds would not, and there are none yet. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|map)$/;
/** Below this the headers cost more than the bytes saved. */
const MIN_BYTES = 1024;

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** Compresses every compressible file under `dir`; returns what it wrote, for the build log. */
export async function precompressDir(
  dir: string,
): Promise<{ file: string; raw: number; br: number; gz: number }[]> {
  const written = [];
  for await (const file of files(dir)) {
    if (!COMPRESSIBLE.test(file) || (await stat(file)).size < MIN_BYTES) continue;
    const body = await readFile(file);
    const [b, g] = await Promise.all([
      brotli(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      }),
      gz(body, { level: constants.Z_BEST_COMPRESSION }),
    ]);
    // A compressed copy larger than the file would only waste the negotiation.
    if (b.length < body.length) await writeFile(`${file}.br`, b);
    if (g.length < body.length) await writeFile(`${file}.gz`, g);
    written.push({ file, raw: body.length, br: b.length, gz: g.length });
  }
  return written;
}

export function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'hostvault-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    async closeBundle() {
      const written = await precompressDir(outDir);
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      for (const w of written)
        this.info(
          `${w.file.slice(outDir.length + 1)}: ${kib(w.raw)}, br ${kib(w.br)}, gzip ${kib(w.gz)}`,
        );
    },
  };
}
