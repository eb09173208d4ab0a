/**
 * The web UI shows its own text for each code the API answers with (web/src/messages), the API's
 * English message only for a code it does not know. So every code of the registry needs an
 * English text there, and a text for a code the service no longer has is dead.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enErrors } from '../../web/src/messages/en-errors.js';
import { ERROR_CODES } from './codes.js';

test('the English catalog has a text for every code the service can answer with, and no other', () => {
  const catalog = Object.keys(enErrors);
  assert.deepEqual(
    ERROR_CODES.filter((code) => !catalog.includes(code)),
    [],
    'codes without an English text in web/src/messages/en-errors.ts',
  );
  assert.deepEqual(
    catalog.filter((code) => !(ERROR_CODES as readonly string[]).includes(code)),
    [],
    'texts for codes src/errors/codes.ts does not have',
  );
});

test('each text is words, with or without the params the code names', () => {
  for (const [code, text] of Object.entries(enErrors)) {
    const words = typeof text === 'function' ? text({}) : text;
    assert.ok(words.trim().length > 5, code);
    assert.doesNotMatch(words, /undefined|NaN|\[object/, code);
  }
});
