import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation, SnapshotSummary } from '../types.js';

export interface SnapshotFilter extends OperationOptions {
  /** Snapshots carrying all of these tags. */
  tags?: string[];
  host?: string;
  /** Only these snapshots (full or short ids). */
  ids?: string[];
}

export async function snapshots(
  runner: Runner,
  repo: RepositoryLocation,
  opts: SnapshotFilter = {},
): Promise<SnapshotSummary[]> {
  const args = ['snapshots', '--json', '--no-lock'];
  // restic ORs repeated --tag flags and ANDs the comma-separated tags within one.
  if (opts.tags?.length) args.push('--tag', opts.tags.join(','));
  if (opts.host) args.push('--host', opts.host);
  if (opts.ids?.length) args.push('--', ...opts.ids);
  let list: SnapshotSummary[] = [];
  await runner.exec(repo, args, {
    ...opts,
    locks: false,
    onJson: (m) => {
      if (Array.isArray(m)) list = m.map(toSnapshot);
    },
  });
  return list;
}

export function toSnapshot(raw: unknown): SnapshotSummary {
  const s = raw as Record<string, unknown>;
  return {
    id: String(s.id),
    shortId: String(s.short_id ?? String(s.id).slice(0, 8)),
    time: String(s.time),
    parent: typeof s.parent === 'string' ? s.parent : undefined,
    tree: String(s.tree),
    paths: Array.isArray(s.paths) ? s.paths.map(String) : [],
    hostname: String(s.hostname ?? ''),
    username: typeof s.username === 'string' ? s.username : undefined,
    tags: Array.isArray(s.tags) ? s.tags.map(String) : [],
    // Set by `copy` on the snapshot it writes: the id of the snapshot it copies.
    ...(typeof s.original === 'string' ? { original: s.original } : {}),
  };
}
