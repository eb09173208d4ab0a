// A node:test reporter that prints, when the run ends, the test files that took longest: the
// suite has a time budget (25 minutes for `npm test`), and this names where the time goes. A
// file's time is the sum of its top-level tests' (they run one after another within a file).
// JavaScript, not TypeScript: node loads reporters before tsx's hooks.
import { relative } from 'node:path';

export default async function* fileTimes(source) {
  const perFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, details } = event.data;
    if (nesting !== 0 || !file || details.duration_ms === undefined) continue;
    perFile.set(file, (perFile.get(file) ?? 0) + details.duration_ms);
  }
  const slowest = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 25);
  if (slowest.length === 0) return;
  yield `slowest test files (of ${perFile.size}, seconds):\n`;
  for (const [file, ms] of slowest) {
    // A bundle (scripts/build-test-cli.ts) by the name of its source.
    const source = relative(globalThis.process.cwd(), file)
      .replace(/^dist\/test-bundles\//, '')
      .replace(/\.mjs$/, '.ts');
    yield `${(ms / 1000).toFixed(0).padStart(6)}  ${source}\n`;
  }
}
