import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_COST, hashPassword, needsRehash, verifyPasswordHash } from './password.js';

describe('password hashes', () => {
  test('at the default cost: versioned scrypt string, right password yes, wrong no', async () => {
    const hash = await hashPassword('correct horse battery staple');
    assert.match(hash, /^scrypt\$1\$15\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    assert.equal(await verifyPasswordHash('correct horse battery staple', hash), true);
    assert.equal(await verifyPasswordHash('correct horse battery stapl', hash), false);
    assert.equal(await verifyPasswordHash('', hash), false);
  });

  test('two hashes of one password differ (random salt)', async () => {
    const cost = { log2N: 10, r: 8, p: 1 };
    const a = await hashPassword('same password', cost);
    const b = await hashPassword('same password', cost);
    assert.notEqual(a, b);
    assert.equal(await verifyPasswordHash('same password', b), true);
  });

  test('a tampered, truncated or foreign hash never verifies', async () => {
    const hash = await hashPassword('secret secret', { log2N: 10, r: 8, p: 1 });
    const parts = hash.split('$');
    const flipped = [...parts];
    flipped[6] = `${parts[6]?.startsWith('A') ? 'B' : 'A'}${parts[6]?.slice(1)}`;
    for (const bad of [
      flipped.join('$'),
      hash.slice(0, -5),
      hash.replace('scrypt$1$', 'scrypt$2$'),
      hash.replace('$10$', '$40$'), // absurd cost is refused rather than attempted
      '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
      '',
    ]) {
      assert.equal(await verifyPasswordHash('secret secret', bad), false, bad);
    }
  });

  test('hashes below the current cost ask to be redone', async () => {
    const weak = await hashPassword('x', { log2N: 10, r: 8, p: 1 });
    assert.equal(needsRehash(weak, DEFAULT_COST), true);
    assert.equal(needsRehash(weak, { log2N: 10, r: 8, p: 1 }), false);
  });
});
