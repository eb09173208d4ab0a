/**
 * File operations that never follow a symlink a customer may have planted.
 *
 * Node has no openat(2)/renameat(2), but Linux gives the same guarantee through /proc: the path
 * `/proc/self/fd/<fd>/<name>` resolves `<fd>` to exactly the directory that was opened (wherever
 * it has been moved since, and whatever now sits at its old path) and then looks up one name in
 * it. A directory is reached by opening every component from `/` with O_NOFOLLOW|O_DIRECTORY, so
 * no symlink is followed anywhere on the way; rename, unlink, rmdir, lstat and readdir on
 * `<fd>/<name>` never follow the last component either. File contents are only ever written
 * through a file descriptor opened with O_CREAT|O_EXCL|O_NOFOLLOW.
 */
import { constants, existsSync, type Stats } from 'node:fs';
import { lstat, open, readdir, rename, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { RestoreError, errorCode } from './errors.js';
import { checkAbsolute } from './paths.js';

export const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
export const NEW_FILE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface Identity {
  dev: number;
  ino: number;
}

export interface Ownership {
  uid: number;
  gid: number;
  mode: number;
}

export function identity(st: Stats): Identity {
  return { dev: st.dev, ino: st.ino };
}

export function sameEntry(a: Identity | undefined | null, b: Identity | undefined | null): boolean {
  return !!a && !!b && a.dev === b.dev && a.ino === b.ino;
}

function checkName(name: string): string {
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
    throw new RestoreError('invalid-path', `Not a file name: ${JSON.stringify(name)}`);
  return name;
}

let procChecked = false;
function requireProc(): void {
  if (procChecked) return;
  if (!existsSync('/proc/self/fd'))
    throw new RestoreError('failed', 'Restores need /proc to be mounted (for /proc/self/fd).');
  procChecked = true;
}

/** An open directory; every operation on its entries goes through its file descriptor. */
export class Dir {
  private constructor(
    private readonly handle: FileHandle,
    /** The path it was opened by: for messages only, never for access. */
    readonly path: string,
    readonly stats: Stats,
  ) {}

  get id(): Identity {
    return identity(this.stats);
  }

  /** Opens an absolute path without following a symlink in any of its components. */
  static async open(path: string): Promise<Dir> {
    requireProc();
    checkAbsolute(path, 'directory');
    const handle = await open('/', DIR_FLAGS);
    let dir = new Dir(handle, '/', await handle.stat());
    for (const part of path.split('/').filter(Boolean)) {
      let next: Dir;
      try {
        next = await dir.child(part);
      } catch (error) {
        if (errorCode(error) === 'ENOENT')
          throw new RestoreError('missing', `${dir.pathOf(part)} does not exist.`, {
            cause: error,
          });
        throw error;
      } finally {
        await dir.close();
      }
      dir = next;
    }
    return dir;
  }

  /** The /proc path that designates `name` inside this very directory (or the directory). */
  at(name?: string): string {
    const self = `/proc/self/fd/${this.handle.fd}`;
    return name === undefined ? self : `${self}/${checkName(name)}`;
  }

  pathOf(name: string): string {
    return posix.join(this.path, name);
  }

  /** Opens a subdirectory; a symlink or a non-directory is refused with a RestoreError. */
  async child(name: string): Promise<Dir> {
    try {
      return await this.openChild(name);
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ELOOP' && code !== 'ENOTDIR') throw error;
      const st = await this.lstat(name);
      if (st?.isSymbolicLink())
        throw new RestoreError(
          'symlink',
          `${this.pathOf(name)} is a symbolic link; restores never follow symbolic links, so the restore was refused.`,
        );
      throw new RestoreError('wrong-type', `${this.pathOf(name)} is not a directory.`);
    }
  }

  /** Like child(), but fails with the raw errno error (ELOOP/ENOTDIR for a symlink or a file). */
  async openChild(name: string): Promise<Dir> {
    const handle = await open(this.at(name), DIR_FLAGS);
    try {
      return new Dir(handle, this.pathOf(name), await handle.stat());
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async lstat(name: string): Promise<Stats | undefined> {
    try {
      return await lstat(this.at(name));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  list(): Promise<string[]> {
    return readdir(this.at());
  }

  /** Makes renames inside this directory durable. */
  sync(): Promise<void> {
    return this.handle.sync();
  }

  /** Sets owner and mode of the directory itself, through its descriptor (times: times.ts). */
  async applyOwnership(from: Ownership): Promise<void> {
    await this.handle.chown(from.uid, from.gid);
    await this.handle.chmod(from.mode & 0o7777);
  }

  /** The descriptor, for a child process that must reach this very directory (as its fd 3). */
  get fd(): number {
    return this.handle.fd;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

export async function withDir<T>(dir: Dir, use: (dir: Dir) => Promise<T>): Promise<T> {
  try {
    return await use(dir);
  } finally {
    await dir.close();
  }
}

/** rename(2) between two open directories; never follows either last component. */
export function renameAt(from: Dir, fromName: string, to: Dir, toName: string): Promise<void> {
  return rename(from.at(fromName), to.at(toName));
}

export function ignoreMissing(error: unknown): void {
  if (errorCode(error) !== 'ENOENT') throw error;
}

const TRUSTED_UIDS = new Set([0, process.getuid?.() ?? 0]);

/**
 * True when no one but root (or this service's user) can change what `path` designates: every
 * component from `/` is a real directory owned by root, not writable by others unless sticky
 * (in a sticky directory such as /tmp, others cannot rename or remove what root created).
 */
export async function isRootControlled(path: string): Promise<boolean> {
  checkAbsolute(path, 'directory');
  const parts = path.split('/').filter(Boolean);
  const prefixes = ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)];
  for (const prefix of prefixes) {
    let st: Stats;
    try {
      st = await lstat(prefix);
    } catch {
      return false;
    }
    if (!st.isDirectory() || !TRUSTED_UIDS.has(st.uid)) return false;
    const sticky = (st.mode & 0o1000) !== 0;
    if (!sticky && (st.mode & 0o002) !== 0) return false;
    if (!sticky && (st.mode & 0o020) !== 0 && st.gid !== 0) return false;
  }
  return true;
}
