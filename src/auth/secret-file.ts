/**
 * Secrets the service hands to its operator once (the first administrator's password, the demo
 * customers' sign-ins) go into a file only the service's user can read, never to stdout: a
 * provider who logs stdout to a file others can read would hand them out.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A secret written and synced under a temporary name, not yet at its place. */
export interface PendingSecretFile {
  /** Puts it at its path, replacing what is there (a link planted there is replaced, never followed). */
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Writes `text` for `path`, mode 0600, into a new file next to it. The directory must be ours
 * and writable by nobody else, or another user could swap the file before it is read.
 */
export async function prepareSecretFile(path: string, text: string): Promise<PendingSecretFile> {
  const dir = dirname(path);
  const info = await lstat(dir);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) {
    throw new Error(
      `${dir} must be a directory owned by this user and writable by no one else (e.g. chmod 700) before a password can be kept in it`,
    );
  }
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const file = await open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  const discard = () => rm(temp, { force: true });
  try {
    try {
      // The mode given to open() passes through the umask; this one does not.
      await file.chmod(0o600);
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    await discard();
    throw error;
  }
  return {
    async commit() {
      try {
        await rename(temp, path);
      } catch (error) {
        await discard();
        throw error;
      }
    },
    discard,
  };
}

/** Writes `text` to `path` as prepareSecretFile does, and puts it in place. */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  await (await prepareSecretFile(path, text)).commit();
}
