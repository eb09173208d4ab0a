/**
 * A tree that carries every kind of metadata a restore must keep, and a reader that sees all of
 * it: times to the nanosecond, user extended attributes, a POSIX ACL, owners and modes, and the
 * blocks a file really occupies (a sparse file of 1 GiB holds a few KiB).
 *
 * Times are set and read with coreutils (`touch -d @sec.nsec`, statx through `lstat` with
 * bigint): Node's utimes takes seconds as a double, which cannot carry nanoseconds. Files are
 * read with O_NOATIME, so reading a tree does not change the atimes it compares.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lchown, lstat, mkdir, open, readdir, readlink, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export interface MetaEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Nanoseconds since the epoch, as text (bigint does not survive deepEqual messages well). */
  mtime: string;
  /** Files and symlinks only: listing a directory sets its atime (relatime), so it is not kept. */
  atime?: string;
  /** 512-byte blocks allocated (st_blocks). */
  blocks: number;
  sha256?: string;
  link?: string;
  /** `name=0xHEX`, sorted; includes system.posix_acl_access. */
  xattrs: string[];
}

/** `@sec.nnnnnnnnn` for touch -d, sign first (`@-1.5` is 1.5 s before the epoch). */
export function touchTime(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  return `@${sign}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`;
}

/** Sets atime and mtime of `path` (never following a symlink) to the nanosecond. */
export async function setTimes(path: string, mtime: bigint, atime = mtime): Promise<void> {
  await run('touch', ['-h', '-m', '-d', touchTime(mtime), '--', path]);
  await run('touch', ['-h', '-a', '-d', touchTime(atime), '--', path]);
}

/** Seconds and nanoseconds that no microsecond clock can round to. */
export function oddTime(seconds: number, i: number): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(123_456_789 + 1_000 * i + (i % 997));
}

/** A file of `size` bytes that holds data only at the given offsets (4 KiB each). */
export async function writeSparse(path: string, size: number, at: number[]): Promise<void> {
  const handle = await open(path, 'w', 0o640);
  try {
    await handle.truncate(size);
    for (const offset of at) {
      const block = Buffer.alloc(4096, `block at ${offset} `);
      await handle.write(block, 0, Math.min(block.length, size - offset), offset);
    }
  } finally {
    await handle.close();
  }
}

export interface MetadataTreeOptions {
  uid: number;
  gid: number;
  /** Size of vm/disk.img, sparse (default 1 GiB). */
  sparseBytes?: number;
}

/**
 * Builds the tree under `root` (created): directories at every level with their own times, files
 * with user xattrs (one too big for the inode), an ACL, a symlink, and a sparse disk image.
 * Times are set last, deepest first, so nothing written afterwards disturbs them.
 */
export async function makeMetadataTree(root: string, opts: MetadataTreeOptions): Promise<void> {
  const { uid, gid } = opts;
  await mkdir(join(root, 'a/b/c/d'), { recursive: true });
  await mkdir(join(root, 'media'), { recursive: true });
  await mkdir(join(root, 'vm'), { recursive: true });
  await mkdir(join(root, 'empty'), { recursive: true });
  const files: Record<string, string | Buffer> = {
    'index.php': '<?php echo "hello";\n',
    'wp-config.php': '<?php define("DB_PASSWORD", "x");\n',
    'a/one.txt': 'level one\n',
    'a/b/two.txt': 'level two\n',
    'a/b/c/three.txt': 'level three\n',
    'a/b/c/d/deep.txt': 'the deepest file\n',
    'media/photo.jpg': createHash('sha512').update('photo').digest().toString('hex').repeat(4000),
  };
  for (const [rel, body] of Object.entries(files)) {
    const handle = await open(join(root, rel), 'w', 0o644);
    await handle.writeFile(body);
    await handle.close();
  }
  await writeSparse(join(root, 'vm/disk.img'), opts.sparseBytes ?? GiB, [
    0,
    (opts.sparseBytes ?? GiB) / 2,
    (opts.sparseBytes ?? GiB) - 4096,
  ]);
  await symlink('index.php', join(root, 'link-to-index'));
  await run('setfattr', ['-n', 'user.origin', '-v', 'uploaded by bob', join(root, 'index.php')]);
  await run('setfattr', [
    '-n',
    'user.checksum',
    '-v',
    '0xdeadbeef',
    join(root, 'a/b/c/d/deep.txt'),
  ]);
  // Too big for the inode's spare room: ext4 keeps it in a block of its own (st_blocks counts it).
  await run('setfattr', ['-n', 'user.exif', '-v', 'x'.repeat(3000), join(root, 'media/photo.jpg')]);
  await run('setfattr', ['-n', 'user.vm', '-v', 'qcow-less raw image', join(root, 'vm/disk.img')]);
  await run('setfacl', ['-m', 'u:33:r,g:33:r', join(root, 'wp-config.php')]);
  await run('setfacl', ['-m', 'd:u:33:rx', join(root, 'a/b')]);

  const all = await walk(root);
  for (const rel of all) await lchown(join(root, rel), uid, gid);
  await lchown(root, uid, gid);
  await chmod(join(root, 'wp-config.php'), 0o640);
  await chmod(join(root, 'a/b/c'), 0o2750);
  // Deepest first, so a parent's times are set after its children are final.
  const ordered = [...all].sort((x, y) => y.split('/').length - x.split('/').length);
  let i = 0;
  for (const rel of ordered) {
    i++;
    await setTimes(
      join(root, rel),
      oddTime(1_600_000_000 + i * 86_400, i),
      oddTime(1_650_000_000, i),
    );
  }
  await setTimes(root, oddTime(1_690_000_000, 0), oddTime(1_690_000_100, 0));
}

async function walk(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(root, rel))).sort()) {
    const child = rel ? `${rel}/${name}` : name;
    out.push(child);
    if ((await lstat(join(root, child))).isDirectory()) out.push(...(await walk(root, child)));
  }
  return out;
}

/** Every entry below `root` (not `root` itself), sorted by path. */
export async function readMetadataTree(root: string): Promise<MetaEntry[]> {
  const rels = await walk(root);
  const xattrs = await readXattrs(rels.map((r) => join(root, r)));
  const out: MetaEntry[] = [];
  for (const rel of rels) out.push(await readEntry(join(root, rel), xattrs, root));
  return out;
}

/** One entry, with its path relative to `base` (its own path when absent). */
export async function readMetadata(path: string, base?: string): Promise<MetaEntry> {
  return readEntry(path, await readXattrs([path]), base);
}

async function readEntry(
  full: string,
  xattrs: Map<string, string[]>,
  base?: string,
): Promise<MetaEntry> {
  // stat before reading: a read must not be what the atime shows.
  const st = await lstat(full, { bigint: true });
  const type = st.isDirectory()
    ? 'dir'
    : st.isSymbolicLink()
      ? 'symlink'
      : st.isFile()
        ? 'file'
        : 'other';
  const entry: MetaEntry = {
    path: base ? relative(base, full) : full,
    type,
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: type === 'dir' ? 0 : Number(st.size),
    mtime: String(st.mtimeNs),
    blocks: Number(st.blocks),
    xattrs: xattrs.get(full) ?? [],
  };
  if (type !== 'dir') entry.atime = String(st.atimeNs);
  if (type === 'file') entry.sha256 = await hashFile(full);
  if (type === 'symlink') entry.link = await readlink(full);
  return entry;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, constants.O_RDONLY | constants.O_NOATIME);
  try {
    const buffer = Buffer.alloc(8 * MiB);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Every extended attribute (system.* included) of each path, without following symlinks. */
export async function readXattrs(paths: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (paths.length === 0) return out;
  const { stdout } = await run(
    'getfattr',
    ['--absolute-names', '-h', '-d', '-m', '-', '-e', 'hex', '--', ...paths],
    { maxBuffer: 64 * MiB },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) {
      current = line.slice('# file: '.length);
      out.set(current, []);
    } else if (current && line.includes('=')) out.get(current)!.push(line);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/** Nanoseconds since the epoch from Go's RFC 3339 text (what `restic ls --json` prints). */
export function goTimeNs(text: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) throw new Error(`not an RFC 3339 time: ${text}`);
  const seconds = BigInt(Date.parse(`${m[1]}${m[3]}`) / 1000);
  return seconds * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}
