import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type {
  ApiTokensTable,
  SessionsTable,
  SignedLinkUsesTable,
  UsersTable,
} from './schema-auth.js';
import type {
  CustomerLifecycleTable,
  DrillsTable,
  LifecycleAuditTable,
  JobsTable,
  PlannerLeasesTable,
  SchedulesTable,
  SnapshotHoldsTable,
  SnapshotsTable,
  TargetsTable,
} from './schema-control.js';
import type { CustomersTable, PackagesTable } from './schema-inventory.js';
import type { ServerEnrollmentsTable, ServersTable } from './schema-fleet.js';
import type { OverdueWarningsTable } from './schema-notify.js';

export type * from './schema-auth.js';
export type * from './schema-control.js';
export type * from './schema-fleet.js';
export type * from './schema-inventory.js';
export type * from './schema-notify.js';

/**
 * Table types of the metadata store, as the code after the latest migration sees them.
 * Migrations do not import these: each one must keep working on the schema it was written for.
 */
export interface Database {
  repositories: RepositoriesTable;
  packages: PackagesTable;
  customers: CustomersTable;
  schedules: SchedulesTable;
  targets: TargetsTable;
  jobs: JobsTable;
  snapshots: SnapshotsTable;
  snapshot_holds: SnapshotHoldsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  signed_link_uses: SignedLinkUsesTable;
  overdue_warnings: OverdueWarningsTable;
  planner_leases: PlannerLeasesTable;
  drills: DrillsTable;
  servers: ServersTable;
  server_enrollments: ServerEnrollmentsTable;
  customer_lifecycle: CustomerLifecycleTable;
  lifecycle_audit: LifecycleAuditTable;
}

/** 'vault' since migration 0017. */
export type TargetKind = 'local' | 's3' | 'ftp' | 'vault';

/** One restic repository per (target, owner). */
export interface RepositoriesTable {
  id: Generated<number>;
  /** The restic repository location, e.g. `/var/lib/hostvault/repos/c42` or `s3:https://…/c42`. */
  url: string;
  /** A customer id, or the literal 'server' for server-wide backups. */
  owner: string;
  target_kind: TargetKind;
  /** The repository password sealed by the Keyring, with the url as context. */
  password_sealed: string;
  /** ISO 8601 timestamps in UTC. */
  created_at: string;
  /** Set once `restic init` succeeded (or an existing repository opened with the password). */
  initialized_at: string | null;
  /** Last maintenance (migration 0006). */
  last_prune_at: string | null;
  last_check_at: string | null;
  /**
   * The target it is reached through (migration 0010): that of the schedule that used it last.
   * Null for repositories no target record knows (see the migration).
   */
  target_id: number | null;
}

export type Repository = Selectable<RepositoriesTable>;
export type NewRepository = Insertable<RepositoriesTable>;
export type RepositoryUpdate = Updateable<RepositoriesTable>;
