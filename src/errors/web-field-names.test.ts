/**
 * A field refusal in German names the field in German (issue 16: "Dieses Feld ist erforderlich."
 * said nothing of which field): the page puts the field's name from its catalog into `label`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldName } from '../../web/src/lib/field-names.js';
import { catalogs, errorText, setLanguage } from '../../web/src/messages/index.js';

test('German refusals name their field in German; one the page cannot name says "Dieses Feld"', () => {
  setLanguage('de');
  try {
    assert.equal(fieldName('retention'), 'Aufbewahrung');
    assert.equal(fieldName('target.host'), catalogs.de.scheduleForm.ftp.host);
    assert.equal(fieldName('nothing.known'), undefined);
    assert.equal(
      errorText('field.required', { label: fieldName('retention') ?? '' }),
      '„Aufbewahrung“ ist erforderlich.',
    );
    assert.equal(
      errorText('field.too_big', { label: fieldName('retention') ?? '', maximum: 7 }),
      '„Aufbewahrung“ darf höchstens 7 sein.',
    );
    assert.equal(errorText('field.required', {}), 'Dieses Feld ist erforderlich.');
  } finally {
    setLanguage('en');
  }
});
