import { EngineError, PartialBackupError, cleanDetail, describeErrorMessage } from '../errors.js';
import type { Runner } from '../runner.js';
import type {
  BackupProgress,
  BackupResult,
  BackupSummary,
  OperationOptions,
  RepositoryLocation,
} from '../types.js';

export interface BackupOptions extends OperationOptions {
  /** Absolute paths to save; keep the list stable between runs (restic compares it). */
  paths: string[];
  tags?: string[];
  /** The previous snapshot of the same schedule: unchanged files are then never read again. */
  parent?: string;
  excludes?: string[];
  /** Overrides the engine's fixed host name (for server-wide or imported repositories). */
  host?: string;
  onProgress?: (progress: BackupProgress) => void;
  /**
   * Reads the one path's content from `source` instead: restic runs in a mount namespace of its
   * own where `source` is bind-mounted at the path, so the snapshot records the path as given
   * (restic 0.14 cannot rewrite paths). Needs root and `unshare`.
   */
  bindAt?: { source: string };
  /**
   * Saves what `command` writes to its stdout as the one file `/<filename>` instead of reading
   * `paths` (restic 0.17+ `--stdin-from-command`; restic 0.18 takes a plain name only, no
   * directories). restic runs the command itself, with restic's own environment, so nothing
   * secret may be in `command` or needed from the environment: wrap it in `env -i`. A command
   * that exits non-zero fails the backup and no snapshot is saved (CommandFailedError).
   */
  fromCommand?: { filename: string; command: string[] };
}

/**
 * The command of a `fromCommand` backup exited non-zero (or could not start): restic saved no
 * snapshot. `output` is what the command wrote to stderr, as restic passed it on.
 */
export class CommandFailedError extends EngineError {
  constructor(
    readonly status: number | null,
    readonly output: string[],
    detail: string,
  ) {
    super(
      'failed',
      detail,
      1,
      `The command whose output was to be saved failed${status === null ? '' : ` (exit status ${status})`}.`,
    );
    this.name = 'CommandFailedError';
  }
}

/** restic 0.17+ passes the command's stderr on, each line after this prefix. */
const SUBPROCESS_LINE = /^subprocess [^:]*: ?(.*)$/;
const COMMAND_FAILED = /command failed: exit status (\d+)|command failed|failed to start command/;

export async function backup(
  runner: Runner,
  repo: RepositoryLocation,
  opts: BackupOptions,
): Promise<BackupResult> {
  const args = ['backup', '--json', '--host', opts.host ?? runner.config.host];
  for (const tag of opts.tags ?? []) args.push('--tag', tag);
  if (opts.parent) args.push('--parent', opts.parent);
  for (const pattern of opts.excludes ?? []) args.push('--exclude', pattern);
  if (opts.fromCommand) {
    const { filename, command } = opts.fromCommand;
    if (opts.paths?.length || opts.bindAt)
      throw new Error("a backup of a command's output reads no paths");
    if (!/^[^/\0,]+$/.test(filename) || filename === '.' || filename === '..')
      throw new Error(`not a plain file name: ${filename}`);
    if (!command.length) throw new Error("a backup of a command's output needs the command");
    args.push('--stdin-filename', filename, '--stdin-from-command', '--', ...command);
  } else {
    if (!opts.paths?.length) throw new Error('backup needs at least one path');
    args.push('--', ...opts.paths);
    if (opts.bindAt && opts.paths.length !== 1)
      throw new Error('a bind-mounted backup reads exactly one path');
  }

  let summary: BackupSummary | undefined;
  const unreadable: string[] = [];
  // The command's own stderr (a dump's error), kept apart from restic's words.
  const commandOutput: string[] = [];
  let commandFailed: { status: number | null } | undefined;
  const onLog = opts.fromCommand
    ? (line: string) => {
        const own = SUBPROCESS_LINE.exec(line);
        if (own) commandOutput.push(own[1]!);
        else {
          const failed = COMMAND_FAILED.exec(line);
          if (failed) commandFailed = { status: failed[1] ? Number(failed[1]) : null };
          opts.onLog?.(line);
        }
      }
    : opts.onLog;
  const exec = runner.exec(
    repo,
    args,
    {
      ...opts,
      onLog,
      bindMount: opts.bindAt ? { source: opts.bindAt.source, target: opts.paths[0]! } : undefined,
      onJson: (m) => {
        const message = m as Record<string, unknown>;
        if (message.message_type === 'status') opts.onProgress?.(toProgress(message));
        else if (message.message_type === 'summary') summary = toSummary(message);
        else if (message.message_type === 'error') {
          // An unreadable file, reported on stderr (every version).
          const item = message.item ?? message.during;
          const text = describeErrorMessage(message);
          if (opts.fromCommand && COMMAND_FAILED.test(text)) {
            // Not a file restic could not read: the command failed, and no snapshot is saved.
            onLog?.(text);
            return;
          }
          if (typeof item === 'string' && !unreadable.includes(item)) unreadable.push(item);
          opts.onLog?.(text);
        } else opts.onLog?.(JSON.stringify(message));
      },
    },
    [0, 3],
  );
  const result = opts.fromCommand
    ? await exec.catch((error: unknown) => {
        if (commandFailed && error instanceof EngineError && error.kind !== 'canceled')
          throw new CommandFailedError(commandFailed.status, commandOutput, error.detail);
        throw error;
      })
    : await exec;

  // A run that printed no summary saved no snapshot, whatever its exit code says.
  if (!summary) {
    throw new EngineError(
      'failed',
      cleanDetail(result.stderr),
      result.exitCode,
      'The backup ended without saving a snapshot.',
    );
  }
  if (result.exitCode === 3) {
    throw new PartialBackupError(summary, unreadable, cleanDetail(result.stderr));
  }
  return { summary, unreadable };
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function toProgress(m: Record<string, unknown>): BackupProgress {
  return {
    percentDone: num(m.percent_done),
    totalFiles: num(m.total_files),
    filesDone: num(m.files_done),
    totalBytes: num(m.total_bytes),
    bytesDone: num(m.bytes_done),
    currentFiles: Array.isArray(m.current_files)
      ? m.current_files.filter((f): f is string => typeof f === 'string')
      : [],
    secondsElapsed: typeof m.seconds_elapsed === 'number' ? m.seconds_elapsed : undefined,
    secondsRemaining: typeof m.seconds_remaining === 'number' ? m.seconds_remaining : undefined,
    errorCount: typeof m.error_count === 'number' ? m.error_count : undefined,
  };
}

function toSummary(m: Record<string, unknown>): BackupSummary {
  if (typeof m.snapshot_id !== 'string')
    throw new EngineError(
      'failed',
      JSON.stringify(m),
      null,
      'restic reported a backup without a snapshot id.',
    );
  return {
    filesNew: num(m.files_new),
    filesChanged: num(m.files_changed),
    filesUnmodified: num(m.files_unmodified),
    dirsNew: num(m.dirs_new),
    dirsChanged: num(m.dirs_changed),
    dirsUnmodified: num(m.dirs_unmodified),
    dataBlobs: num(m.data_blobs),
    treeBlobs: num(m.tree_blobs),
    dataAdded: num(m.data_added),
    totalFilesProcessed: num(m.total_files_processed),
    totalBytesProcessed: num(m.total_bytes_processed),
    totalDuration: num(m.total_duration),
    snapshotId: m.snapshot_id,
  };
}
