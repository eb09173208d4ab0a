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
};

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
