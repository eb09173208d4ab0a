// Bundles what the test suite runs into plain JavaScript, so node starts it without tsx, and
// prints the folder of the command line's bundle:
//  - the command line (src/cli.ts) and the tests' child-process fixtures, one file each in
//    dist/test-cli/, for the child processes the tests start (test/support/cli.ts);
//  - with --tests FILE..., each of those test files as dist/test-bundles/FILE with `.mjs` for
//    `.ts`, sharing chunks in dist/test-bundles/chunks/ (what scripts/test-restic.sh and its
//    siblings run: scripts/test-bundles.sh).
// Through tsx a start transpiled and resolved some 300 sources and 400 files of node_modules
// again, about three times the processor time of a start of a bundle (1.0 against 0.35 s here);
// the suite starts the command line a few hundred times and its test files some 200 times.
// Built from the sources under test when the suite starts, so never older than them. No source
// map: node's reading of it cost as much as the rest of a start; the bundles are not minified,
// and a comment above each part names its source file.
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What test/support/cli.ts runs from dist/test-cli/ when it is there. */
const CHILDREN = [
  'src/cli.ts',
  'test/support/restore-child.fixture.ts',
  'test/support/planner-child.fixture.ts',
];

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Each source keeps its own import.meta.url, dirname and filename in a bundle: tests and their
 * helpers find fixtures, scripts and the sources relative to themselves, and src/api/web.ts finds
 * dist/web so, wherever the bundle is.
 */
const ownLocation: Plugin = {
  name: 'own-location',
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return {
        contents: text
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
          .replaceAll('import.meta.filename', JSON.stringify(args.path)),
        loader: args.path.endsWith('x') ? 'tsx' : 'ts',
      };
    });
  },
};

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  plugins: [ownLocation],
  // Packages too, but those with native parts, or that read or start files of their own
  // (pino's transports, the browser driver, tsx and esbuild for the tests that still use them).
  external: [
    'better-sqlite3',
    'pg-native',
    'pino',
    'thread-stream',
    'playwright-core',
    'axe-core',
    'tsx',
    'esbuild',
  ],
  // CommonJS packages call require() for node's own modules; an ES module has none of its own.
  banner: {
    js: "import { createRequire as hostvaultRequire } from 'node:module'; const require = hostvaultRequire(import.meta.url);",
  },
  logLevel: 'warning',
};

/** Written beside, then renamed into place: a run that starts meanwhile never reads half a file. */
async function put(files: { path: string; contents: Uint8Array }[] = []): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(`${file.path}.${process.pid}`, file.contents);
    await rename(`${file.path}.${process.pid}`, file.path);
  }
}

const outdir = `${root}dist/test-cli`;
for (const entry of CHILDREN) {
  const { outputFiles } = await build({
    ...common,
    entryPoints: [`${root}${entry}`],
    outfile: `${outdir}/${basename(entry, '.ts')}.mjs`,
  });
  await put(outputFiles);
}

const at = process.argv.indexOf('--tests');
const tests = at < 0 ? [] : process.argv.slice(at + 1);
if (tests.length > 0) {
  const { outputFiles } = await build({
    ...common,
    entryPoints: tests.map((t) => `${root}${t}`),
    outdir: `${root}dist/test-bundles`,
    outbase: root,
    entryNames: '[dir]/[name]',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    // The tests' packages stay in node_modules: some find files of their own through __dirname
    // (typescript, the browser driver), which a bundle cannot give them.
    external: undefined,
    packages: 'external',
  });
  await put(outputFiles);
}
console.log(outdir);
