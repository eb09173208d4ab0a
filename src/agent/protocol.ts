/**
 * What the control plane and a hosting server's agent say to each other: every request, answer
 * and event as a zod schema of plain data (no functions, classes or streams), so the in-process
 * agent of `hostvault serve` and a network transport later (NATS JetStream, issue 12) carry the
 * same messages. A download's bytes are the one thing outside these schemas: a stream of byte
 * chunks after its `DownloadMeta`.
 *
 * SECRETS: a `RepositoryAccess` carries the repository's password and its target carries the
 * target's credentials. Every request that holds one must never be logged, stored in a job's
 * params or put in an error text; log a request's `describe...` summary instead.
 */
import { z } from 'zod';
import { customerSchema } from '../inventory/schema.js';
import { restoreRequestSchema as pickedRestoreSchema } from '../restore-job/restore-request.js';
import { CONTENTS, SCOPES } from '../scope/scope.js';
import { ROOT_GROUPS, type RootGroup } from '../scope/labels.js';
import { ownerSchema, targetSchema } from '../target/schema.js';

const snapshotId = z.string().regex(/^[0-9a-f]{8,64}$/);
const jobId = z.number().int().positive();
const count = z.number().int().min(0);

/**
 * One repository as the control plane resolved it: where it is (the target, with credentials)
 * and its password, unsealed by the control plane for this request only. `initialized` false:
 * the store has the password but no record that `restic init` succeeded, so the agent runs it
 * first (and says so with a `repository-initialized` event). NEVER LOG: holds secrets.
 */
export const repositoryAccessSchema = z.strictObject({
  repositoryId: z.number().int().positive(),
  url: z.string().min(1),
  owner: ownerSchema,
  target: targetSchema,
  password: z.string().min(1),
  initialized: z.boolean(),
});
export type RepositoryAccess = z.infer<typeof repositoryAccessSchema>;

/** The friendly roots of a snapshot: its paths per group (Web files, Databases, ...). */
const groupKeys = ROOT_GROUPS.map((g) => g.key) as [RootGroup, ...RootGroup[]];
export const friendlyRootsSchema = z.partialRecord(
  z.enum(groupKeys),
  z.array(z.string()).readonly(),
);

/** The limits of one restic run: the whole run, and without progress. */
const limitsSchema = z.strictObject({
  timeoutMs: z.number().int().positive().optional(),
  stallMs: z.number().int().positive().optional(),
});

// ---- Events: what a running request reports before its answer ----

export const logEventSchema = z.strictObject({ kind: z.literal('log'), line: z.string() });

/** How far a run is; `fraction` from 0 to 1 of this request's work. */
export const progressEventSchema = z.strictObject({
  kind: z.literal('progress'),
  fraction: z.number().min(0).max(1),
  bytesDone: count,
  bytesTotal: count,
  filesDone: count,
  filesTotal: count,
  currentFile: z.string().optional(),
  etaSeconds: z.number().min(0).optional(),
});

/** `restic init` succeeded: the control plane records it before anything else can fail. */
export const repositoryInitializedEventSchema = z.strictObject({
  kind: z.literal('repository-initialized'),
  repositoryId: z.number().int().positive(),
});

/**
 * restic saved a safety snapshot (what a restore is about to overwrite): the control plane
 * records it at once, so it is reachable by the id the log names even when the restore fails
 * after it. `undo` is the restore request that puts it back; `holds` what it holds, in the log's
 * words.
 */
export const safetySnapshotEventSchema = z.strictObject({
  kind: z.literal('safety-snapshot'),
  id: snapshotId,
  time: z.string(),
  content: z.enum(CONTENTS),
  roots: z.array(z.string()),
  tags: z.array(z.string()),
  undo: pickedRestoreSchema,
  holds: z.string(),
});
export type SafetySnapshotEvent = z.infer<typeof safetySnapshotEventSchema>;

/** Safety snapshots their retention let go are forgotten: the control plane drops their rows. */
export const safetyForgottenEventSchema = z.strictObject({
  kind: z.literal('safety-forgotten'),
  repositoryId: z.number().int().positive(),
  ids: z.array(snapshotId),
});

export const agentEventSchema = z.discriminatedUnion('kind', [
  logEventSchema,
  progressEventSchema,
  repositoryInitializedEventSchema,
  safetySnapshotEventSchema,
  safetyForgottenEventSchema,
]);
export type AgentEvent = z.infer<typeof agentEventSchema>;
export type ProgressEvent = z.infer<typeof progressEventSchema>;

// ---- Failures: an error as data, for the transport and for the job's record ----

/** A browse or download request that cannot be answered (src/snapshot/errors.ts). */
export const BROWSE_ERROR_CODES = [
  'invalid-path',
  'invalid-snapshot-id',
  'invalid-page',
  'invalid-query',
  'outside-roots',
  'not-found',
  'not-a-directory',
  'not-a-file',
  'no-content',
  'not-open',
] as const;

export const AGENT_ERROR_CODES = [
  // restic's conditions (src/engine/errors.ts)
  'locked',
  'wrong-password',
  'no-repository',
  'already-exists',
  'bucket-missing',
  'unreachable',
  'auth-refused',
  'no-space',
  'partial',
  'canceled',
  'timeout',
  ...BROWSE_ERROR_CODES,
  // the repository needs a person (a foreign repository, a rejected key)
  'foreign-repository',
  'key-rejected',
  // a target the address policy or the schema refuses
  'target-refused',
  // this server's restic cannot do what was asked (rewrite before 0.15)
  'unsupported-version',
  // anything else: the message says what
  'failed',
] as const;
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

export const agentFailureSchema = z.strictObject({
  code: z.enum(AGENT_ERROR_CODES),
  /** In the customer's words; never holds a secret. */
  message: z.string(),
  /** restic's own words (cleaned of secrets), for the execution log. */
  detail: z.string().optional(),
  /** 'restic': restic itself failed (as opposed to a refusal of the request). */
  from: z.enum(['restic']).optional(),
});
export type AgentFailure = z.infer<typeof agentFailureSchema>;

// ---- Backup ----

/** NEVER LOG: `repository` holds secrets. */
export const backupRequestSchema = z.strictObject({
  jobId,
  repository: repositoryAccessSchema,
  /** The customer as the inventory has it: what the scope means on this server's disk. */
  customer: customerSchema,
  scheduleId: z.number().int().positive(),
  scope: z.enum(SCOPES),
  /**
   * The schedule's latest snapshot of this customer, as the store records it; null: the store
   * knows of none (the first run). Absent: the agent asks restic.
   */
  parent: snapshotId.nullable().optional(),
  /** Snapshots of this schedule the store knows of; lets retention skip a needless `forget`. */
  knownSnapshots: count.optional(),
  /** What the schedule's last successful run added: the estimate of this run's needs. */
  previousAdded: count.optional(),
  /**
   * The package's storage quota. `used` comes from the store for remote targets; absent for a
   * local target, whose repository the agent measures on its own disk.
   */
  quota: z.strictObject({ limit: count, used: count.optional() }).optional(),
  /** Snapshots the schedule keeps; 0 or absent: all. */
  retention: count.optional(),
  /** Build the snapshot's browse index after the backup, so the first Browse is quick. */
  indexAfter: z.boolean().optional(),
  /** Held snapshots of this schedule and customer: retention leaves them alone. */
  held: z.array(snapshotId).max(10_000).optional(),
  /** The previous backup's time: what changed since is sampled for the mass-change guard. */
  sampleSince: z.iso.datetime().optional(),
  /**
   * The mass-change guard's inputs (mass-change.ts): the previous backup's file count and the
   * customer's recent shares, newest first. A run the guard flags keeps every snapshot: its
   * retention is withheld.
   */
  guard: z
    .strictObject({
      previousFiles: count,
      changeShares: z.array(z.number().min(0).max(1)).max(100),
      randomShares: z.array(z.number().min(0).max(1)).max(100),
    })
    .optional(),
});
export type BackupRequest = z.infer<typeof backupRequestSchema>;

export const backupSummarySchema = z.strictObject({
  filesNew: count,
  filesChanged: count,
  filesUnmodified: count,
  dirsNew: count,
  dirsChanged: count,
  dirsUnmodified: count,
  dataBlobs: count,
  treeBlobs: count,
  dataAdded: count,
  totalFilesProcessed: count,
  totalBytesProcessed: count,
  totalDuration: z.number().min(0),
  snapshotId: z.string(),
});

export const backupAnswerSchema = z.strictObject({
  snapshotId: z.string(),
  /** The snapshot's time as restic recorded it. */
  time: z.string(),
  parent: z.string().optional(),
  summary: backupSummarySchema,
  contents: z.array(z.enum(CONTENTS)),
  /** The paths backed up, per content: the friendly roots of Browse and restore. */
  roots: z.partialRecord(z.enum(CONTENTS), z.array(z.string())),
  /** Snapshots retention forgot, by full id. */
  forgotten: z.array(z.string()),
  /** Files restic could not read; the snapshot exists without them. */
  unreadable: z.array(z.string()),
  /** Files modified since `sampleSince`, and how many of a sample read as random. */
  sample: z.strictObject({ modified: count, sampled: count, random: count }).optional(),
});
export type BackupAnswer = z.infer<typeof backupAnswerSchema>;

// ---- Maintenance and forget ----

export const MAINTAIN_TASKS = ['prune', 'check', 'copy', 'rewrite', 'purge'] as const;

/**
 * Work on one repository as a whole, under its mutex: prune, check; `copy`: the named snapshots
 * into the schedule's second repository (`copyTo`, 3-2-1), then that copy's own retention over
 * `copyRetention.tags`; `rewrite`: removes `excludes` from every snapshot carrying
 * `customerId`'s tag (restic 0.15+; `unsupported-version` before), then prunes so the content is
 * gone, not only unreachable; `purge`: forgets every snapshot of `customerId` and prunes (a
 * terminated customer's kept time is over), and on a local target removes the directory once no
 * snapshot is left in it. NEVER LOG: `repository` and `copyTo` hold secrets.
 */
export const maintainRequestSchema = z.strictObject({
  jobId,
  repository: repositoryAccessSchema,
  task: z.enum(MAINTAIN_TASKS),
  /** For check: how much data to read, as restic's --read-data-subset takes it. */
  checkSubset: z.string().max(20).optional(),
  /**
   * For prune: forget first the safety snapshots this retention lets go (per customer, the last
   * `keepLast` and every one younger than `keepDays` at `now` stay), so the prune frees their data.
   */
  safetyRetention: z
    .strictObject({
      keepLast: count,
      keepDays: z.number().min(0),
      now: z.string(),
      /** Held safety snapshots: never forgotten while held. */
      held: z.array(snapshotId).max(10_000).optional(),
    })
    .optional(),
  /** For copy: the second repository. */
  copyTo: repositoryAccessSchema.optional(),
  /** For copy: the snapshots to copy (a backup's, with its dumps' snapshots). */
  snapshotIds: z.array(snapshotId).max(1_000).optional(),
  /** For copy: the second copy's retention, over the schedule's and customer's tags. */
  copyRetention: z
    .strictObject({ tags: z.array(z.string().min(1)).min(1), keepLast: z.number().int().min(1) })
    .optional(),
  /** For rewrite and purge: whose snapshots. */
  customerId: ownerSchema.optional(),
  /** For rewrite: absolute paths as the snapshots hold them. */
  excludes: z.array(z.string().min(2).max(4096).startsWith('/')).max(100).optional(),
  /**
   * For rewrite and purge: held snapshots are left as they are. For copy: the second
   * repository's held copies, kept beyond the copy's retention and not counted toward it.
   */
  held: z.array(snapshotId).max(10_000).optional(),
});
export type MaintainRequest = z.infer<typeof maintainRequestSchema>;
export const maintainAnswerSchema = z.strictObject({
  task: z.enum(MAINTAIN_TASKS),
  /** purge: the snapshots it forgot. */
  snapshots: z.array(z.string()).optional(),
  /** rewrite: each snapshot that changed, by its id before and after (restic gives new ids). */
  renamed: z.array(z.strictObject({ from: snapshotId, to: snapshotId })).optional(),
  /**
   * copy: the second repository's backups of the retention's tags after the copy and its
   * retention, each with the first repository's id it copies (its dumps' snapshots left out).
   */
  copies: z
    .array(z.strictObject({ id: snapshotId, original: snapshotId, time: z.string() }))
    .optional(),
  /** purge: the repository's directory was removed (a local target with nothing else in it). */
  removed: z.boolean().optional(),
});
export type MaintainAnswer = z.infer<typeof maintainAnswerSchema>;

/** Forget every snapshot carrying all these tags' values. NEVER LOG: holds secrets. */
export const forgetRequestSchema = z.strictObject({
  repository: repositoryAccessSchema,
  scheduleId: z.number().int().positive(),
  customerId: ownerSchema,
  /** Further snapshots to forget by id (the safety snapshots of restores from the schedule). */
  also: z.array(snapshotId).optional(),
  /** Held snapshots: left in the repository with their dumps' snapshots. */
  held: z.array(snapshotId).max(10_000).optional(),
});
export type ForgetRequest = z.infer<typeof forgetRequestSchema>;
export const forgetAnswerSchema = z.strictObject({ forgotten: z.array(z.string()) });
export type ForgetAnswer = z.infer<typeof forgetAnswerSchema>;

// ---- Test connection ----

export const PROBE_STEPS = ['reach', 'authenticate', 'write', 'delete'] as const;
export type ProbeStep = (typeof PROBE_STEPS)[number];

/** NEVER LOG: the target holds credentials. */
export const testConnectionRequestSchema = z.strictObject({
  target: targetSchema,
  /** Who reads the answer: a customer reads one text for every connection that did not open. */
  audience: z.enum(['customer', 'provider']),
  /** The address the reach step connects to, as the address policy checked it. */
  reachAddress: z.string().optional(),
});
export type TestConnectionRequest = z.infer<typeof testConnectionRequestSchema>;

const stepSchema = z.strictObject({ step: z.enum(PROBE_STEPS), message: z.string() });
export const testConnectionAnswerSchema = z.union([
  z.strictObject({ ok: z.literal(true), steps: z.array(stepSchema) }),
  z.strictObject({
    ok: z.literal(false),
    step: z.enum(PROBE_STEPS),
    message: z.string(),
    steps: z.array(stepSchema),
  }),
]);
export type TestConnectionAnswer = z.infer<typeof testConnectionAnswerSchema>;

// ---- Browse and download ----

/**
 * Every browse request names its repository, so an agent that has no index of the snapshot (a
 * restart, an index removed for space) builds one instead of failing. NEVER LOG: holds secrets.
 */
export const browseOpenRequestSchema = z.strictObject({
  repository: repositoryAccessSchema,
  snapshotId,
  ...limitsSchema.shape,
});
export type BrowseOpenRequest = z.infer<typeof browseOpenRequestSchema>;
export const browseOpenAnswerSchema = z.strictObject({
  snapshotId,
  /** True when an existing index was used, false when this request built it. */
  reused: z.boolean(),
  entries: count,
});
export type BrowseOpenAnswer = z.infer<typeof browseOpenAnswerSchema>;

/** A path under the friendly roots (`/Web files/...`), as the customer sees it. */
const friendlyPath = z
  .string()
  .max(4096)
  .refine((p) => !p.includes('\0'));

export const browseListRequestSchema = z.strictObject({
  ...browseOpenRequestSchema.shape,
  roots: friendlyRootsSchema,
  path: friendlyPath,
  offset: count,
  limit: z.number().int().min(1).max(5000),
});
export type BrowseListRequest = z.infer<typeof browseListRequestSchema>;

const entryTypeSchema = z.enum([
  'file',
  'dir',
  'symlink',
  'dev',
  'chardev',
  'fifo',
  'socket',
  'irregular',
]);
export const friendlyEntrySchema = z.strictObject({
  name: z.string(),
  type: entryTypeSchema,
  path: z.string(),
  realPath: z.string().optional(),
  group: z.enum(groupKeys).optional(),
  size: z.number().optional(),
  mtime: z.string().optional(),
  mode: z.number().optional(),
  uid: z.number().optional(),
  gid: z.number().optional(),
  linkTarget: z.string().optional(),
});
export const browseListAnswerSchema = z.strictObject({
  path: z.string(),
  entries: z.array(friendlyEntrySchema),
  total: count,
  offset: count,
  limit: count,
});
export type BrowseListAnswer = z.infer<typeof browseListAnswerSchema>;

export const browseStatRequestSchema = z.strictObject({
  ...browseOpenRequestSchema.shape,
  roots: friendlyRootsSchema,
  path: friendlyPath,
});
export type BrowseStatRequest = z.infer<typeof browseStatRequestSchema>;

/** What a friendly path stands for; `entry` only for a path inside the snapshot. */
export const browseStatAnswerSchema = z.union([
  z.strictObject({ kind: z.enum(['top', 'group']), path: z.string() }),
  z.strictObject({
    kind: z.literal('real'),
    path: z.string(),
    realPath: z.string(),
    entry: z
      .strictObject({
        name: z.string(),
        type: entryTypeSchema,
        path: z.string(),
        size: z.number().optional(),
        mtime: z.string().optional(),
        linkTarget: z.string().optional(),
      })
      .optional(),
  }),
]);
export type BrowseStatAnswer = z.infer<typeof browseStatAnswerSchema>;

/** Names holding `query` under the friendly roots (src/snapshot/browser.ts searchFriendly). */
export const browseSearchRequestSchema = z.strictObject({
  ...browseOpenRequestSchema.shape,
  roots: friendlyRootsSchema,
  query: z.string().max(4096),
  limit: z.number().int().min(1).max(500),
});
export type BrowseSearchRequest = z.infer<typeof browseSearchRequestSchema>;
export const browseSearchAnswerSchema = z.strictObject({
  query: z.string(),
  entries: z.array(friendlyEntrySchema),
  more: z.boolean(),
});
export type BrowseSearchAnswer = z.infer<typeof browseSearchAnswerSchema>;

/** One file as it is, or a folder as tar.gz. NEVER LOG: holds secrets. */
export const downloadRequestSchema = z.strictObject({
  ...browseStatRequestSchema.shape,
});
export type DownloadRequest = z.infer<typeof downloadRequestSchema>;

/** Sent before the first byte: a refusal (a link, a device) comes instead of it, as a failure. */
export const downloadMetaSchema = z.strictObject({
  kind: z.enum(['file', 'dir']),
  /** The name the customer saw (`site`, `index.php`); a folder's file adds `.tar.gz`. */
  name: z.string(),
  contentType: z.enum(['application/octet-stream', 'application/gzip']),
});
export type DownloadMeta = z.infer<typeof downloadMetaSchema>;

// ---- Restore ----

/** NEVER LOG: `repository` holds secrets. */
export const restoreRequestSchema = z.strictObject({
  jobId,
  repository: repositoryAccessSchema,
  snapshotId,
  customer: customerSchema,
  /** The snapshot's paths per content, as the store recorded them at backup time. */
  roots: z.partialRecord(z.enum(CONTENTS), z.array(z.string())),
  contents: z.array(z.enum(CONTENTS)),
  // What the customer picked, as the restore request's schema and checks took it
  // (src/restore-job/restore-request.ts).
  ...pickedRestoreSchema.shape,
});
export type RestoreRequest = z.infer<typeof restoreRequestSchema>;
export const restoreAnswerSchema = z.strictObject({
  /** The safety snapshots taken before each area was replaced: the undo (each also an event). */
  safetySnapshots: z.array(z.string()),
});
export type RestoreAnswer = z.infer<typeof restoreAnswerSchema>;

// ---- Restore drill ----

/**
 * A restore drill of one snapshot: a sample of its files restored into scratch space under the
 * service's data directory and compared with the live files they came from, and every database
 * dump imported into a throw-away database and compared with the checksums recorded at backup
 * time. Nothing of the customer's is written. NEVER LOG: `repository` holds secrets.
 */
export const drillRequestSchema = z.strictObject({
  jobId,
  repository: repositoryAccessSchema,
  snapshotId,
  customer: customerSchema,
  /** The snapshot's paths per content, as the store recorded them at backup time. */
  roots: z.partialRecord(z.enum(CONTENTS), z.array(z.string())),
  contents: z.array(z.enum(CONTENTS)),
  /** How many files to restore and compare at most, and how many bytes of them. */
  sample: z.strictObject({ files: count, bytes: count }),
});
export type DrillRequest = z.infer<typeof drillRequestSchema>;

export const drillAnswerSchema = z.strictObject({
  /** What differs from the backup, one line each; empty: the snapshot restored as recorded. */
  differences: z.array(z.string()),
  /** Files restored and compared byte for byte with their live counterpart. */
  filesCompared: count,
  /** Files restored but not compared: changed since the backup (size or mtime differs). */
  filesChanged: count,
  /** Databases imported and compared table by table with their recorded checksums. */
  databasesCompared: count,
});
export type DrillAnswer = z.infer<typeof drillAnswerSchema>;
// ---- Restore preview ----

const previewAction = z.enum(['add', 'change', 'delete']);
/** A page of the preview's list holds at most this many files. */
export const PREVIEW_PAGE_MAX = 500;

/**
 * What a restore would do, asked before it is queued: the restore request as the job would get
 * it (no job id) and which page of which list. NEVER LOG: `repository` holds secrets.
 */
export const restorePreviewRequestSchema = z.strictObject({
  repository: repositoryAccessSchema,
  snapshotId,
  customer: customerSchema,
  roots: z.partialRecord(z.enum(CONTENTS), z.array(z.string())),
  contents: z.array(z.enum(CONTENTS)),
  ...pickedRestoreSchema.shape,
  action: previewAction,
  offset: count,
  limit: z.number().int().min(1).max(PREVIEW_PAGE_MAX),
});
export type RestorePreviewRequest = z.infer<typeof restorePreviewRequestSchema>;

export const restorePreviewAnswerSchema = z.strictObject({
  /** dry-run: restic 0.17+ decided; index: the snapshot's browse index against the live files. */
  method: z.enum(['dry-run', 'index']),
  areas: z.array(
    z.strictObject({
      group: z.enum(['web', 'mail', 'ssl', 'config']),
      part: z.enum(['area', 'filters', 'file']),
      name: z.string().optional(),
      mode: z.enum(['replace', 'keep-newer']),
      add: count,
      change: count,
      delete: count,
      unchanged: count,
      bytes: count,
    }),
  ),
  databases: z.array(z.string()),
  page: z.strictObject({
    action: previewAction,
    offset: count,
    limit: count,
    total: count,
    items: z.array(z.strictObject({ area: count, path: z.string(), size: count.optional() })),
  }),
});
export type RestorePreviewAnswer = z.infer<typeof restorePreviewAnswerSchema>;

// ---- CA certificates ----

/**
 * The CA certificates of S3 targets still in use: the agent removes the files it wrote for any
 * other (a target edited or deleted).
 */
export const sweepCertificatesRequestSchema = z.strictObject({
  inUse: z.array(z.string().max(65536)),
});
export type SweepCertificatesRequest = z.infer<typeof sweepCertificatesRequestSchema>;
export const sweepCertificatesAnswerSchema = z.strictObject({
  /** The files removed, by name. */
  removed: z.array(z.string()),
});
export type SweepCertificatesAnswer = z.infer<typeof sweepCertificatesAnswerSchema>;

// ---- Start and facts ----

export const recoverRequestSchema = z.strictObject({
  /** The customers of this server, whose database owner accounts are locked again. */
  customerIds: z.array(z.string()),
});
export type RecoverRequest = z.infer<typeof recoverRequestSchema>;

/** What the agent found and put right at its start, per job it concerns. */
export const recoverAnswerSchema = z.strictObject({
  notes: z.array(
    z.strictObject({
      jobId,
      note: z.string(),
      /** Which restore of the job it finished or undid: tells whether it was the job's last. */
      restore: z.strictObject({
        /** An area or file restore's journal id (`<job id>-<n>`). */
        journalId: z.string().optional(),
        /** A database restore's database. */
        database: z.string().optional(),
        action: z.enum(['rolled-back', 'rolled-forward', 'failed']),
      }),
    }),
  ),
  log: z.array(z.string()),
});
export type RecoverAnswer = z.infer<typeof recoverAnswerSchema>;

export const factsSchema = z.strictObject({
  restic: z.strictObject({ version: z.string(), binary: z.string() }),
  mariadb: z.strictObject({ version: z.string() }).nullable(),
  /** Free bytes where the agent keeps its staging and indexes. */
  dataDirFreeBytes: count,
});
export type Facts = z.infer<typeof factsSchema>;
