// Bundles the command line (src/cli.ts) and the tests' child-process fixtures into one JavaScript
// file each, for the test suite's child processes, and prints the folder they are in. The suite
// starts the command line a few hundred times (the CLI tests, services, controllers and agents as
// processes) and the restore fixture a few dozen: through tsx each start transpiled and resolved
// some 300 sources and 400 files of node_modules again, about three times the processor time of a
// start of the bundle (1.0 against 0.35 s here). Built from the sources under test when the suite
// starts, so never older than them. No source map: node's reading of it cost as much as the rest
// of a start; the bundle is not minified, and a comment above each part names its source file.
//
// dist/test-cli/ is two folders deep, as src/api/web.ts is: its `../../dist/web/` still finds the
// built web UI.
import { build } from 'esbuild';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What test/support/cli.ts runs from the bundle when there is one. */
const ENTRIES = [
  'src/cli.ts',
  'test/support/restore-child.fixture.ts',
  'test/support/planner-child.fixture.ts',
];

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/test-cli`;
await mkdir(outdir, { recursive: true });
for (const entry of ENTRIES) {
  const out = `${outdir}/${basename(entry, '.ts')}.mjs`;
  const { outputFiles } = await build({
    entryPoints: [`${root}${entry}`],
    outfile: out,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Its packages too, but those with native parts or that start workers from files of their
    // own (pino's transports): loading the files of node_modules was half of a start.
    external: ['better-sqlite3', 'pg-native', 'pino', 'thread-stream'],
    // CommonJS packages call require() for node's own modules; an ES module has none of its own.
    banner: {
      js: "import { createRequire as hostvaultRequire } from 'node:module'; const require = hostvaultRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  // Renamed into place, so a run that starts while another builds never reads half a file.
  for (const file of outputFiles) {
    await writeFile(`${file.path}.${process.pid}`, file.contents);
    await rename(`${file.path}.${process.pid}`, file.path);
  }
}
console.log(outdir);
