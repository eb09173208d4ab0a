/**
 * Sparse files stay sparse. restic 0.15+ restores all-zero chunks as holes (`restore --sparse`,
 * which the engine passes where the version has it). restic 0.14 writes every zero: a 1 GiB disk
 * image holding 4 KiB of data came back occupying 1 GiB. There, the staged tree is searched for
 * files with zero blocks before it is flushed, and util-linux's `fallocate --dig-holes` turns
 * those blocks back into holes; zeros punched out before writeback never reach the disk.
 *
 * Only files of at least MIN_BYTES are searched: a hole in a smaller one saves less than that,
 * and every file searched is read once more (from the page cache, restic has just written it).
 * Reads use O_NOATIME, and the times fallocate changes are set back to the nanosecond, so the
 * staged files keep exactly the times restic gave them.
 */
import { spawn } from 'node:child_process';
import { constants, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Restic } from '../engine/index.js';
import { setTimesOf, timesOf } from './times.js';

/** Files below this size are not searched for zero blocks. */
export const MIN_BYTES = 1024 * 1024;
/** The unit fallocate punches: the filesystem block (4 KiB on ext4 and XFS). */
const BLOCK = 4096;
const CHUNK = 1024 * 1024;
const ZERO = Buffer.alloc(BLOCK);

export interface HoleStats {
  /** Files read in search of zero blocks. */
  searched: number;
  /** Files with zero blocks, turned sparse. */
  sparse: number;
  bytesSearched: number;
  ms: number;
}

/**
 * Gives back the holes of the files restic staged under `root` (a file or a directory in a
 * root-only staging directory), where this restic could not keep them itself.
 */
export async function restoreHoles(
  restic: Restic,
  root: string,
  onLog?: (line: string) => void,
): Promise<HoleStats | undefined> {
  if (restic.features.restoreSparse) return undefined;
  const started = performance.now();
  const stats: HoleStats = { searched: 0, sparse: 0, bytesSearched: 0, ms: 0 };
  // One buffer per call: a fresh megabyte for every file cost more in page faults than the reads.
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (const { path, size } of await candidates(root)) {
    stats.searched++;
    stats.bytesSearched += size;
    const handle = await open(path, constants.O_RDONLY | constants.O_NOATIME).catch(() =>
      open(path, constants.O_RDONLY),
    );
    try {
      if (!(await hasZeroBlock(handle, buffer))) continue;
      const before = await handle.stat({ bigint: true });
      try {
        // Through the descriptor: names need not be valid UTF-8 to reach fallocate.
        await digHoles(handle.fd);
        stats.sparse++;
      } finally {
        await setTimesOf(handle.fd, timesOf(before));
      }
    } catch (error) {
      // The data is complete either way; a filesystem without hole punching keeps it dense.
      onLog?.(`files stay dense: ${error instanceof Error ? error.message : String(error)}`);
      break;
    } finally {
      await handle.close();
    }
  }
  stats.ms = Math.round(performance.now() - started);
  if (stats.searched)
    onLog?.(
      `searched ${stats.searched} file(s), ${Math.round(stats.bytesSearched / 1048576)} MiB, for zero blocks in ${stats.ms} ms; ${stats.sparse} made sparse again`,
    );
  return stats;
}

/**
 * Regular files of at least MIN_BYTES under `root`, each inode once (restic restores hard
 * links). GNU find walks a 50,000-file tree in a fraction of the time that lstat through Node's
 * thread pool takes; symlinks are never followed (-P). Paths stay bytes.
 */
async function candidates(root: string): Promise<{ path: Buffer; size: number }[]> {
  const stdout = await output('find', [
    '-P',
    root,
    '-xdev',
    '-type',
    'f',
    '-size',
    `+${MIN_BYTES - 1}c`,
    '-printf',
    '%i %s %p\\0',
  ]);
  const seen = new Set<string>();
  const out: { path: Buffer; size: number }[] = [];
  for (let start = 0; start < stdout.length;) {
    const end = stdout.indexOf(0, start);
    const record = stdout.subarray(start, end < 0 ? stdout.length : end);
    start = end < 0 ? stdout.length : end + 1;
    const first = record.indexOf(0x20);
    const second = record.indexOf(0x20, first + 1);
    if (first < 0 || second < 0) continue;
    const inode = record.subarray(0, first).toString();
    if (seen.has(inode)) continue;
    seen.add(inode);
    out.push({
      size: Number(record.subarray(first + 1, second).toString()),
      path: Buffer.from(record.subarray(second + 1)),
    });
  }
  return out;
}

/**
 * True when one aligned block of the file is all zeros (a hole fallocate can punch). Reads are
 * synchronous, a few at a time between turns of the event loop: through the thread pool the same
 * search took three times the CPU.
 */
export async function hasZeroBlock(
  handle: FileHandle,
  buffer = Buffer.allocUnsafe(CHUNK),
): Promise<boolean> {
  for (let position = 0, chunks = 0; ; chunks++) {
    if (chunks % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
    const bytesRead = readSync(handle.fd, buffer, 0, buffer.length, position);
    if (bytesRead === 0) return false;
    // A short read ends at the file's end: its last partial block cannot be punched.
    for (let at = 0; at + BLOCK <= bytesRead; at += BLOCK)
      if (buffer.compare(ZERO, 0, BLOCK, at, at + BLOCK) === 0) return true;
    position += bytesRead;
  }
}

/** `fallocate --dig-holes` on the open file, passed to it as its fd 3. */
function digHoles(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('fallocate', ['--dig-holes', '/proc/self/fd/3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(stderr.trim() || `fallocate exited ${code}`)),
    );
  });
}

function output(command: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(chunks))
        : reject(new Error(`${command} failed (${code}): ${stderr.trim()}`)),
    );
  });
}
