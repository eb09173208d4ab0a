/**
 * CA certificates of private S3 endpoints, as files for restic's `--cacert` and rclone's
 * RCLONE_CA_CERT. One file per distinct certificate, named by its content, so targets that share
 * a CA share the file and a changed certificate gets a new one. Files no target uses any more
 * are removed when schedules are saved or deleted and at start; a connection test writes into
 * its own temporary directory and never here.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const NAME = /^[0-9a-f]{16}\.pem$/;

export function caCertFileName(pem: string): string {
  return `${createHash('sha256').update(pem).digest('hex').slice(0, 16)}.pem`;
}

/** Writes the certificate (public, so 0644) and returns its file. */
export async function writeCaCert(pem: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const file = join(dir, caCertFileName(pem));
  await writeFile(file, pem, { mode: 0o644 });
  return file;
}

/**
 * Removes every certificate file in `dir` whose certificate is not in `inUse`; files of other
 * names are left alone. Left open: a run that wrote its file an instant before an edit took the
 * certificate's last use away, and had not started restic yet, fails with a certificate error;
 * it was running with the old target anyway, and the next run writes the file again.
 */
export async function sweepCaCerts(dir: string, inUse: Iterable<string>): Promise<string[]> {
  const keep = new Set([...inUse].map(caCertFileName));
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return removed;
    throw error;
  }
  for (const name of names) {
    if (!NAME.test(name) || keep.has(name)) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
