import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTree, readTree } from '../../test/support/tree.js';
import { Restic, RewriteUnsupportedError, type RepositoryLocation } from './index.js';

let work: string;
let restic: Restic;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-copy-rewrite-'));
  restic = await Restic.detect({ cacheDir: join(work, 'cache') });
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function repoAt(name: string): RepositoryLocation {
  return { url: join(work, name), password: `pw-${randomBytes(16).toString('hex')}` };
}

async function paths(repo: RepositoryLocation, id: string): Promise<string[]> {
  const out: string[] = [];
  await restic.ls(repo, id, { onNode: (n) => out.push(n.path) });
  return out;
}

describe('second copies', () => {
  test('a copy on a second repository restores byte for byte after the first is deleted', async () => {
    const first = repoAt('first');
    const second = repoAt('second');
    const source = join(work, 'copy-source');
    await makeTree(source, { bigFileBytes: 256 * 1024 });
    await restic.init(first);
    await restic.init(second);
    const tags = ['customer=c1', 'schedule=s1'];
    const made = await restic.backup(first, { paths: [source], tags });
    // Another schedule's snapshot stays out of a copy by snapshot id.
    await restic.backup(first, { paths: [source], tags: ['customer=c1', 'schedule=s2'] });

    await restic.copy(first, second, { snapshotIds: [made.summary.snapshotId] });
    const copied = await restic.snapshots(second);
    assert.equal(copied.length, 1, 'only the named snapshot');
    assert.deepEqual(copied[0]?.tags.sort(), tags);
    // Running it again copies nothing new (a copy cut short is simply run again).
    await restic.copy(first, second, { snapshotIds: [made.summary.snapshotId] });
    assert.equal((await restic.snapshots(second)).length, 1);

    await rm(first.url, { recursive: true, force: true });
    await assert.rejects(restic.snapshots(first), { kind: 'no-repository' });
    const target = await mkdtemp(join(tmpdir(), 'hv-copy-restored-'));
    try {
      await restic.restore(second, copied[0]!.id, { target });
      assert.deepEqual(await readTree(join(target, source)), await readTree(source));
    } finally {
      await rm(target, { recursive: true, force: true });
    }
    assert.ok((await restic.check(second)).ok);
  });

  test('a copy by tag group needs one; the source password never reaches the log', async () => {
    const first = repoAt('tagged-first');
    const second = repoAt('tagged-second');
    await restic.init(first);
    await restic.init(second);
    await assert.rejects(restic.copy(first, second, {}), /tag group/);
    const source = join(work, 'tagged-source');
    await makeTree(source, { bigFileBytes: 1024 });
    await restic.backup(first, { paths: [source], tags: ['schedule=a'] });
    await restic.backup(first, { paths: [source], tags: ['schedule=b'] });
    const log: string[] = [];
    await restic.copy(first, second, { tags: ['schedule=a'], onLog: (l) => log.push(l) });
    const copied = await restic.snapshots(second);
    assert.deepEqual(
      copied.map((s) => s.tags),
      [['schedule=a']],
    );
    assert.ok(!log.join('\n').includes(first.password), 'source password redacted');
  });

  test('two targets with clashing credentials are refused before restic runs', async () => {
    const a = { ...repoAt('env-a'), env: { AWS_ACCESS_KEY_ID: 'one' } };
    const b = { ...repoAt('env-b'), env: { AWS_ACCESS_KEY_ID: 'two' } };
    await assert.rejects(restic.copy(a, b, { tags: ['x=y'] }), /AWS_ACCESS_KEY_ID/);
  });
});

describe('purging a path from every snapshot', () => {
  test('rewrite removes the path from each snapshot and the repository checks clean (0.15+), or refuses naming the version', async () => {
    const repo = repoAt('rewrite');
    const source = join(work, 'rewrite-source');
    await makeTree(source, { bigFileBytes: 1024 });
    const secret = join(source, 'public_html', 'secret.txt');
    await writeFile(secret, 'personal data to purge\n');
    await restic.init(repo);
    const tags = ['customer=c7'];
    await restic.backup(repo, { paths: [source], tags: [...tags, 'schedule=s1'] });
    await writeFile(join(source, 'public_html', 'index.php'), '<?php echo "changed";\n');
    await restic.backup(repo, { paths: [source], tags: [...tags, 'schedule=s2'] });
    // Another customer's snapshot in a shared test repository stays as it was.
    await restic.backup(repo, { paths: [source], tags: ['customer=other'] });

    if (!restic.features.rewrite) {
      const error = await restic
        .rewrite(repo, { tags, excludes: [secret] })
        .catch((e: unknown) => e);
      assert.ok(error instanceof RewriteUnsupportedError);
      assert.match(error.message, /restic 0\.15 or newer/);
      assert.match(error.message, new RegExp(restic.version.text.replace(/\./g, '\\.')));
      // Nothing changed.
      for (const s of await restic.snapshots(repo, { tags }))
        assert.ok((await paths(repo, s.id)).includes(secret));
      return;
    }

    await restic.rewrite(repo, { tags, excludes: [secret] });
    const mine = await restic.snapshots(repo, { tags });
    assert.equal(mine.length, 2, 'the two snapshots, rewritten, the originals forgotten');
    for (const s of mine) {
      const listed = await paths(repo, s.id);
      assert.ok(!listed.includes(secret), `${s.id} still lists the path`);
      assert.ok(listed.includes(join(source, 'public_html', 'index.php')));
      assert.ok(
        s.tags.some((t) => t.startsWith('schedule=')),
        'tags kept',
      );
    }
    const [other] = await restic.snapshots(repo, { tags: ['customer=other'] });
    assert.ok((await paths(repo, other!.id)).includes(secret));
    await restic.prune(repo);
    assert.ok((await restic.check(repo, { readDataSubset: '100%' })).ok);
  });
});
