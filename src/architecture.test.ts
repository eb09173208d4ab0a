/**
 * docs/architecture.md is the map a new maintainer starts from: every folder of src/ must be in
 * its table of parts, so a folder added without a word there fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..');

test('docs/architecture.md names every folder of src/', () => {
  const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const folders = readdirSync(join(root, 'src'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  assert.ok(folders.length > 10, `src/ holds ${folders.length} folders`);
  const missing = folders.filter((f) => !doc.includes(`| \`src/${f}\``));
  assert.deepEqual(missing, [], `missing from the parts table of docs/architecture.md`);
});
