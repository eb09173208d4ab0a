// A small file system to play a full local target disk: a tmpfs of `sizeMiB` mounted on a fresh temp
// dir (needs root / CAP_SYS_ADMIN; works in this sandbox). If tmpfs cannot be mounted, a loop-mounted
// ext4 image is tried (opts.kind = 'ext4' forces that).
//
//   const fs = await mountSmallFs(8);
//   restic -r ${fs.path}/repo init / backup ...   -> "no space left on device" once it is full
//   await fs.unmount();
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface SmallFs {
  /** The mount point (empty, writable by root). */
  path: string;
  kind: 'tmpfs' | 'ext4';
  unmount(): Promise<void>;
}

const mounted = new Map<string, string>(); // mount point -> temp base dir
process.once('exit', () => {
  for (const [mountPoint, base] of mounted) {
    spawnSync('umount', ['-l', mountPoint]);
    spawnSync('rm', ['-rf', '--one-file-system', base]);
  }
});

export async function mountSmallFs(
  sizeMiB: number,
  opts: { kind?: 'tmpfs' | 'ext4' } = {},
): Promise<SmallFs> {
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1) throw new Error('sizeMiB must be an integer >= 1');
  const base = await mkdtemp(join(tmpdir(), 'hv-smallfs-'));
  const mountPoint = join(base, 'mnt');
  await mkdir(mountPoint);
  let kind: 'tmpfs' | 'ext4' = opts.kind ?? 'tmpfs';
  try {
    if (kind === 'tmpfs') {
      try {
        await execFileAsync('mount', [
          '-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'hv-smallfs', mountPoint,
        ]); // prettier-ignore
      } catch {
        kind = 'ext4';
      }
    }
    if (kind === 'ext4') {
      const image = join(base, 'fs.img');
      await execFileAsync('truncate', ['-s', `${sizeMiB}M`, image]);
      await execFileAsync('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
      await execFileAsync('mount', ['-o', 'loop', image, mountPoint]);
    }
  } catch (err) {
    await rm(base, { recursive: true, force: true });
    throw err;
  }
  mounted.set(mountPoint, base);

  let done = false;
  return {
    path: mountPoint,
    kind,
    async unmount() {
      if (done) return;
      done = true;
      try {
        await execFileAsync('umount', [mountPoint]);
      } catch {
        // busy (e.g. a process still has a file open): detach it lazily
        await execFileAsync('umount', ['-l', mountPoint]);
      }
      mounted.delete(mountPoint);
      await rm(base, { recursive: true, force: true });
    },
  };
}
