/**
 * The round trip every target must pass with real restic: init → backup → snapshots → restore
 * compared byte for byte with owner, mode and mtime → unchanged re-run adds no data →
 * forget/prune → check.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Restic, RepositoryLocation } from '../../src/engine/index.js';
import { makeTree, readTree } from './tree.js';

export async function roundTrip(restic: Restic, repo: RepositoryLocation): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'hv-roundtrip-'));
  // Restored outside `work`: restic records the source's parent directories too, and a new
  // entry beside the source would change their metadata between the two backups.
  const target = await mkdtemp(join(tmpdir(), 'hv-restored-'));
  try {
    const source = join(work, 'source');
    await makeTree(source);
    await restic.init(repo);
    assert.equal((await restic.catConfig(repo)).version, 2, 'repository format 2 (compression)');

    const logs: string[] = [];
    const progress: number[] = [];
    const first = await restic.backup(repo, {
      paths: [source],
      tags: ['customer=c1', 'schedule=s1'],
      onProgress: (p) => progress.push(p.percentDone),
      onLog: (l) => logs.push(l),
    });
    assert.ok(first.summary.filesNew >= 5, `files new: ${first.summary.filesNew}`);
    assert.ok(first.summary.dataAdded > 3 * 1024 * 1024 * 0.9, 'the random 3 MB file was stored');
    // restic prints a status line per tick of its progress timer; 0.14 prints one at the start,
    // 0.17+ none for a backup done within the first tick, as this small one may be. That progress
    // arrives during a longer backup, the engine's cancel test relies on (with both versions).
    assert.ok(
      progress.every((p) => p >= 0 && p <= 1),
      `progress is a fraction: ${progress.join(', ')}`,
    );

    const list = await restic.snapshots(repo, { tags: ['schedule=s1'] });
    assert.equal(list.length, 1);
    assert.equal(list[0]?.hostname, restic.host);
    assert.deepEqual(list[0]?.tags.sort(), ['customer=c1', 'schedule=s1']);
    assert.ok(list[0]?.id.startsWith(first.summary.snapshotId));

    await restic.restore(repo, first.summary.snapshotId, { target });
    assert.deepEqual(await readTree(join(target, source)), await readTree(source));

    const second = await restic.backup(repo, {
      paths: [source],
      tags: ['customer=c1', 'schedule=s1'],
      parent: list[0]?.id,
    });
    assert.equal(second.summary.filesNew, 0);
    assert.equal(second.summary.filesChanged, 0);
    // No file data at all; only directory metadata may be new, because restic also records the
    // source's parent directories (/tmp here), whose mtime other processes change.
    assert.equal(second.summary.dataBlobs, 0, 'an unchanged re-run adds no data');
    assert.ok(
      second.summary.dataAdded < 4096,
      `only metadata added: ${second.summary.dataAdded} bytes`,
    );

    const forgotten = await restic.forget(repo, { tags: ['schedule=s1'], keepLast: 1 });
    assert.deepEqual(
      forgotten.removed.map((id) => id.slice(0, 8)),
      [first.summary.snapshotId.slice(0, 8)],
    );
    await restic.prune(repo);
    await restic.check(repo, { readDataSubset: '100%' });
    assert.equal((await restic.snapshots(repo)).length, 1);
    assert.deepEqual(await restic.locks(repo), [], 'no lock is left behind');
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
  }
}
