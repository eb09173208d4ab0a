/**
 * The note under an action that started a job ("The restore has started…"). It follows the job:
 * once it has finished, the note says how it ended (successful, failed, canceled) and links to
 * its entry in History, instead of still pointing at a banner that is gone. While a note follows
 * a job, the banner leaves that job out of its own "finished" lines, so the end is said once.
 */
import { Alert, Anchor, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore } from 'react';
import { api } from '../api/endpoints';
import { keys } from '../api/queries';
import { jobName } from '../lib/restore-label';
import { m } from '../messages';

/** The jobs a note on the page follows now. */
let followed: ReadonlySet<number> = new Set();
const listeners = new Set<() => void>();
const setFollowed = (next: ReadonlySet<number>) => {
  followed = next;
  for (const listener of listeners) listener();
};

/** The jobs whose end a note already tells (the banner leaves them out). */
export function useFollowedJobs(): ReadonlySet<number> {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => followed,
  );
}

export const historyHref = (jobId: number): string => `#history/${jobId}`;

/** A job as the finished note names it: a backup says it is one ("The backup “Nightly”"). */
export function noticeName(job: Parameters<typeof jobName>[0] & { type: string }): string {
  return job.type === 'backup' && job.scheduleName
    ? m.notice.backup(job.scheduleName)
    : jobName(job);
}

export function JobNotice({
  jobId,
  started,
  onClose,
}: {
  jobId: number;
  /** The words while it waits or runs. */
  started: string;
  onClose: () => void;
}) {
  const job = useQuery({
    queryKey: keys.job(jobId),
    queryFn: () => api.job(jobId),
    refetchInterval: (q) =>
      !q.state.data || q.state.data.status === 'pending' || q.state.data.status === 'running'
        ? 2000
        : false,
  });
  useEffect(() => {
    setFollowed(new Set([...followed, jobId]));
    return () => setFollowed(new Set([...followed].filter((id) => id !== jobId)));
  }, [jobId]);
  const status = job.data?.status;
  const done = status === 'successful' || status === 'failed' || status === 'canceled';
  const color = !done
    ? 'blue'
    : status === 'successful'
      ? 'green'
      : status === 'failed'
        ? 'red'
        : 'gray';
  return (
    <Alert
      color={color}
      variant="light"
      withCloseButton
      closeButtonLabel={m.common.close}
      onClose={onClose}
      role="status"
      data-testid="job-notice"
      data-status={status ?? 'pending'}
    >
      {done && job.data ? (
        <Text size="sm">
          {m.notice.finished[status](noticeName(job.data))}{' '}
          <Anchor href={historyHref(jobId)} size="sm" fw={700} c="blue.9" underline="always">
            {m.notice.openInHistory}
          </Anchor>
        </Text>
      ) : (
        <Text size="sm">{started}</Text>
      )}
    </Alert>
  );
}
