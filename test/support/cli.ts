/**
 * How tests start hostvault's command line: the TypeScript sources through tsx. bin/hostvault.js
 * prefers dist/cli.js once `npm run build` (or scripts/start.sh) has made it, and that build may be
 * older than the sources under test.
 */
import { fileURLToPath } from 'node:url';

/** Arguments for `process.execPath` that run `src/cli.ts`; the command's own arguments follow. */
export const CLI_FROM_SOURCES: readonly string[] = [
  '--import',
  import.meta.resolve('tsx'),
  fileURLToPath(new URL('../../src/cli.ts', import.meta.url)),
];
