/**
 * How tests start hostvault's command line: from the sources under test. The suite's scripts
 * (scripts/test-restic.sh and its siblings) bundle src/cli.ts once when they start
 * (scripts/build-test-cli.ts) and name the bundle in HOSTVAULT_TEST_CLI, which starts about twice
 * as fast as tsx; a test file run on its own goes through tsx. Never bin/hostvault.js: it prefers
 * dist/cli.js once `npm run build` (or scripts/start.sh) has made it, and that build may be older
 * than the sources.
 */
import { fileURLToPath } from 'node:url';

const bundle = process.env.HOSTVAULT_TEST_CLI;

/** Arguments for `process.execPath` that run the command line; the command's own arguments follow. */
export const CLI_FROM_SOURCES: readonly string[] = bundle
  ? ['--enable-source-maps', bundle]
  : [
      '--import',
      import.meta.resolve('tsx'),
      fileURLToPath(new URL('../../src/cli.ts', import.meta.url)),
    ];
