// Bundles src/cli.ts into one JavaScript file for the test suite's child processes and prints its
// path. The suite starts the command line a few hundred times (the CLI tests, services, controllers
// and agents as processes); through tsx each start transpiles and resolves some 300 sources again,
// which took about twice the processor time of the bundle. Built from the sources under test when
// the suite starts, so it is never older than them; node_modules stay outside the bundle.
//
// dist/test-cli/ is two folders deep, as src/api/web.ts is: its `../../dist/web/` still finds the
// built web UI.
import { build } from 'esbuild';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/test-cli/cli.mjs`;
const { outputFiles } = await build({
  entryPoints: [`${root}src/cli.ts`],
  outfile: out,
  write: false,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
// Each file renamed into place, the source map first, so a run that starts while another builds
// never reads half a file.
await mkdir(`${root}dist/test-cli`, { recursive: true });
for (const file of outputFiles.sort(
  (a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')),
)) {
  await writeFile(`${file.path}.${process.pid}`, file.contents);
  await rename(`${file.path}.${process.pid}`, file.path);
}
console.log(out);
