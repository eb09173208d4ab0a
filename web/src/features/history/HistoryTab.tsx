/**
 * The History tab: one row per backup or restore job, newest first, with its detail on a click,
 * "Delete old entries" after a confirmation that says how many, and the hint on failed backups.
 */
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  Pagination,
  Stack,
  Text,
} from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { useEffect, useState } from 'react';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import type { Job } from '../../api/types';
import { InfoIcon } from '../../components/icons';
import { ResponsiveTable, usePhone, type Column } from '../../components/ResponsiveTable';
import { Empty, ErrorMessage, Loading, messageOf } from '../../components/states';
import { FlagBadge, ScopeTag, StatusBadge } from '../../components/tags';
import { durationBetween, formatBytes, formatDuration, formatWhen } from '../../lib/format';
import { jobName } from '../../lib/restore-label';
import { m } from '../../messages';
import { JobDetailDrawer } from './JobDetail';

const PAGE = 25;
export const HISTORY_DAYS = 30;

export function HistoryTab({
  customerId,
  customerColumn = false,
  allowDeleteOld = true,
  openJob,
  onClosedJob,
}: {
  customerId?: string;
  customerColumn?: boolean;
  allowDeleteOld?: boolean;
  /** A job whose detail is open from the start (the page's address names it). */
  openJob?: number;
  onClosedJob?: () => void;
}) {
  const phone = usePhone();
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<number | null>(openJob ?? null);
  useEffect(() => {
    if (openJob !== undefined) setOpen(openJob);
  }, [openJob]);
  const jobs = useQuery({
    queryKey: [...keys.jobs, 'page', page, customerId ?? null],
    queryFn: () => api.jobs({ offset: (page - 1) * PAGE, limit: PAGE, customerId }),
    placeholderData: keepPreviousData,
    // A job that starts and ends between two polls of the banner still turns up finished.
    refetchInterval: (q) =>
      q.state.data?.jobs.some((j) => j.status === 'pending' || j.status === 'running')
        ? 5000
        : false,
  });
  const pages = jobs.data ? Math.max(1, Math.ceil(jobs.data.total / PAGE)) : 1;
  const anyFailed = jobs.data?.jobs.some((j) => j.status === 'failed' && j.type === 'backup');

  return (
    <Stack gap="md">
      {allowDeleteOld && (
        <Group justify="flex-end">
          <DeleteOldEntries />
        </Group>
      )}
      {anyFailed && (
        <Alert color="orange" variant="light" role="note">
          {m.history.failedHint}
        </Alert>
      )}
      {jobs.isPending ? (
        <Loading />
      ) : jobs.error ? (
        <ErrorMessage
          message={m.history.loadFailed(messageOf(jobs.error))}
          onRetry={() => void jobs.refetch()}
        />
      ) : jobs.data.jobs.length === 0 ? (
        <Empty title={m.history.emptyTitle} text={m.history.emptyText} />
      ) : (
        <>
          <JobTable jobs={jobs.data.jobs} onOpen={setOpen} customerColumn={customerColumn} />
          {pages > 1 && (
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                {(jobs.data.totalExact ? m.history.page : m.history.pageOfMore)(
                  (page - 1) * PAGE + 1,
                  Math.min(page * PAGE, jobs.data.total),
                  jobs.data.total,
                )}
              </Text>
              <Pagination
                total={pages}
                siblings={phone ? 0 : 1}
                value={page}
                onChange={setPage}
                aria-label={m.history.pages}
              />
            </Group>
          )}
        </>
      )}
      <JobDetailDrawer
        jobId={open}
        onClose={() => {
          setOpen(null);
          onClosedJob?.();
        }}
      />
    </Stack>
  );
}

function JobTable({
  jobs,
  onOpen,
  customerColumn,
}: {
  jobs: Job[];
  onOpen: (id: number) => void;
  customerColumn: boolean;
}) {
  const c = m.history.columns;
  const columns: Column<Job>[] = [
    {
      label: c.started,
      render: (job) => {
        const duration = durationBetween(job.startedAt, job.finishedAt);
        const size = job.type === 'backup' ? job.bytesProcessed : null;
        return (
          <>
            <Text>{job.startedAt ? formatWhen(job.startedAt) : m.history.notStarted}</Text>
            <Text size="xs" c="dimmed">
              {[
                duration !== null ? formatDuration(duration) : null,
                size !== null ? formatBytes(size) : null,
              ]
                .filter(Boolean)
                .join(' · ') || m.common.none}
            </Text>
          </>
        );
      },
    },
    ...(customerColumn
      ? [
          {
            label: m.admin.customerColumn,
            render: (job: Job) => job.customerId ?? m.admin.serverWide,
          },
        ]
      : []),
    {
      label: c.schedule,
      card: 'title',
      render: (job) => (
        <Group gap="xs">
          {job.type !== 'backup' && (
            <Badge variant="dot" color="violet">
              {m.banner.type[job.type]}
            </Badge>
          )}
          <Text>{jobName(job)}</Text>
          {/* A restore's name says what it restores; its snapshot's scope would not. */}
          {job.type !== 'restore' && <ScopeTag scope={job.scope} />}
        </Group>
      ),
    },
    {
      label: c.status,
      render: (job) => (
        <Group gap="xs" wrap="nowrap">
          <StatusBadge status={job.status} />
          <FlagBadge job={job} />
        </Group>
      ),
    },
    {
      label: c.details,
      hideLabel: true,
      card: 'actions',
      width: 60,
      render: (job) => (
        <ActionIcon
          variant="subtle"
          color="gray"
          aria-label={m.history.details(jobName(job))}
          onClick={(e) => {
            e.stopPropagation();
            onOpen(job.id);
          }}
        >
          <InfoIcon />
        </ActionIcon>
      ),
    },
  ];
  return (
    <ResponsiveTable
      rows={jobs}
      rowKey={(job) => job.id}
      columns={columns}
      label={m.page.tabs.history}
      minWidth={700}
      rowProps={(job) => ({
        onClick: () => onOpen(job.id),
        style: { cursor: 'pointer' },
        'data-testid': 'job-row',
        'data-status': job.status,
      })}
    />
  );
}

/** Counts first (a dry run), asks, then deletes. */
function DeleteOldEntries() {
  const client = useQueryClient();
  const [count, setCount] = useState<number | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const dryRun = useMutation({
    mutationFn: () => api.deleteOldJobs(true),
    onSuccess: (r) => setCount(r.count),
  });
  const remove = useMutation({
    mutationFn: () => api.deleteOldJobs(false),
    onSuccess: (r) => {
      setCount(null);
      setDone(m.history.deleteOldDone(r.count));
      void client.invalidateQueries({ queryKey: keys.jobs });
    },
  });
  const close = () => {
    setCount(null);
    remove.reset();
  };
  return (
    <>
      <Stack gap={4} align="flex-end">
        <Button
          variant="default"
          onClick={() => {
            setDone(null);
            dryRun.mutate();
          }}
          loading={dryRun.isPending}
        >
          {m.history.deleteOld}
        </Button>
        {dryRun.error && (
          <Text size="sm" c="red" role="alert">
            {m.history.deleteOldFailed(messageOf(dryRun.error))}
          </Text>
        )}
        {done && (
          <Text size="sm" c="green.8" role="status">
            {done}
          </Text>
        )}
      </Stack>
      <Modal opened={count !== null} onClose={close} title={m.history.deleteOldTitle}>
        <Stack gap="md">
          <Text size="sm">
            {count === 0
              ? m.history.deleteOldNone(HISTORY_DAYS)
              : m.history.deleteOldCount(count ?? 0, HISTORY_DAYS)}
          </Text>
          {remove.error && (
            <Alert color="red" variant="light" role="alert">
              {m.history.deleteOldFailed(messageOf(remove.error))}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {count === 0 ? m.common.close : m.common.cancel}
            </Button>
            {count !== 0 && (
              <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
                {m.history.deleteOldConfirm(count ?? 0)}
              </Button>
            )}
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
