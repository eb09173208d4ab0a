/**
 * File times to the nanosecond, and the mtimes of directories a restore passes through.
 *
 * Node's utimes takes seconds as a double, which around today's dates holds about a quarter of
 * a microsecond: a restored …461498598 became …461498000. coreutils' touch hands `@sec.nsec` to
 * utimensat(2) unchanged, so times are set through it. A directory is reached through its open
 * descriptor, passed to touch as its fd 3 (`/proc/self/fd/3`, the directory itself; `…/3/name`,
 * one entry of it, with -h so a symlink put there is changed itself and never followed).
 *
 * A directory the restore does not mean to change (the parent of a restored area or file, the
 * parent of the staging directory) still gets entries renamed in and out of it, and with them a
 * new mtime; its listing afterwards is what it was, so its mtime is set back. The time it had is
 * kept in a record file in the root-only staging directory before the first change, so recovery
 * after a crash sets back the same time. A change someone else makes to such a directory while
 * the restore runs keeps its entries but loses its mtime.
 */
import { spawn } from 'node:child_process';
import { constants, type BigIntStats } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { errorCode } from './errors.js';
import { sameEntry, type Dir, type Identity } from './safe-fs.js';

export interface Times {
  atimeNs: bigint;
  mtimeNs: bigint;
}

export function timesOf(st: BigIntStats): Times {
  return { atimeNs: st.atimeNs, mtimeNs: st.mtimeNs };
}

/** `@sec.nnnnnnnnn` for touch -d; the sign leads (`@-1.5` is 1.5 s before the epoch). */
export function touchTime(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  return `@${sign}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`;
}

/**
 * Sets the times of `name` in `dir`, or of `dir` itself when `name` is undefined. A time left
 * out stays as it is.
 */
export function setTimes(dir: Dir, name: string | undefined, times: Partial<Times>): Promise<void> {
  // dir.at() checks the name; the child sees the same directory as its fd 3.
  const target = `/proc/self/fd/3${dir.at(name).slice(dir.at().length)}`;
  return touch(target, name !== undefined, times, dir.fd);
}

/** Sets the times of the file open as `fd`. */
export function setTimesOf(fd: number, times: Partial<Times>): Promise<void> {
  return touch('/proc/self/fd/3', false, times, fd);
}

async function touch(
  target: string,
  noFollow: boolean,
  { atimeNs, mtimeNs }: Partial<Times>,
  fd?: number,
): Promise<void> {
  const base = noFollow ? ['-c', '-h'] : ['-c'];
  const calls: string[][] = [];
  if (atimeNs !== undefined && atimeNs === mtimeNs) calls.push(['-d', touchTime(atimeNs)]);
  else {
    if (atimeNs !== undefined) calls.push(['-a', '-d', touchTime(atimeNs)]);
    if (mtimeNs !== undefined) calls.push(['-m', '-d', touchTime(mtimeNs)]);
  }
  for (const call of calls) await runTouch([...base, ...call, '--', target], fd);
}

function runTouch(args: string[], fd?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('touch', args, {
      stdio: fd === undefined ? ['ignore', 'ignore', 'pipe'] : ['ignore', 'ignore', 'pipe', fd],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`touch ${args.join(' ')} failed (${code}): ${stderr.trim()}`)),
    );
  });
}

interface MtimeRecord extends Identity {
  mtimeNs: string;
}

/**
 * The mtime `dir` had before this restore first changed it: read from `record` when an earlier
 * run (interrupted, now recovered) noted it, else noted now and written there with fsync.
 */
export async function noteMtime(dir: Dir, record: string): Promise<bigint> {
  const noted = await readMtime(record, dir.id);
  if (noted !== undefined) return noted;
  // stat, not lstat: /proc/self/fd/N is a link to the directory itself.
  const mtimeNs = (await stat(dir.at(), { bigint: true })).mtimeNs;
  await writeMtime(record, dir.id, mtimeNs);
  return mtimeNs;
}

/** The noted mtime in `record` if it is about `id` (absent or another directory: undefined). */
export async function readMtime(record: string, id?: Identity): Promise<bigint | undefined> {
  let parsed: MtimeRecord;
  try {
    parsed = JSON.parse(await readFile(record, 'utf8')) as MtimeRecord;
  } catch (error) {
    if (['ENOENT', 'ENOTDIR'].includes(errorCode(error) ?? '') || error instanceof SyntaxError)
      return undefined;
    throw error;
  }
  if (id && !sameEntry(parsed, id)) return undefined;
  return BigInt(parsed.mtimeNs);
}

export async function writeMtime(record: string, id: Identity, mtimeNs: bigint): Promise<void> {
  const handle = await open(
    record,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.writeFile(JSON.stringify({ dev: id.dev, ino: id.ino, mtimeNs: String(mtimeNs) }));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Sets `dir`'s mtime back to `mtimeNs` unless it has it already (its atime stays). */
export async function restoreMtime(dir: Dir, mtimeNs: bigint | undefined): Promise<void> {
  if (mtimeNs === undefined) return;
  if ((await stat(dir.at(), { bigint: true })).mtimeNs === mtimeNs) return;
  await setTimes(dir, undefined, { mtimeNs });
}
