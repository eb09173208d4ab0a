/**
 * Test fixture shared by the restore tests: a hosting layout in a temp directory, one snapshot
 * of it in a local repository, and a root-owned "outside" tree that attacks aim at.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Restic, type RepositoryLocation } from '../../src/engine/index.js';
import { makeTree, readTree, type TreeEntry } from './tree.js';

export const UID = 1234;
export const GID = 2345;
export const OLD = new Date('2023-05-06T07:08:09.123Z');

export interface AreaState {
  root: { mode: number; uid: number; gid: number; mtimeMs: number };
  entries: TreeEntry[];
}

/** The area itself (mode, owner, mtime) and everything beneath it. */
export async function readArea(path: string): Promise<AreaState> {
  const st = await lstat(path);
  return {
    root: {
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtimeMs: Math.round(st.mtimeMs),
    },
    entries: await readTree(path),
  };
}

/** Everything below `dir` plus `dir`'s own metadata: what an attack must leave untouched. */
export async function readOutside(dir: string): Promise<AreaState> {
  return readArea(dir);
}

export interface World {
  work: string;
  restic: Restic;
  repo: RepositoryLocation;
  journalDir: string;
  snapshotId: string;
  outside: string;
  home(customer: string): string;
  web(customer: string): string;
}

/** A customer home owned by the customer (or root, as chroot SFTP setups need) with a web root. */
export async function makeCustomer(
  work: string,
  name: string,
  opts: { homeOwnedByRoot?: boolean } = {},
): Promise<void> {
  const home = join(work, 'srv/www', name);
  await mkdir(home, { recursive: true });
  await makeTree(home, { bigFileBytes: 64 * 1024 });
  const web = join(home, 'public_html');
  await mkdir(join(home, 'sites/shop/catalog'), { recursive: true });
  await writeFile(join(home, 'sites/shop/catalog/item.html'), '<p>item</p>\n');
  for (const dir of ['sites', 'sites/shop', 'sites/shop/catalog', 'sites/shop/catalog/item.html'])
    await chown(join(home, dir), UID, GID);
  await chown(web, UID, GID);
  await chmod(web, 0o750);
  await utimes(web, OLD, OLD);
  if (!opts.homeOwnedByRoot) await chown(home, UID, GID);
}

export async function makeMaildir(work: string, name: string): Promise<string> {
  const maildir = join(work, 'var/mail', name, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp', '.Sent/cur', '.Sent/new', '.Sent/tmp'])
    await mkdir(join(maildir, sub), { recursive: true });
  const messages: Record<string, string> = {
    'cur/1001.M1.host:2,S': 'Subject: one\n\nfirst\n',
    'cur/1002.M2.host:2,S': 'Subject: two\n\nsecond\n',
    'new/1003.M3.host': 'Subject: three\n\nthird, unread\n',
    '.Sent/cur/1004.M4.host:2,S': 'Subject: sent\n\nsent mail\n',
  };
  for (const [rel, body] of Object.entries(messages)) {
    await writeFile(join(maildir, rel), body);
    await chmod(join(maildir, rel), 0o600);
    await utimes(join(maildir, rel), OLD, OLD);
  }
  await chownTree(join(work, 'var/mail', name), UID, GID);
  for (const sub of ['cur', 'new', 'tmp', '.Sent/cur', '.Sent/new', '.Sent/tmp', '.Sent', ''])
    await utimes(join(maildir, sub), OLD, OLD);
  await chmod(maildir, 0o700);
  return maildir;
}

export async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  const st = await lstat(path);
  if (!st.isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
}

/** Root-owned files outside every customer area: what the symlink attacks aim at. */
export async function makeOutside(work: string): Promise<string> {
  const outside = join(work, 'outside');
  await mkdir(join(outside, 'dir/sub'), { recursive: true });
  await mkdir(join(outside, 'shop/catalog'), { recursive: true });
  await writeFile(join(outside, 'secret'), 'root:$y$j9T$secret-hash:19000:0:99999:7:::\n');
  await chmod(join(outside, 'secret'), 0o600);
  await writeFile(join(outside, 'dir/config.php'), 'do not touch\n');
  await writeFile(join(outside, 'dir/sub/deep.txt'), 'deep\n');
  await writeFile(join(outside, 'shop/catalog/item.html'), 'root item\n');
  for (const rel of ['secret', 'dir/config.php', 'dir/sub/deep.txt', 'shop/catalog/item.html'])
    await utimes(join(outside, rel), OLD, OLD);
  for (const rel of ['dir/sub', 'dir', 'shop/catalog', 'shop'])
    await utimes(join(outside, rel), OLD, OLD);
  await utimes(outside, OLD, OLD);
  return outside;
}

export async function makeWorld(prefix: string): Promise<Omit<World, 'snapshotId'>> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  const restic = await Restic.detect({ cacheDir: join(work, 'cache') });
  const repo = { url: join(work, 'repo'), password: `pw-${randomBytes(16).toString('hex')}` };
  await restic.init(repo);
  await mkdir(join(work, 'data'), { mode: 0o700 });
  return {
    work,
    restic,
    repo,
    journalDir: join(work, 'data/restore-journal'),
    outside: await makeOutside(work),
    home: (c) => join(work, 'srv/www', c),
    web: (c) => join(work, 'srv/www', c, 'public_html'),
  };
}
