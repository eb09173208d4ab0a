/**
 * The host's half of the mass-change guard's second signal: has the content of the files that
 * changed turned incompressible (encrypted)?
 *
 * DECISION — a byte-entropy sample, not restic's compression ratio: restic 0.14 (Debian 12)
 * writes repository format 1 without compression, so "data added against data read" says nothing
 * about compressibility there, and 0.17+ reports no per-file ratio either. Instead, after the
 * backup, the files of the web and mail areas modified since the previous backup (mtime, which
 * restic's own change detection also reads) are counted, up to SAMPLE_FILES of them are picked
 * evenly, and the first SAMPLE_BYTES of each are read: a file whose bytes carry at least
 * RANDOM_BITS bits of Shannon entropy per byte is "random" (encrypted or already compressed:
 * text, HTML, PHP and SQL stay far below 6; JPEG and ZIP come close to 8, which is why the
 * guard's decision (src/backup/mass-change.ts) weighs the share of random files among changed
 * ones against how many files changed, not the entropy alone). Reading 64 files × 64 KiB costs
 * milliseconds; the walk is one lstat per file, bounded by MAX_WALK.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export const SAMPLE_FILES = 64;
export const SAMPLE_BYTES = 64 * 1024;
export const RANDOM_BITS = 7.5;
/** Entries looked at, at most: a tree larger than this is sampled from its first part. */
export const MAX_WALK = 500_000;

export interface ChangeSample {
  /** Files modified since `since`. */
  modified: number;
  /** Of those, how many were read. */
  sampled: number;
  /** Of those read, how many look random (encrypted or compressed). */
  random: number;
}

/** Shannon entropy of `bytes` in bits per byte (0–8). */
export function entropy(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  const counts = new Array<number>(256).fill(0);
  for (const b of bytes) counts[b] = (counts[b] ?? 0) + 1;
  let h = 0;
  for (const c of counts) {
    if (c === 0) continue;
    const p = c / bytes.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Files under `roots` (never following links) modified after `since`, sampled as above. */
export async function sampleChanges(roots: readonly string[], since: Date): Promise<ChangeSample> {
  const modified: string[] = [];
  let seen = 0;
  const stack = [...roots];
  while (stack.length > 0 && seen < MAX_WALK) {
    const path = stack.pop()!;
    const info = await lstat(path).catch(() => undefined);
    seen++;
    if (!info) continue;
    if (info.isDirectory()) {
      const names = await readdir(path).catch(() => [] as string[]);
      for (const name of names) stack.push(join(path, name));
    } else if (info.isFile() && info.mtimeMs > since.getTime() && info.size > 0) {
      modified.push(path);
    }
  }
  // Evenly spread over the modified files (the walk's order groups them by folder).
  const step = Math.max(1, modified.length / SAMPLE_FILES);
  const picked: string[] = [];
  for (let i = 0; i < modified.length && picked.length < SAMPLE_FILES; i += step)
    picked.push(modified[Math.floor(i)]!);
  let random = 0;
  let sampled = 0;
  for (const path of picked) {
    const head = await readHead(path).catch(() => undefined);
    if (!head || head.length === 0) continue;
    sampled++;
    if (entropy(head) >= RANDOM_BITS) random++;
  }
  return { modified: modified.length, sampled, random };
}

async function readHead(path: string): Promise<Uint8Array> {
  // Never through a link swapped in since the walk, never blocking on a FIFO.
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SAMPLE_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
