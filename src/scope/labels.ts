/**
 * The friendly roots a customer sees when browsing a snapshot, in display order. The one place for
 * these words: the API, the UI and the tests read them from here. The keys are the content tags
 * snapshots carry (web, db, mail, ssl, config).
 */
export const ROOT_GROUPS = [
  { key: 'web', label: 'Web files' },
  { key: 'db', label: 'Databases' },
  { key: 'mail', label: 'Email' },
  { key: 'ssl', label: 'SSL' },
  { key: 'config', label: 'Configuration' },
] as const;

export type RootGroup = (typeof ROOT_GROUPS)[number]['key'];

/**
 * Groups whose roots are the service's own directories, not the customer's: databases are dumped
 * into the data directory's staging before restic reads them. Their snapshot paths say where the
 * service keeps its data, so they never leave the service; a customer knows them only by their
 * friendly path ("/Databases/shop.sql").
 */
export const SERVICE_GROUPS: ReadonlySet<RootGroup> = new Set<RootGroup>(['db']);

/**
 * Files the service keeps beside a customer's data for itself, hidden from browsing: the table
 * checksums recorded with each dump (`<db>.checksums.json`), which a restore compares against.
 * They are of no use to a customer and would read as a second copy of each database.
 */
export function isServiceFile(group: RootGroup, name: string): boolean {
  return group === 'db' && name.endsWith('.checksums.json');
}

/** Label of each group, for lookups by key. */
export const ROOT_LABELS: Readonly<Record<RootGroup, string>> = Object.fromEntries(
  ROOT_GROUPS.map((g) => [g.key, g.label]),
) as Record<RootGroup, string>;

/**
 * What a customer's snapshot holds under each group: absolute paths as they appear in the
 * snapshot (a web root, the database staging directory, Maildirs, certificate files...).
 */
export type FriendlyRoots = Partial<Record<RootGroup, readonly string[]>>;

/**
 * How the Restore tab, the command line and a restore's undo line name a safety snapshot: by the
 * restore job that saved it.
 */
export function safetyLabel(row: { restore_job_id?: number | null }): string {
  return `Safety copy before restore #${row.restore_job_id ?? '?'}`;
}
