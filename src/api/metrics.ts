/**
 * Prometheus text exposition of the job history: jobs by type and status, job durations as a
 * histogram, and bytes added. Computed from the jobs table at scrape time, so every process that
 * shares the store reports the same numbers; "Delete old entries" lowers them, which Prometheus
 * reads as a counter reset.
 */
import { JobStatusSchema, JobTypeSchema } from './job-schemas.js';

const JOB_TYPES: readonly string[] = JobTypeSchema.options;
const JOB_STATUSES: readonly string[] = JobStatusSchema.options;

/** Upper bounds in seconds: from a quick restore to a first backup of a large server. */
export const DURATION_BUCKETS = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400];

export interface JobMetrics {
  jobs: { type: string; status: string; count: number }[];
  /** Finished jobs that started; `buckets[i]` counts durations ≤ DURATION_BUCKETS[i]. */
  durations: { type: string; count: number; sumSeconds: number; buckets: number[] }[];
  bytesAdded: { type: string; bytes: number }[];
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function renderMetrics(metrics: JobMetrics): string {
  const lines: string[] = [];
  const counts = new Map(metrics.jobs.map((j) => [`${j.type}\u0000${j.status}`, j.count]));
  const types = unique([...JOB_TYPES, ...metrics.jobs.map((j) => j.type)]);
  const statuses = unique([...JOB_STATUSES, ...metrics.jobs.map((j) => j.status)]);

  lines.push('# HELP hostvault_jobs Jobs in the history, by type and status.');
  lines.push('# TYPE hostvault_jobs gauge');
  for (const type of types) {
    for (const status of statuses) {
      const n = counts.get(`${type}\u0000${status}`) ?? 0;
      lines.push(`hostvault_jobs${labels({ type, status })} ${n}`);
    }
  }

  lines.push('# HELP hostvault_job_duration_seconds How long finished jobs ran, by type.');
  lines.push('# TYPE hostvault_job_duration_seconds histogram');
  const durations = new Map(metrics.durations.map((d) => [d.type, d]));
  for (const type of types) {
    const d = durations.get(type);
    DURATION_BUCKETS.forEach((le, i) => {
      lines.push(
        `hostvault_job_duration_seconds_bucket${labels({ type, le: String(le) })} ${d?.buckets[i] ?? 0}`,
      );
    });
    lines.push(
      `hostvault_job_duration_seconds_bucket${labels({ type, le: '+Inf' })} ${d?.count ?? 0}`,
    );
    lines.push(
      `hostvault_job_duration_seconds_sum${labels({ type })} ${number(d?.sumSeconds ?? 0)}`,
    );
    lines.push(`hostvault_job_duration_seconds_count${labels({ type })} ${d?.count ?? 0}`);
  }

  lines.push(
    '# HELP hostvault_job_bytes_added_total New data that jobs added to repositories, by type.',
  );
  lines.push('# TYPE hostvault_job_bytes_added_total counter');
  const bytes = new Map(metrics.bytesAdded.map((b) => [b.type, b.bytes]));
  for (const type of types) {
    lines.push(`hostvault_job_bytes_added_total${labels({ type })} ${bytes.get(type) ?? 0}`);
  }
  return `${lines.join('\n')}\n`;
}

function labels(values: Record<string, string>): string {
  const parts = Object.entries(values).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return `{${parts.join(',')}}`;
}

function number(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 1000) / 1000) : '0';
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
