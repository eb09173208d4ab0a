/**
 * How tests start hostvault's command line and their child-process fixtures: from the sources
 * under test. The suite's scripts (scripts/test-restic.sh and its siblings) bundle them once when
 * they start (scripts/build-test-cli.ts) into the folder HOSTVAULT_TEST_BUNDLES names, which starts
 * about three times faster than tsx; a test file run on its own goes through tsx. Never
 * bin/hostvault.js: it prefers dist/cli.js once `npm run build` (or scripts/start.sh) has made it,
 * and that build may be older than the sources.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Arguments for `process.execPath` that run a TypeScript entry point (a file URL or path). */
export function nodeArgsFor(entry: URL | string): string[] {
  const path = entry instanceof URL ? fileURLToPath(entry) : entry;
  const bundles = process.env.HOSTVAULT_TEST_BUNDLES;
  const bundle = bundles ? join(bundles, `${basename(path, '.ts')}.mjs`) : undefined;
  if (bundle && existsSync(bundle)) return [bundle];
  return ['--import', import.meta.resolve('tsx'), path];
}

/** Arguments for `process.execPath` that run the command line; the command's own arguments follow. */
export const CLI_FROM_SOURCES: readonly string[] = nodeArgsFor(
  new URL('../../src/cli.ts', import.meta.url),
);
