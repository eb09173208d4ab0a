/**
 * The API's answers as the page uses them. They mirror the server's schemas (src/api/*-routes.ts,
 * docs/api.md); timestamps are ISO 8601 in UTC.
 */
export type Role = 'admin' | 'customer';

export interface Session {
  user: { username: string | null; role: Role; customerId: string | null };
  via: 'session' | 'token';
  csrfToken: string | null;
  expiresAt: string | null;
}

export type TargetKind = 'local' | 's3' | 'ftp';
export type Frequency = 'hourly' | 'daily' | 'weekly' | 'monthly';
export type JobStatus = 'pending' | 'running' | 'successful' | 'failed' | 'canceled';
export type JobType = 'backup' | 'restore' | 'maintenance';

export interface Schedule {
  id: number;
  ownerKind: 'customer' | 'server';
  customerId: string | null;
  name: string;
  scope: string;
  frequency: Frequency;
  hour: number;
  day: number | null;
  /** Minute of the hour its runs start at: the same for all of a customer's schedules. */
  startMinute: number;
  retention: number;
  target: Record<string, unknown> & { kind: TargetKind };
  enabled: boolean;
  nextRunAt: string | null;
  lastStatus: string | null;
  lastJobId: number | null;
  lastSuccessAt: string | null;
  overdue: boolean;
}

export interface JobProgress {
  percent: number;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  currentFile?: string;
  etaSeconds?: number;
}

export interface Job {
  id: number;
  type: JobType;
  status: JobStatus;
  scheduleId: number | null;
  customerId: string | null;
  scheduleName: string | null;
  scope: string | null;
  trigger: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: JobProgress | null;
  error: string | null;
  snapshotId: string | null;
  bytesAdded: number | null;
  bytesProcessed: number | null;
  restore: RestoreSummary | null;
}

/** What a restore job restores and from which snapshot (restore jobs only). */
export interface RestoreSummary {
  what: RestoreWhat;
  path?: string;
  database?: string;
  mailbox?: string;
  repositoryId: number;
  snapshotId: string;
  /** Null for restores queued before the service recorded it. */
  snapshotTime: string | null;
  /** Restores a safety snapshot: the restore job whose changes it undoes. */
  undoes: number | null;
}

export interface JobDetail extends Job {
  log: string;
  stats: unknown;
}

export interface JobPage {
  jobs: Job[];
  total: number;
  offset: number;
  limit: number;
}

export interface ActiveTask {
  id: number;
  type: JobType;
  status: 'pending' | 'running';
  scheduleId: number | null;
  scheduleName: string | null;
  scope: string | null;
  customerId: string | null;
  createdAt: string;
  startedAt: string | null;
  progress: JobProgress | null;
  restore: RestoreSummary | null;
}

/** A restore as the restore route takes it. */
export interface RestoreRequest {
  what: RestoreWhat;
  path?: string;
  database?: string;
  mailbox?: string;
  keepNewerMail?: boolean;
}

export interface Snapshot {
  repositoryId: number;
  id: string;
  scheduleId: number | null;
  time: string;
  scope: string | null;
  contents: string[];
  size: number | null;
  /** safety: what a restore saved before it overwrote live data; restoring it undoes that. */
  kind: 'backup' | 'safety';
  safety?: {
    label: string;
    restoreJobId: number;
    holds: string;
    /** The one request this snapshot accepts: it puts back what it saved. */
    undo: RestoreRequest;
  };
}

/** What the caller's package allows; administrators get every frequency and no limits. */
export interface PackageInfo {
  packageName: string | null;
  frequencies: Frequency[];
  /** 0 = unlimited. */
  maxRetention: number;
  /** 0 = unlimited. */
  maxSchedules: number;
  schedules: number;
  included: boolean;
}

export interface BrowseEntry {
  name: string;
  type: string;
  /** The path to browse or download, under the friendly roots (/Web files/...). */
  path: string;
  /** The file in the customer's areas, for Restore of a single file; none for database dumps. */
  realPath?: string;
  size?: number | null;
  mtime?: string | null;
}

export interface BrowseListing {
  path: string;
  entries: BrowseEntry[];
  total: number;
  offset: number;
  limit: number;
}

export interface Customer {
  id: string;
  name: string;
  packageId: string;
}

export interface Package {
  id: string;
  name: string;
  frequencies: Frequency[];
  maxRetention: number;
  maxSchedules: number;
}

/** Test connection: every step passed, or the one that failed and why. */
export type TargetTest =
  | { ok: true; steps: { step: string; message: string }[] }
  | { ok: false; step: string; message: string; steps: { step: string; message: string }[] };

/** A target in use: GET /api/admin/targets, secrets masked. */
export interface AdminTarget {
  key: string;
  kind: TargetKind;
  location: string;
  container: string;
  target: Record<string, unknown> & { kind: TargetKind };
  testScheduleId: number;
  uses: { scheduleId: number; scheduleName: string; owner: string; repository: string }[];
}

export interface Repository {
  id: number;
  owner: string;
  targetKind: TargetKind;
  url: string;
  createdAt: string;
  initializedAt: string | null;
}

export interface FieldError {
  field: string;
  message: string;
}

export type RestoreWhat =
  'web' | 'databases' | 'database' | 'email' | 'mailbox' | 'everything' | 'file';

/** The signed-in customer's databases and mailbox addresses (GET /api/me/areas). */
export interface MyAreas {
  databases: string[];
  mailboxes: string[];
}
