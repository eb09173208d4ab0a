import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runProcess, type IoCounters } from './process.js';

test('onIo reports the bytes the process has written, once a second while it runs', async () => {
  const work = await mkdtemp(join(tmpdir(), 'hv-process-io-'));
  const seen: IoCounters[] = [];
  try {
    // Writes 3 MB into a file, then stays for the watchdog's tick to read its counters.
    const script =
      "require('fs').writeFileSync(process.argv[1], Buffer.alloc(3e6)); setTimeout(() => {}, 1600)";
    const result = await runProcess({
      binary: process.execPath,
      args: ['-e', script, join(work, 'out')],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      onIo: (io) => seen.push(io),
    });
    assert.equal(result.exitCode, 0);
    assert.ok(seen.length >= 1, 'at least one tick while it ran');
    assert.ok(seen.at(-1)!.written >= 3e6, `written ${seen.at(-1)!.written}`);
    assert.ok(seen.at(-1)!.read > 0, 'node read its own files');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
