import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { renderApiReference } from '../../scripts/api-reference.js';

test('docs/api.md is generated from the current schemas (run `npm run docs:api` after changing a route)', async () => {
  const committed = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
  assert.equal(committed, await renderApiReference());
});
