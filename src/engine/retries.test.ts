import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPENING_GRACE_MS, RetryWatch, retryCause } from './retries.js';

// Lines as restic 0.18 printed them against the test S3 server.
const STAT = 'Stat(<config/>) returned error, retrying after 1.285723313s: Stat: ';
const refused = `${STAT}Get "https://127.0.0.1:35869/b/?location=": dial tcp 127.0.0.1:35869: connect: connection refused`;

function at(times: number[]): { watch: RetryWatch; tick: () => void } {
  let i = 0;
  return { watch: new RetryWatch(() => times[i]!), tick: () => i++ };
}

test('retries of what retries cannot fix are hopeless at once', () => {
  const watch = new RetryWatch();
  for (const cause of [
    'Stat: The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    'Stat: The specified bucket does not exist',
    'Stat: The AWS Access Key Id you provided does not exist in our records.',
    'Get "https://127.0.0.1:1/": tls: failed to verify certificate: x509: certificate signed by unknown authority',
  ])
    assert.equal(watch.hopeless(STAT + cause), STAT + cause, cause);
  const save =
    'Save(<data/4ea3d9e2b7>) returned error, retrying after 552ms: write /r/data/4e/x: no space left on device';
  assert.equal(watch.hopeless(save), save);
  // restic 0.18 can also give a request up without a retry line, then wait on its other uploads.
  const failed =
    'Save(<data/2f9059c83e>) failed: write /r/data/2f/x-tmp-1: no space left on device';
  assert.equal(watch.hopeless(failed), failed);
  assert.equal(retryCause(failed), 'write /r/data/2f/x-tmp-1: no space left on device');
  assert.equal(watch.hopeless('Save(<data/2f9059c83e>) failed: connection reset'), undefined);
});

test('a target unreachable while the repository opens: hopeless after a grace of retries', () => {
  const { watch, tick } = at([0, 4000, 9000, OPENING_GRACE_MS + 500]);
  assert.equal(watch.hopeless(refused), undefined);
  tick();
  assert.equal(watch.hopeless(refused), undefined);
  tick();
  assert.equal(watch.hopeless(refused), undefined);
  assert.equal(watch.opening, refused, 'remembered, for a stall that comes first');
  tick();
  assert.equal(watch.hopeless(refused), refused);
  assert.match(retryCause(refused), /^Stat: Get .*connection refused$/);
});

test('a server lost after the repository opened is left to restic and the stall watchdog', () => {
  const { watch, tick } = at([0, 60_000, 120_000]);
  assert.equal(watch.hopeless(refused), undefined);
  tick();
  const load =
    'Load(<data/04d34d965f>, 1565, 0) returned error, retrying after 720ms: connection refused';
  assert.equal(watch.hopeless(load), undefined);
  assert.equal(watch.opening, undefined, 'the repository was open');
  tick();
  assert.equal(watch.hopeless(load), undefined);
  assert.equal(watch.hopeless('Fatal: unable to save snapshot'), undefined, 'not a retry line');
});
