import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectVersion, featuresOf, parseVersion } from './version.js';

test('reads the versions Debian ships', () => {
  const v14 = parseVersion('restic 0.14.0 compiled with go1.19.8 on linux/amd64');
  assert.deepEqual([v14.major, v14.minor, v14.patch], [0, 14, 0]);
  const v18 = parseVersion('restic 0.18.0 compiled with go1.24.4 on linux/amd64');
  assert.deepEqual([v18.major, v18.minor, v18.patch], [0, 18, 0]);
});

test('uses newer flags only where the version has them', () => {
  assert.deepEqual(featuresOf(parseVersion('restic 0.14.0')), {
    restoreSparse: false,
    restoreProgress: false,
    restoreOverwrite: false,
    exitCodes: false,
    restoreDryRun: false,
    subfolderSyntax: false,
    stdinFromCommand: false,
    rewrite: false,
  });
  assert.deepEqual(featuresOf(parseVersion('restic 0.18.0')), {
    restoreSparse: true,
    restoreProgress: true,
    restoreOverwrite: true,
    exitCodes: true,
    restoreDryRun: true,
    subfolderSyntax: true,
    stdinFromCommand: true,
    rewrite: true,
  });
  assert.equal(featuresOf(parseVersion('restic 0.16.4')).restoreProgress, true);
  assert.equal(featuresOf(parseVersion('restic 0.16.4')).exitCodes, false);
  assert.equal(featuresOf(parseVersion('restic 0.15.0')).restoreSparse, true);
  assert.equal(featuresOf(parseVersion('restic 0.15.0')).restoreProgress, false);
  assert.equal(featuresOf(parseVersion('restic 0.16.4')).stdinFromCommand, false);
  assert.equal(featuresOf(parseVersion('restic 0.17.0')).stdinFromCommand, true);
  assert.equal(featuresOf(parseVersion('restic 0.14.2')).rewrite, false);
  assert.equal(featuresOf(parseVersion('restic 0.15.0')).rewrite, true);
});

test('rejects output that is not a restic version', () => {
  assert.throws(() => parseVersion('command not found'), /Unrecognised output/);
});

test('detects the installed restic and says so when it is missing', async () => {
  const v = await detectVersion('restic');
  assert.ok(v.minor >= 14, v.text);
  await assert.rejects(detectVersion('/nonexistent/restic'), /restic is not installed/);
});
