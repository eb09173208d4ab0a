/**
 * The six backup scopes a customer chooses from, and the content each one carries. Snapshots are
 * tagged with their content so the Restore tab can tell what is inside without opening them.
 */
export const SCOPES = ['full', 'web', 'databases', 'email', 'ssl', 'config'] as const;
export type Scope = (typeof SCOPES)[number];

export const CONTENTS = ['web', 'db', 'mail', 'ssl', 'config'] as const;
export type Content = (typeof CONTENTS)[number];

export const SCOPE_CONTENTS: Record<Scope, readonly Content[]> = {
  full: CONTENTS,
  web: ['web'],
  databases: ['db'],
  email: ['mail'],
  ssl: ['ssl'],
  config: ['config'],
};

export const SCOPE_LABELS: Record<Scope, string> = {
  full: 'Full',
  web: 'Web',
  databases: 'Databases',
  email: 'Email',
  ssl: 'SSL',
  config: 'Configuration',
};

/**
 * Snapshot tags. restic tags are plain strings; `key=value` keeps them readable in plain restic
 * and filterable with `--tag`.
 */
export const tag = {
  customer: (id: string) => `customer=${id}`,
  schedule: (id: string | number) => `schedule=${id}`,
  scope: (scope: Scope) => `scope=${scope}`,
  content: (content: Content) => `content=${content}`,
  /** Safety snapshots taken before a restore overwrites live data. */
  safety: 'safety',
  /** The restore job a safety snapshot belongs to. */
  job: (id: string | number) => `job=${id}`,
  /** A database dump streamed into a snapshot of its own (restic 0.17+): which database. */
  database: (name: string) => `database=${name}`,
  /** On a backup's snapshot: the snapshot that holds the streamed dump of one of its databases. */
  dump: (database: string, snapshotId: string) => `dump=${database}@${snapshotId}`,
};

/**
 * The tags of the snapshot one database's streamed dump makes. It carries the customer's and
 * the schedule's tags, so deleting a schedule forgets it with the rest, but no scope tag: it is
 * a part of the backup whose snapshot names it (`tag.dump`), never a backup of its own, and
 * `isDumpSnapshot` keeps it out of "latest" and out of retention's count.
 */
export function dumpTags(opts: {
  customer: string;
  schedule: string | number;
  database: string;
}): string[] {
  return [
    tag.customer(opts.customer),
    tag.schedule(opts.schedule),
    tag.content('db'),
    tag.database(opts.database),
  ];
}

/** A streamed dump's snapshot, part of a backup (see dumpTags). */
export function isDumpSnapshot(tags: readonly string[]): boolean {
  return tags.some((t) => t.startsWith('database='));
}

/**
 * The snapshots holding a backup's streamed dumps, by database, read off the backup snapshot's
 * tags; empty for a backup whose dumps are inside its own snapshot (restic 0.14, or older).
 */
export function streamedDumps(tags: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const t of tags) {
    const match = /^dump=([A-Za-z0-9_]{1,64})@([0-9a-f]{8,64})$/.exec(t);
    if (match) found.set(match[1]!, match[2]!);
  }
  return found;
}

/**
 * The one tag rule of safety snapshots (web, mail, SSL and configuration areas, single files,
 * databases alike): `restic snapshots --tag safety,job=<id>` finds every one a restore saved,
 * and a schedule's tag never appears, so schedule retention and "latest" never pick them.
 */
export function safetyTags(opts: {
  restoreJob: string | number;
  customer: string;
  content: Content;
}): string[] {
  return [
    tag.safety,
    tag.job(opts.restoreJob),
    tag.customer(opts.customer),
    tag.content(opts.content),
  ];
}

export function tagsFor(opts: {
  customer: string;
  schedule?: string | number;
  scope: Scope;
}): string[] {
  const tags = [tag.customer(opts.customer), tag.scope(opts.scope)];
  if (opts.schedule !== undefined) tags.push(tag.schedule(opts.schedule));
  for (const content of SCOPE_CONTENTS[opts.scope]) tags.push(tag.content(content));
  return tags;
}

/** Reads the contents back from a snapshot's tags. */
export function contentsOf(tags: readonly string[]): Content[] {
  return CONTENTS.filter((c) => tags.includes(tag.content(c)));
}
