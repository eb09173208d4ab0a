/**
 * The one way from the control plane to a hosting server: its files, its MariaDB, restic runs,
 * browse indexes, downloads, restores and Test connection all go through a HostAgent. The
 * control plane decides and records (schedules, passwords, snapshots, jobs); the agent executes.
 *
 * Every request and answer is plain data (src/agent/protocol.ts). In `hostvault serve` the agent
 * is a LocalAgent in the same process; a transport later carries the same messages: a request's
 * `ctx.onEvent` becomes messages back, `ctx.signal` a cancel message by job id, a download's
 * chunks a stream of byte messages. Failures arrive as AgentError (code, message, detail).
 */
import type {
  AgentEvent,
  BackupAnswer,
  BackupRequest,
  BrowseListAnswer,
  BrowseListRequest,
  BrowseOpenAnswer,
  BrowseOpenRequest,
  BrowseSearchAnswer,
  BrowseSearchRequest,
  BrowseStatAnswer,
  BrowseStatRequest,
  DownloadMeta,
  DownloadRequest,
  DrillAnswer,
  DrillRequest,
  Facts,
  ForgetAnswer,
  ForgetRequest,
  MaintainAnswer,
  MaintainRequest,
  RecoverAnswer,
  RecoverRequest,
  RestoreAnswer,
  RestoreRequest,
  RestorePreviewAnswer,
  RestorePreviewRequest,
  SweepCertificatesAnswer,
  SweepCertificatesRequest,
  TestConnectionAnswer,
  TestConnectionRequest,
} from './protocol.js';

/** What a long request gets besides its data: a cancel, and somewhere to report to. */
export interface RunContext {
  /** Aborting cancels the run (in-process); a transport sends a cancel message by job id. */
  signal?: AbortSignal;
  onEvent?(event: AgentEvent): void;
}

/** A download: its metadata first, then its bytes. Ending the iteration early cancels it. */
export interface Download {
  meta: DownloadMeta;
  chunks: AsyncIterable<Uint8Array>;
}

export interface HostAgent {
  /** One customer's scope into one snapshot, then the schedule's retention. */
  backup(request: BackupRequest, ctx?: RunContext): Promise<BackupAnswer>;
  /** Prune or check of one repository. */
  maintain(request: MaintainRequest, ctx?: RunContext): Promise<MaintainAnswer>;
  /** Forgets a schedule's snapshots of one customer (a schedule deleted with its snapshots). */
  forget(request: ForgetRequest, ctx?: RunContext): Promise<ForgetAnswer>;
  /** Restores what a customer picked from a snapshot, each area confined and undoable. */
  restore(request: RestoreRequest, ctx?: RunContext): Promise<RestoreAnswer>;
  /** A restore drill: a sample restored into scratch space and compared; nothing live changes. */
  drill(request: DrillRequest, ctx?: RunContext): Promise<DrillAnswer>;
  /**
   * What a restore would add, change and delete in each area, and the databases it replaces,
   * with one page of one of the lists; nothing is written.
   */
  restorePreview(request: RestorePreviewRequest): Promise<RestorePreviewAnswer>;
  /** Test connection: reach, authenticate, write and delete on a target, bounded in time. */
  testConnection(request: TestConnectionRequest): Promise<TestConnectionAnswer>;
  browse: {
    /** Builds the snapshot's browse index if the agent has none (one listing of it). */
    open(request: BrowseOpenRequest): Promise<BrowseOpenAnswer>;
    /** One page of a directory under the friendly roots. */
    list(request: BrowseListRequest): Promise<BrowseListAnswer>;
    /** What a friendly path stands for, and its entry if it is inside the snapshot. */
    stat(request: BrowseStatRequest): Promise<BrowseStatAnswer>;
    /** Files and folders whose name holds the query, under the friendly roots. */
    search(request: BrowseSearchRequest): Promise<BrowseSearchAnswer>;
  };
  /**
   * A file as it is or a folder as tar.gz. Resolves once the first bytes are ready, so a refusal
   * or a failure before them is an AgentError, not a broken stream.
   */
  download(request: DownloadRequest, ctx?: RunContext): Promise<Download>;
  /** Removes the CA certificate files of targets no schedule uses any more. */
  sweepCertificates(request: SweepCertificatesRequest): Promise<SweepCertificatesAnswer>;
  /** At the start: finishes or undoes what a crash interrupted (restores, dumps in staging). */
  recover(request: RecoverRequest): Promise<RecoverAnswer>;
  /** What the server has: restic and MariaDB versions, free space. */
  facts(): Promise<Facts>;
}
