// Sealing of the controller's requests to one agent (src/fleet/sealing.ts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  controllerCurveKey,
  curveKeyFromSeed,
  isPublicCurveKey,
  newCurveKey,
  openFrom,
  SealedPayloadError,
  sealFor,
} from './sealing.js';

const secret = { password: 'repo-pass-0123456789', s3: { secretAccessKey: 'S3SECRETxyz' } };

describe('sealing', () => {
  it('the controller key is derived from the master key: the same for every controller', () => {
    const master = randomBytes(32);
    const a = controllerCurveKey(master);
    const b = controllerCurveKey(Buffer.from(master));
    assert.equal(a.getPublicKey(), b.getPublicKey());
    assert.ok(isPublicCurveKey(a.getPublicKey()));
    assert.notEqual(controllerCurveKey(randomBytes(32)).getPublicKey(), a.getPublicKey());
  });

  it('opens what its controller sealed to it, and the secrets are not in the sealed text', () => {
    const controller = controllerCurveKey(randomBytes(32));
    const agent = newCurveKey();
    const sealed = sealFor(controller, agent.getPublicKey(), 'job web1 x backup', secret);
    const wire = Buffer.from(sealed, 'base64').toString('latin1') + sealed;
    assert.ok(!wire.includes('repo-pass-0123456789'));
    assert.ok(!wire.includes('S3SECRETxyz'));
    assert.deepEqual(
      openFrom(agent, controller.getPublicKey(), 'job web1 x backup', sealed),
      secret,
    );
    // Its seed as kept in the agent's seed file opens it too.
    const again = curveKeyFromSeed(new TextDecoder().decode(agent.getSeed()));
    assert.deepEqual(
      openFrom(again, controller.getPublicKey(), 'job web1 x backup', sealed),
      secret,
    );
  });

  it('refuses a payload sealed to another agent, by another controller, changed, or for another purpose', () => {
    const controller = controllerCurveKey(randomBytes(32));
    const agent = newCurveKey();
    const other = newCurveKey();
    const toOther = sealFor(controller, other.getPublicKey(), 'p', secret);
    assert.throws(
      () => openFrom(agent, controller.getPublicKey(), 'p', toOther),
      SealedPayloadError,
    );
    const byStranger = sealFor(newCurveKey(), agent.getPublicKey(), 'p', secret);
    assert.throws(
      () => openFrom(agent, controller.getPublicKey(), 'p', byStranger),
      SealedPayloadError,
    );
    const good = sealFor(controller, agent.getPublicKey(), 'p', secret);
    const bytes = Buffer.from(good, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    assert.throws(
      () => openFrom(agent, controller.getPublicKey(), 'p', bytes.toString('base64')),
      SealedPayloadError,
    );
    assert.throws(
      () => openFrom(agent, controller.getPublicKey(), 'q', good),
      (e: unknown) => e instanceof SealedPayloadError && /sealed for "p"/.test(e.message),
    );
    assert.throws(
      () => openFrom(agent, controller.getPublicKey(), 'p', 'not sealed'),
      SealedPayloadError,
    );
  });

  it('tells public curve keys from other keys', () => {
    assert.ok(isPublicCurveKey(newCurveKey().getPublicKey()));
    assert.ok(!isPublicCurveKey('XABC'));
    assert.ok(!isPublicCurveKey(''));
  });
});
