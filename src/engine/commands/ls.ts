import type { Runner } from '../runner.js';
import type { LsNode, OperationOptions, RepositoryLocation, SnapshotSummary } from '../types.js';
import { toSnapshot } from './snapshots.js';

export interface LsOptions extends OperationOptions {
  /** List only this directory (not recursive); absent: the whole snapshot, streamed. */
  dir?: string;
  onNode: (node: LsNode) => void;
}

/** Streams a snapshot's entries one JSON line at a time; returns the snapshot it listed. */
export async function ls(
  runner: Runner,
  repo: RepositoryLocation,
  snapshotId: string,
  opts: LsOptions,
): Promise<SnapshotSummary | undefined> {
  const args = ['ls', '--json', '--no-lock', snapshotId];
  if (opts.dir) args.push('--', opts.dir);
  let snapshot: SnapshotSummary | undefined;
  await runner.exec(repo, args, {
    ...opts,
    locks: false,
    onJson: (m) => {
      const o = m as Record<string, unknown>;
      // restic 0.14 prints the listed directory itself before its entries.
      if (o.struct_type === 'node' && o.path !== opts.dir) opts.onNode(toNode(o));
      else if (o.struct_type === 'snapshot') snapshot = toSnapshot(o);
    },
  });
  return snapshot;
}

function toNode(o: Record<string, unknown>): LsNode {
  return {
    name: String(o.name),
    type: String(o.type) as LsNode['type'],
    path: String(o.path),
    size: typeof o.size === 'number' ? o.size : undefined,
    mode: typeof o.mode === 'number' ? unixMode(o.mode) : undefined,
    mtime: typeof o.mtime === 'string' ? o.mtime : undefined,
    uid: typeof o.uid === 'number' ? o.uid : undefined,
    gid: typeof o.gid === 'number' ? o.gid : undefined,
    linkTarget: typeof o.linktarget === 'string' ? o.linktarget : undefined,
  };
}

// Go's os.FileMode keeps the special bits far above the Unix ones.
const GO_SETUID = 1 << 23;
const GO_SETGID = 1 << 22;
const GO_STICKY = 1 << 20;

export function unixMode(goMode: number): number {
  let mode = goMode & 0o777;
  if (goMode & GO_SETUID) mode |= 0o4000;
  if (goMode & GO_SETGID) mode |= 0o2000;
  if (goMode & GO_STICKY) mode |= 0o1000;
  return mode;
}

/**
 * Where the symlink at `path` points, or undefined when there is none there. restic's JSON
 * listing leaves link targets out (0.14 to 0.18); its long listing ends the line with
 * `<path> -> <target>`.
 */
export async function linkTarget(
  runner: Runner,
  repo: RepositoryLocation,
  snapshotId: string,
  path: string,
  opts: OperationOptions = {},
): Promise<string | undefined> {
  let target: string | undefined;
  const marker = ` ${path} -> `;
  await runner.exec(repo, ['ls', '-l', '--no-lock', snapshotId, '--', path], {
    ...opts,
    locks: false,
    onStdout: (line) => {
      const at = line.indexOf(marker);
      if (at >= 0 && line.startsWith('L')) target = line.slice(at + marker.length);
    },
  });
  return target;
}
