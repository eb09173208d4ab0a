import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LsNode, Restic, SnapshotSummary } from '../engine/index.js';
import { BrowseIndex, buildIndex } from './browse-index.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-browse-index-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const SNAPSHOT: SnapshotSummary = {
  id: 'ab'.repeat(32),
  shortId: 'abababab',
  time: '2026-11-28T10:00:00Z',
  tree: 'cd'.repeat(32),
  paths: ['/srv'],
  hostname: 'hostvault',
  tags: [],
};

/** An engine whose `ls` replays the given nodes, in the given order. */
function replaying(nodes: LsNode[]): Restic {
  return {
    ls: async (_repo: unknown, _id: string, opts: { onNode: (n: LsNode) => void }) => {
      for (const node of nodes) opts.onNode(node);
      return SNAPSHOT;
    },
  } as unknown as Restic;
}

const node = (path: string, type: LsNode['type'] = 'file', size = 1): LsNode => ({
  name: path.slice(path.lastIndexOf('/') + 1),
  type,
  path,
  ...(type === 'file' ? { size } : {}),
  mtime: '2026-11-28T10:00:00.123456789+01:00',
  mode: type === 'dir' ? 0o755 : 0o644,
  uid: 1000,
  gid: 1000,
});

async function build(name: string, nodes: LsNode[]): Promise<BrowseIndex> {
  const repo = { url: '/nowhere', password: 'x' };
  const { file } = await buildIndex(
    replaying(nodes),
    repo,
    'abababab',
    join(work, `${name}.tmp`),
    () => join(work, `${name}.sqlite`),
  );
  const index = BrowseIndex.open(file);
  assert.ok(index);
  return index;
}

const names = (index: BrowseIndex, dir: string) =>
  index
    .list(dir, { offset: 0, limit: 1000 })
    .entries.map((e) => `${e.type === 'dir' ? 'd' : 'f'}:${e.name}`);

describe('browse index build', () => {
  test('depth-first listing: counts, order by kind then byte order, every field kept', async () => {
    const nodes = [
      node('/srv', 'dir'),
      node('/srv/b.txt'),
      node('/srv/a', 'dir'),
      node('/srv/a/x.php', 'file', 42),
      node('/srv/Z', 'dir'),
      node('/srv/Ä.txt'),
      node('/srv/c'),
    ];
    // Beyond one batch of rows, so batched and single inserts both run.
    for (let i = 0; i < 150; i++) nodes.push(node(`/srv/a/many-${String(i).padStart(3, '0')}`));
    const index = await build('dfs', nodes);
    assert.equal(index.meta.entries, nodes.length);
    assert.equal(index.meta.dirs, 3);
    assert.deepEqual(names(index, '/srv'), ['d:Z', 'd:a', 'f:b.txt', 'f:c', 'f:Ä.txt']);
    assert.equal(index.list('/srv/a', { offset: 0, limit: 1 }).total, 151);
    assert.deepEqual(index.stat('/srv/a/x.php'), {
      name: 'x.php',
      type: 'file',
      path: '/srv/a/x.php',
      size: 42,
      mtime: '2026-11-28T10:00:00.123456789+01:00',
      mode: 0o644,
      uid: 1000,
      gid: 1000,
    });
    index.close();
  });

  test('out of order, missing parents and repeated names still give a consistent index', async () => {
    const index = await build('odd', [
      node('/srv', 'dir'),
      node('/srv/a', 'dir'),
      node('/srv/b', 'dir'),
      node('/srv/b/1'),
      node('/srv/a/late.txt'), // back to a directory already closed
      node('/var/lib/x/deep.txt'), // parents never listed
      node('/srv/b/1'), // the same entry twice: the first one stays
      node('/var/lib', 'dir'), // listed after it was implied
      node('/var/lib/y'),
    ]);
    assert.deepEqual(names(index, '/'), ['d:srv', 'd:var']);
    assert.deepEqual(names(index, '/srv/a'), ['f:late.txt']);
    assert.deepEqual(names(index, '/srv/b'), ['f:1']);
    assert.equal(index.list('/srv/b', { offset: 0, limit: 10 }).total, 1);
    assert.deepEqual(names(index, '/var/lib/x'), ['f:deep.txt']);
    assert.deepEqual(names(index, '/var/lib'), ['d:x', 'f:y']);
    assert.equal(index.list('/var/lib', { offset: 0, limit: 10 }).total, 2);
    assert.equal(index.stat('/var/lib')?.mode, 0o755, 'metadata from the late listing');
    assert.equal(index.stat('/var')?.mode, undefined, 'never listed: no metadata');
    assert.equal(index.meta.entries, 10);
    index.close();
  });
});

test('search: names holding the text in any ASCII case, with their paths, % and _ taken literally', async () => {
  const index = await build('search', [
    node('/srv', 'dir'),
    node('/srv/www', 'dir'),
    node('/srv/www/Index.PHP'),
    node('/srv/www/wp-content', 'dir'),
    node('/srv/www/wp-content/index.php.bak'),
    node('/srv/www/100%_done.txt'),
    node('/srv/www/100x-done.txt'),
    node('/var/lib/x/index.html'), // parents never listed
  ]);
  const found = (text: string, max = 100) => {
    const paths: string[] = [];
    index.search(text, (e) => {
      paths.push(`${e.type}:${e.path}`);
      return paths.length < max;
    });
    return paths;
  };
  assert.deepEqual(found('index').sort(), [
    'file:/srv/www/Index.PHP',
    'file:/srv/www/wp-content/index.php.bak',
    'file:/var/lib/x/index.html',
  ]);
  assert.deepEqual(found('INDEX.php').sort(), [
    'file:/srv/www/Index.PHP',
    'file:/srv/www/wp-content/index.php.bak',
  ]);
  assert.deepEqual(found('%_'), ['file:/srv/www/100%_done.txt'], '% and _ are no wildcards');
  assert.deepEqual(found('wp-'), ['dir:/srv/www/wp-content']);
  assert.deepEqual(found('nowhere'), []);
  assert.equal(found('i', 2).length, 2, 'stops when told');
  assert.equal(
    index.search('x', () => true),
    undefined,
  );
  index.close();
});

test('totals: files and bytes at and below a directory, nothing for a file or a missing path', async () => {
  const index = await build('totals', [
    node('/srv', 'dir'),
    node('/srv/www', 'dir'),
    node('/srv/www/index.php', 'file', 100),
    node('/srv/www/wp-content', 'dir'),
    node('/srv/www/wp-content/a.jpg', 'file', 2000),
    node('/srv/www/wp-content/empty', 'dir'),
    node('/srv/www/wp-content/link', 'symlink'),
    node('/srv/mail', 'dir'),
    node('/srv/mail/1', 'file', 7),
  ]);
  try {
    assert.deepEqual(index.totals('/srv/www'), { files: 2, bytes: 2100 });
    assert.deepEqual(index.totals('/srv/www/wp-content/empty'), { files: 0, bytes: 0 });
    assert.deepEqual(index.totals('/srv'), { files: 3, bytes: 2107 });
    assert.equal(index.totals('/srv/www/index.php'), undefined);
    assert.equal(index.totals('/srv/nothing'), undefined);
  } finally {
    index.close();
  }
});

test('specials: pipes and device files at any depth below a directory, by absolute path', async () => {
  const index = await build('specials', [
    node('/srv', 'dir'),
    node('/srv/www', 'dir'),
    node('/srv/www/queue', 'fifo'),
    node('/srv/www/link', 'symlink'),
    node('/srv/www/a', 'dir'),
    node('/srv/www/a/b', 'dir'),
    node('/srv/www/a/b/null', 'chardev'),
    node('/srv/www/a/b/disk', 'dev'),
    node('/srv/www/a/b/page.html', 'file', 10),
    node('/srv/other', 'dir'),
    node('/srv/other/pipe', 'fifo'),
  ]);
  try {
    assert.deepEqual([...index.specials('/srv/www')].sort(), [
      ['/srv/www/a/b/disk', 'dev'],
      ['/srv/www/a/b/null', 'chardev'],
      ['/srv/www/queue', 'fifo'],
    ]);
    assert.equal(index.specials('/').size, 4);
    assert.equal(index.specials('/srv/www/a/b/page.html').size, 0, 'a file has nothing below it');
    assert.equal(index.specials('/srv/nothing').size, 0);
  } finally {
    index.close();
  }
});

describe('browse index of a backup whose dumps were streamed (restic 0.17+)', () => {
  const dir = '/var/lib/hostvault/staging/alice/7/databases';
  const shopPart = '11'.repeat(32);
  const blogPart = '22'.repeat(32);
  const backup: SnapshotSummary = {
    ...SNAPSHOT,
    paths: [dir, '/srv'],
    tags: [
      'customer=alice',
      'schedule=7',
      `dump=shop@${shopPart}`,
      `dump=blog@${blogPart.slice(0, 8)}`,
    ],
  };
  const part = (id: string, database: string): SnapshotSummary => ({
    ...SNAPSHOT,
    id,
    shortId: id.slice(0, 8),
    paths: [`/${database}.sql`],
    tags: ['customer=alice', 'schedule=7', 'content=db', `database=${database}`],
  });

  /** `ls` of the backup replays `nodes`; of a dump's snapshot, its one file. */
  function engine(nodes: LsNode[], parts: Record<string, SnapshotSummary>): Restic {
    return {
      ls: async (_repo: unknown, id: string, opts: { onNode: (n: LsNode) => void }) => {
        if (id === 'abababab') {
          for (const n of nodes) opts.onNode(n);
          return backup;
        }
        const summary = Object.values(parts).find((p) => p.id.startsWith(id));
        if (!summary) throw new Error(`no snapshot ${id}`);
        const database = summary.tags.find((t) => t.startsWith('database='))!.slice(9);
        opts.onNode({ ...node(`/${database}.sql`, 'file', database.length * 1000), mode: 0o600 });
        return summary;
      },
    } as unknown as Restic;
  }

  async function buildWith(name: string, nodes: LsNode[], parts: Record<string, SnapshotSummary>) {
    const { file, meta } = await buildIndex(
      engine(nodes, parts),
      { url: '/nowhere', password: 'x' },
      'abababab',
      join(work, `${name}.tmp`),
      () => join(work, `${name}.sqlite`),
    );
    const index = BrowseIndex.open(file);
    assert.ok(index);
    return { index, meta };
  }

  const staged = (extra: LsNode[] = []) => [
    node('/srv', 'dir'),
    node('/srv/index.php'),
    node('/var', 'dir'),
    node('/var/lib', 'dir'),
    node('/var/lib/hostvault', 'dir'),
    node('/var/lib/hostvault/staging', 'dir'),
    node('/var/lib/hostvault/staging/alice', 'dir'),
    node('/var/lib/hostvault/staging/alice/7', 'dir'),
    node(dir, 'dir'),
    node(`${dir}/blog.checksums.json`),
    node(`${dir}/shop.checksums.json`),
    ...extra,
  ];
  const parts = { shop: part(shopPart, 'shop'), blog: part(blogPart, 'blog') };

  test('each dump is listed beside its checksum record, read from its own snapshot', async () => {
    const { index, meta } = await buildWith('streamed', staged(), parts);
    assert.deepEqual(names(index, dir), [
      'f:blog.checksums.json',
      'f:blog.sql',
      'f:shop.checksums.json',
      'f:shop.sql',
    ]);
    assert.equal(index.list(dir, { offset: 0, limit: 1 }).total, 4);
    const shop = index.stat(`${dir}/shop.sql`);
    assert.equal(shop?.size, 4000);
    assert.equal(shop?.mode, 0o600);
    assert.deepEqual(
      meta.dumps?.map((d) => [d.database, d.path, d.snapshotId, d.source]),
      [
        ['shop', `${dir}/shop.sql`, shopPart, '/shop.sql'],
        // Named by a short id, recorded by the full one.
        ['blog', `${dir}/blog.sql`, blogPart, '/blog.sql'],
      ],
    );
    // The rest of the snapshot is as restic listed it.
    assert.deepEqual(names(index, '/srv'), ['f:index.php']);
    assert.equal(index.totals(dir)?.files, 4);
    index.close();
  });

  test('a dump left staged by an earlier run gives way to the streamed one', async () => {
    const { index } = await buildWith('stale', staged([node(`${dir}/shop.sql`, 'file', 7)]), parts);
    assert.equal(index.stat(`${dir}/shop.sql`)?.size, 4000);
    assert.equal(index.list(dir, { offset: 0, limit: 10 }).total, 4);
    index.close();
  });

  test('a tag naming a snapshot that is not that database dump fails the build', async () => {
    await assert.rejects(
      buildWith('wrong', staged(), { shop: part(shopPart, 'other'), blog: parts.blog }),
      /named by abababab as the dump of database shop, does not hold it/,
    );
  });
});
