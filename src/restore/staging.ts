/**
 * The staging directory: where restic writes a restore before it is swapped in. It must be on the
 * same filesystem as the live area (so the swap is a rename), and no customer may be able to
 * touch it: a customer who owns the directory holding it could rename it away and put a symlink
 * at its name while restic writes into it by path. So it is created with mode 0700 by root inside
 * a directory that only root controls, all the way up from `/` (see isRootControlled).
 *
 * The directory holding it (often a shared one such as /home or /var/mail) gets its mtime back
 * when the staging directory is removed: the time it had before the first staging directory of
 * the restores running there was made, which each one notes inside itself. (A crash between the
 * mkdir and that note, a moment, leaves the directory with the time of the mkdir.)
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RestoreError, errorCode } from './errors.js';
import { basename, dirname, isWithin } from './paths.js';
import { Dir, identity, isRootControlled, sameEntry, type Identity } from './safe-fs.js';
import { readMtime, restoreMtime, writeMtime } from './times.js';

export const STAGING_PREFIX = '.hostvault-restore-';
/** Inside a staging directory: the mtime its parent had before staging began there. */
const PARENT_MTIME = 'mtime-of-staging-parent.json';

/**
 * The closest root-controlled directory on the same filesystem as `parent`: `parent` itself,
 * then its ancestors, then the operator's `extra` candidates (e.g. `<dataDir>/staging`).
 */
export async function chooseStagingParent(
  parent: Dir,
  area: string,
  extra: readonly string[],
): Promise<string> {
  const candidates: string[] = [];
  for (let dir = parent.path; ; dir = dirname(dir)) {
    candidates.push(dir);
    if (dir === '/') break;
  }
  candidates.push(...extra);
  for (const candidate of candidates) {
    // Never inside the area itself: the swap moves the area away.
    if (isWithin(candidate, area)) continue;
    let st;
    try {
      st = await lstat(candidate);
    } catch {
      continue;
    }
    if (st.dev !== parent.stats.dev) continue;
    if (await isRootControlled(candidate)) return candidate;
  }
  throw new RestoreError(
    'no-staging',
    `No directory owned and writable only by root was found on the filesystem of ${area} to stage the restore in. Create one there (owner root, mode 0700) and add it to the staging directories.`,
  );
}

/** Creates the staging directory (0700, root) with its `tree` and `old` subdirectories. */
export async function createStaging(path: string): Promise<Dir> {
  const parentMtime = await mtimeBeforeStaging(dirname(path));
  try {
    await mkdir(path, { mode: 0o700 });
  } catch (error) {
    if (errorCode(error) === 'EEXIST')
      throw new RestoreError(
        'busy',
        `The staging directory ${path} already exists: a restore of this job is running or was interrupted (the service recovers interrupted restores when it starts).`,
      );
    throw error;
  }
  const dir = await Dir.open(path);
  if ((dir.stats.mode & 0o777) !== 0o700 || dir.stats.uid !== (process.getuid?.() ?? 0)) {
    await dir.close();
    throw new RestoreError('failed', `The staging directory ${path} is not private to root.`);
  }
  await writeMtime(join(path, PARENT_MTIME), parentMtime.id, parentMtime.mtimeNs);
  await mkdir(dir.at('tree'), { mode: 0o700 });
  await mkdir(dir.at('old'), { mode: 0o700 });
  return dir;
}

/**
 * The parent's mtime now, or the earlier one noted by a staging directory of another restore
 * still there: whichever restore finishes last then sets back the time from before all of them.
 */
async function mtimeBeforeStaging(parent: string): Promise<{ id: Identity; mtimeNs: bigint }> {
  const st = await lstat(parent, { bigint: true });
  const id = identity(await lstat(parent));
  let mtimeNs = st.mtimeNs;
  for (const name of await readdir(parent)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const noted = await readMtime(join(parent, name, PARENT_MTIME), id);
    if (noted !== undefined && noted < mtimeNs) mtimeNs = noted;
  }
  return { id, mtimeNs };
}

/** Removes a staging directory (and the old tree in it) without following any symlink. */
export async function removeStaging(path: string, expected?: Identity): Promise<void> {
  if (!basename(path).startsWith(STAGING_PREFIX))
    throw new RestoreError('failed', `${path} is not a staging directory.`);
  const parent = await Dir.open(dirname(path));
  try {
    const st = await parent.lstat(basename(path));
    if (!st) return;
    if (!st.isDirectory() || (expected && !sameEntry(st, expected)))
      throw new RestoreError('failed', `${path} is not the staging directory this restore made.`);
    const parentMtime = await readMtime(join(path, PARENT_MTIME), parent.id);
    // GNU rm walks with openat and O_NOFOLLOW and checks each directory it enters, so a symlink
    // a customer process (whose working directory was inside the old tree) plants there is
    // removed, never followed; and the staging directory's parent is root-controlled, so the
    // path itself cannot be redirected. It removes a 50,000-file tree in a fraction of the
    // time the descriptor-by-descriptor walk in JavaScript needed.
    await promisify(execFile)('rm', ['-rf', '--one-file-system', '--', path]);
    await restoreMtime(parent, parentMtime);
    await parent.sync();
  } finally {
    await parent.close();
  }
}

/** Flushes the staging filesystem, so a power cut after the swap cannot leave empty files. */
export async function syncFilesystem(path: string): Promise<void> {
  await promisify(execFile)('sync', ['--file-system', path]).catch(() => undefined);
}

/**
 * Ends restic processes still writing into a staging directory (a service killed with -9 takes
 * them down through their parent-death signal, but not instantly).
 */
export async function stopWritersInto(stagingPath: string): Promise<number> {
  const target = join(stagingPath, 'tree');
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = argv.split('\0');
    const i = args.indexOf('--target');
    if (i >= 0 && args[i + 1] === target) pids.push(Number(entry));
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  const deadline = Date.now() + 5000;
  for (const pid of pids) {
    while (Date.now() < deadline) {
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        if (/^\d+ \(.*\) Z/.test(stat)) break;
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return pids.length;
}
