import type { Generated, Selectable } from 'kysely';

/** Table types of schedules, jobs and snapshots (migration 0003). */
export interface SchedulesTable {
  id: Generated<number>;
  owner_kind: 'customer' | 'server';
  customer_id: string | null;
  name: string;
  scope: string;
  frequency: string;
  hour: number;
  day: number | null;
  retention: number;
  /**
   * The target it backs up to (migration 0010; src/repository/target-records.ts). Null only in
   * rows written past the schedule service: the column is nullable because SQLite adds no NOT NULL
   * column without a default.
   */
  target_id: number | null;
  enabled: number;
  next_run_at: string | null;
  last_job_id: number | null;
  last_status: string | null;
  last_success_at: string | null;
  created_at: string;
  updated_at: string;
  /** A server-wide schedule's hosting server (migration 0015); null: its customer's server. */
  server_id: Generated<string | null>;
  /** The second copy's target record (migration 0018); null: no second copy. */
  copy_target_id: Generated<number | null>;
  /** Snapshots the second copy keeps (migration 0018). */
  copy_retention: Generated<number | null>;
  /** The last copy's outcome and when (migration 0018). */
  copy_status: Generated<string | null>;
  copy_at: Generated<string | null>;
}

export type JobType = 'backup' | 'restore' | 'maintenance' | 'drill' | 'copy' | 'lifecycle';
export type JobStatus = 'pending' | 'running' | 'successful' | 'failed' | 'canceled';

export interface JobsTable {
  id: Generated<number>;
  type: JobType;
  status: JobStatus;
  schedule_id: number | null;
  customer_id: string | null;
  schedule_name: string | null;
  scope: string | null;
  trigger: string;
  params: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  progress: string | null;
  log: string | null;
  error: string | null;
  snapshot_id: string | null;
  bytes_added: number | null;
  bytes_processed: number | null;
  stats: string | null;
  /** The schedule slot a scheduled backup was started for (migration 0011); unique per schedule. */
  slot: string | null;
  /** 'mass_change': the guard flagged this backup (migration 0013, src/backup/mass-change.ts). */
  flag: Generated<string | null>;
  /** The worker instance that claimed the job (migration 0016, src/job/worker.ts). */
  owner: Generated<string | null>;
  /** Until when (ISO 8601) its owner vouches for the running job; past it, the owner is dead. */
  lease_until: Generated<string | null>;
}

/** Who plans schedules and maintenance, and until when (migration 0011; planner-lease.ts). */
export interface PlannerLeasesTable {
  name: string;
  holder: string;
  /** ISO 8601 UTC; after it, anyone may take the lease. */
  expires_at: string;
  /** Counted up at every change of holder. */
  term: number;
  acquired_at: string;
}

export interface SnapshotsTable {
  id: string;
  repository_id: number;
  schedule_id: number | null;
  customer_id: string;
  time: string;
  scope: string | null;
  contents: string;
  roots: string | null;
  size: number | null;
  tags: string;
  /** backup: made by a schedule. safety: saved by a restore before it overwrote (migration 0008). */
  kind: Generated<SnapshotKind>;
  /** For a safety snapshot: the restore job that saved it. */
  restore_job_id: number | null;
  /** For a safety snapshot: the restore request (JSON) that puts back what it saved. */
  undo: string | null;
  /** Files the backup read (migration 0013); null for rows recorded before. */
  files: Generated<number | null>;
  /** Share of the previous backup's files this one changed or deleted (migration 0013). */
  change_share: Generated<number | null>;
  /** Estimated share of files whose new content reads as random (migration 0013). */
  random_share: Generated<number | null>;
  /** On a second copy's row: the first repository's snapshot it copies (migration 0018). */
  copy_of: Generated<string | null>;
}

export type HoldKind = 'legal' | 'keep' | 'guard';

/** Holds on snapshots (migration 0013); owned by src/repository/snapshot-holds.ts. */
export interface SnapshotHoldsTable {
  id: Generated<number>;
  repository_id: number;
  snapshot_id: string;
  customer_id: string;
  kind: HoldKind;
  reason: string;
  /** ISO 8601 UTC; null: until released. */
  expires_at: string | null;
  /** 'admin', 'customer:<id>' or 'guard'. */
  created_by: string;
  created_at: string;
  /** For a guard hold: the backup job that was flagged. */
  job_id: number | null;
}

export type SnapshotKind = 'backup' | 'safety';

/**
 * Where repositories live, with the credentials that open them (migration 0010). Owned by
 * src/repository/target-records.ts, its one reader and writer.
 */
export interface TargetsTable {
  id: Generated<number>;
  /** A customer id, or the literal 'server': as `repositories.owner`. */
  owner: string;
  kind: 'local' | 's3' | 'ftp' | 'vault';
  /** The whole target as JSON, secrets included, sealed by the Keyring. */
  sealed: string;
  /**
   * The context `sealed` was sealed under: 'target' (`target:<id>`), or 'schedule'
   * (`schedule-target:<id>`) for a target migration 0010 moved from the schedule of the same id.
   */
  sealed_as: Generated<'target' | 'schedule'>;
  /** Who chose the target's server; see src/target/origin.ts. */
  origin: 'provider' | 'customer';
  created_at: string;
  updated_at: string;
}

export type ScheduleRow = Selectable<SchedulesTable>;
export type JobRow = Selectable<JobsTable>;
export type SnapshotRow = Selectable<SnapshotsTable>;
export type TargetRow = Selectable<TargetsTable>;
export type SnapshotHoldRow = Selectable<SnapshotHoldsTable>;

/** One restore drill of a snapshot (migration 0014; src/drill/drill-records.ts). */
export interface DrillsTable {
  id: Generated<number>;
  job_id: number | null;
  snapshot_id: string;
  repository_id: number;
  customer_id: string;
  status: 'verified' | 'failed';
  finished_at: string;
  files_compared: Generated<number>;
  databases_compared: Generated<number>;
  /** What differed, in the provider's words; null when verified. */
  difference: string | null;
}

export type DrillRow = Selectable<DrillsTable>;

/** A suspended or terminated customer (migration 0018; src/lifecycle/lifecycle-records.ts). */
export interface CustomerLifecycleTable {
  customer_id: string;
  state: 'suspended' | 'terminated';
  changed_at: string;
  /** Terminated: when the backups go. */
  purge_after: string | null;
  purged_at: string | null;
}

/** What the life cycle did (migration 0018; src/lifecycle/lifecycle-records.ts). */
export interface LifecycleAuditTable {
  id: Generated<number>;
  customer_id: string;
  /** suspend, terminate, final_backup, purge, purge_path, reactivate */
  action: string;
  at: string;
  /** 'admin', 'panel' (an API token), 'system' (the purge when due). */
  actor: string;
  /** JSON: what it touched (job ids, repositories, snapshots, paths). */
  detail: string;
}

export type CustomerLifecycleRow = Selectable<CustomerLifecycleTable>;
export type LifecycleAuditRow = Selectable<LifecycleAuditTable>;
