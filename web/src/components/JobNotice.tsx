/**
 * The note under an action that started a job ("The restore has started…"). It follows the job:
 * once it has finished, the note says how it ended (successful, failed, canceled) and links to
 * its entry in History, instead of still pointing at a banner that is gone.
 */
import { Alert, Anchor, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/endpoints';
import { keys } from '../api/queries';
import { jobName } from '../lib/restore-label';
import { m } from '../messages';

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
