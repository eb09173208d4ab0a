/** `jobs list [--customer ID] [--status S] [--type T] [--limit N]` and `jobs show <id>`. */
import type { Config } from '../config.js';
import type { JobProgress, JobSummary } from '../job/job-store.js';
import { jobProgress } from '../job/job-params.js';
import { JobStore } from '../job/job-store.js';
import type { JobRow, JobStatus, JobType } from '../store/index.js';
import { CliError, id, parse, text } from './args.js';
import { withStore, type Io } from './context.js';
import { clip, details, duration, formatBytes, formatTable, time } from './format.js';

const STATUSES: readonly JobStatus[] = ['pending', 'running', 'successful', 'failed', 'canceled'];
const TYPES: readonly JobType[] = [
  'backup',
  'restore',
  'maintenance',
  'drill',
  'copy',
  'lifecycle',
];

export async function jobsList(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, {
    customer: { type: 'string' },
    status: { type: 'string' },
    type: { type: 'string' },
    limit: { type: 'string' },
  });
  const status = text(parsed, 'status');
  if (status !== undefined && !STATUSES.includes(status as JobStatus))
    throw new CliError(`--status must be one of: ${STATUSES.join(', ')}`);
  const type = text(parsed, 'type');
  if (type !== undefined && !TYPES.includes(type as JobType))
    throw new CliError(`--type must be one of: ${TYPES.join(', ')}`);
  const limitText = text(parsed, 'limit');
  const limit = limitText === undefined ? 50 : id(limitText, '--limit');
  if (limit > 500) throw new CliError('--limit must be at most 500');
  return withStore(config, async (store) => {
    const jobs = new JobStore(store);
    const filter = {
      customerId: text(parsed, 'customer'),
      status: status as JobStatus | undefined,
      type: type as JobType | undefined,
    };
    const list = await jobs.list({ ...filter, limit });
    const total = await jobs.count(filter);
    io.out(jobsTable(list));
    if (total > list.length)
      io.out(`(${list.length} of ${total} jobs, newest first; more with --limit)\n`);
    return 0;
  });
}

export async function jobsShow(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, {}, ['job id']);
  const jobId = id(parsed.positionals[0]!, 'job id');
  return withStore(config, async (store) => {
    const job = await new JobStore(store).get(jobId);
    if (!job) throw new CliError(`no job ${jobId}`);
    io.out(jobDetails(job));
    return 0;
  });
}

export function jobsTable(list: readonly JobSummary[]): string {
  if (list.length === 0) return 'no jobs\n';
  return formatTable(
    [
      'ID',
      'TYPE',
      'STATUS',
      'CUSTOMER',
      'SCHEDULE',
      'TRIGGER',
      'CREATED (UTC)',
      'TOOK',
      'ADDED',
      'ERROR',
    ],
    list.map((j) => [
      String(j.id),
      j.type,
      statusText(j),
      j.customer_id ?? '(server)',
      clip(`${j.schedule_name ?? '-'}${j.schedule_id != null ? ` (#${j.schedule_id})` : ''}`, 40),
      j.trigger,
      time(j.created_at),
      duration(j.started_at, j.finished_at),
      j.bytes_added == null ? '-' : formatBytes(j.bytes_added),
      clip(j.error ?? '', 60),
    ]),
  );
}

export function jobDetails(job: JobRow): string {
  const progress = progressOf(job);
  const head = details([
    ['Job', job.id],
    ['Type', job.type],
    ['Status', statusText(job)],
    [
      'Schedule',
      job.schedule_name &&
        `${job.schedule_name}${job.schedule_id != null ? ` (#${job.schedule_id})` : ''}`,
    ],
    ['Customer', job.customer_id ?? '(server-wide)'],
    ['Scope', job.scope],
    ['Trigger', job.trigger],
    ['Created', `${time(job.created_at)} UTC`],
    ['Started', job.started_at && `${time(job.started_at)} UTC`],
    ['Finished', job.finished_at && `${time(job.finished_at)} UTC`],
    ['Took', job.finished_at ? duration(job.started_at, job.finished_at) : undefined],
    ['Snapshot', job.snapshot_id],
    ['Data added', job.bytes_added == null ? undefined : formatBytes(job.bytes_added)],
    ['Processed', job.bytes_processed == null ? undefined : formatBytes(job.bytes_processed)],
    [
      'Progress',
      job.status === 'running' && progress
        ? `${progress.percent}%, ${progress.filesDone}/${progress.filesTotal} files` +
          (progress.currentFile ? `, ${progress.currentFile}` : '')
        : undefined,
    ],
    ['Error', job.error],
  ]);
  return `${head}\nLog:\n${job.log ? job.log.replace(/^/gm, '  ').trimEnd() : '  (empty)'}\n`;
}

function statusText(job: Pick<JobRow, 'id' | 'status' | 'progress'>): string {
  if (job.status !== 'running') return job.status;
  const progress = progressOf(job);
  return progress ? `running ${Math.round(progress.percent)}%` : 'running';
}

function progressOf(job: Pick<JobRow, 'id' | 'progress'>): JobProgress | undefined {
  // A list still shows the job's status when its progress is damaged.
  try {
    return jobProgress(job);
  } catch {
    return undefined;
  }
}
