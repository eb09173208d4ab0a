/**
 * Types shared by the engine's commands. The engine knows restic and nothing else of hostvault:
 * a repository is a location plus a password, never a target, customer or schedule.
 */

/** Where a restic repository lives and how to open it. */
export interface RepositoryLocation {
  /**
   * restic's `--repo` value: a directory, `s3:https://…`, `rclone:remote:path`, `rest:https://…`.
   * When `env` holds RESTIC_REPOSITORY (a URL with a credential in it), restic takes that one
   * and this one only names the repository.
   */
  url: string;
  /** The repository password; fed on restic's stdin, never in argv or the environment. */
  password: string;
  /** Backend credentials and settings (AWS_*, RCLONE_CONFIG_*); only root can read them. */
  env?: Record<string, string>;
  /** Extended options passed as `-o key=value` (s3.bucket-lookup, rclone.connections). */
  options?: Record<string, string>;
  /** CA certificate file for private S3 endpoints (`--cacert`). */
  caCertFile?: string;
  /**
   * The server refuses deletes and rewrites (a vault: rclone's append-only REST server), so
   * forget and prune are not tried here; they run where the repository is fully writable.
   */
  appendOnly?: boolean;
  /** Further values to keep out of logs and errors (an FTP password given to rclone obscured). */
  secrets?: string[];
}

/** What every command accepts to stay bounded and cancelable. */
export interface OperationOptions {
  signal?: AbortSignal;
  /** Hard limit for the whole operation. */
  timeoutMs?: number;
  /**
   * Fail when restic makes no progress for this long: no I/O of its own (read from /proc) and no
   * new output. This is what catches a target that stops answering in the middle of a run.
   */
  stallMs?: number;
  /** Receives every line restic prints that is not a parsed JSON message, for the job's log. */
  onLog?: (line: string) => void;
}

export interface SnapshotSummary {
  id: string;
  shortId: string;
  time: string;
  parent?: string;
  tree: string;
  paths: string[];
  hostname: string;
  username?: string;
  tags: string[];
  /** A copy's first snapshot (restic `copy` sets it): the id in the repository it came from. */
  original?: string;
}

export interface BackupProgress {
  percentDone: number;
  totalFiles: number;
  filesDone: number;
  totalBytes: number;
  bytesDone: number;
  currentFiles: string[];
  secondsElapsed?: number;
  secondsRemaining?: number;
  errorCount?: number;
}

export interface BackupSummary {
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  dirsNew: number;
  dirsChanged: number;
  dirsUnmodified: number;
  dataBlobs: number;
  treeBlobs: number;
  dataAdded: number;
  totalFilesProcessed: number;
  totalBytesProcessed: number;
  totalDuration: number;
  snapshotId: string;
}

export interface BackupResult {
  summary: BackupSummary;
  /** Files restic could not read (exit code 3): the snapshot exists but misses them. */
  unreadable: string[];
}

export interface LsNode {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'dev' | 'chardev' | 'fifo' | 'socket' | 'irregular';
  path: string;
  size?: number;
  /** Unix permission bits including setuid, setgid and sticky (restic reports Go's FileMode). */
  mode?: number;
  mtime?: string;
  uid?: number;
  gid?: number;
  linkTarget?: string;
}

export interface StatsResult {
  totalSize: number;
  totalFileCount: number;
  totalBlobCount?: number;
  snapshotsCount?: number;
  totalUncompressedSize?: number;
  compressionRatio?: number;
}

export interface RepositoryKey {
  id: string;
  current: boolean;
  userName: string;
  hostName: string;
  created: string;
}
