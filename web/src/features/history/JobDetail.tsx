/**
 * The detail of one job: when, how long, how much, which snapshot, its steps and its error. The
 * steps are the customer's log (by code, in the page's language and time zone); an administrator
 * also gets the raw log below them.
 */
import { Alert, Code, Drawer, Group, ScrollArea, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { keys, useSession } from '../../api/queries';
import { ErrorMessage, Loading, messageOf } from '../../components/states';
import { FlagBadge, ScopeTag, StatusBadge } from '../../components/tags';
import {
  durationBetween,
  formatBytes,
  formatDuration,
  formatExact,
  formatLogTime,
  viewerTimeZone,
} from '../../lib/format';
import { stepText } from '../../lib/job-log';
import type { ReactNode } from 'react';
import { jobName } from '../../lib/restore-label';
import { m } from '../../messages';

export function JobDetailDrawer({ jobId, onClose }: { jobId: number | null; onClose: () => void }) {
  return (
    <Drawer
      opened={jobId !== null}
      onClose={onClose}
      position="right"
      size="xl"
      title={jobId !== null ? m.job.title(jobId) : ''}
      closeButtonProps={{ 'aria-label': m.common.close }}
    >
      {jobId !== null && <JobDetail id={jobId} />}
    </Drawer>
  );
}

function JobDetail({ id }: { id: number }) {
  const admin = useSession().data?.user.role === 'admin';
  const job = useQuery({
    queryKey: keys.job(id),
    queryFn: () => api.job(id),
    refetchInterval: (q) =>
      q.state.data && (q.state.data.status === 'running' || q.state.data.status === 'pending')
        ? 2000
        : false,
  });
  if (job.isPending) return <Loading />;
  if (job.error)
    return (
      <ErrorMessage
        message={m.job.loadFailed(messageOf(job.error))}
        onRetry={() => void job.refetch()}
      />
    );
  const j = job.data;
  const triggers = j.type === 'restore' ? m.job.restoreTriggers : m.job.triggers;
  const what: [string, ReactNode][] = j.restore
    ? [
        [m.job.restored, jobName(j)],
        [m.job.fromSnapshot, <Code key="f">{j.restore.snapshotId}</Code>],
      ]
    : [
        [
          m.job.schedule,
          <span key="n">
            {j.scheduleName ?? m.common.none} <ScopeTag scope={j.scope} />
          </span>,
        ],
      ];
  const rows: [string, ReactNode][] = [
    [m.job.type, m.banner.type[j.type]],
    [
      m.job.status,
      <Group key="s" gap="xs">
        <StatusBadge status={j.status} />
        <FlagBadge job={j} />
      </Group>,
    ],
    ...what,
    [m.job.trigger, triggers[j.trigger] ?? j.trigger],
    [m.job.start, formatExact(j.startedAt)],
    [m.job.end, formatExact(j.finishedAt)],
    [m.job.duration, formatDuration(durationBetween(j.startedAt, j.finishedAt))],
    [m.job.dataSize, formatBytes(j.bytesProcessed)],
    [
      m.job.added,
      // A small or first backup of data that hardly compresses stores a bit more than the data
      // itself (its own records); the detail says so rather than look wrong.
      j.bytesAdded !== null &&
      j.bytesProcessed !== null &&
      j.bytesAdded > j.bytesProcessed &&
      // Only where it shows: 4.5 MB beside 4.5 MB needs no explaining.
      formatBytes(j.bytesAdded) !== formatBytes(j.bytesProcessed) ? (
        <Stack gap={2} key="a">
          <span>{formatBytes(j.bytesAdded)}</span>
          <Text size="xs" c="dimmed">
            {m.job.addedMore}
          </Text>
        </Stack>
      ) : (
        formatBytes(j.bytesAdded)
      ),
    ],
    [m.job.snapshotId, j.snapshotId ? <Code key="c">{j.snapshotId}</Code> : m.common.none],
  ];
  return (
    <Stack gap="md" data-testid="job-detail">
      <Table variant="vertical" layout="fixed" withTableBorder>
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th w={170}>{label}</Table.Th>
              <Table.Td>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {j.error && (
        <Alert color="red" variant="light" title={m.job.error} role="alert">
          <Stack gap="xs">
            <Text size="sm">{j.error}</Text>
            {j.type === 'backup' && (
              <Text size="sm" fw={500}>
                {m.history.failedHint}
              </Text>
            )}
          </Stack>
        </Alert>
      )}
      <Stack gap={4}>
        <Title order={3} size="h5">
          {m.jobLog.title}
        </Title>
        <Text size="xs" c="dimmed">
          {m.jobLog.times(viewerTimeZone())}
        </Text>
        {j.steps.length > 0 ? (
          <Table data-testid="job-steps" verticalSpacing={4} fz="sm">
            <Table.Tbody>
              {j.steps.map((step, i) => (
                <Table.Tr key={i}>
                  <Table.Td w={90} style={{ whiteSpace: 'nowrap', verticalAlign: 'top' }}>
                    {formatLogTime(step.at)}
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{stepText(step)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : (
          <Text size="sm" c="dimmed">
            {m.job.noLog}
          </Text>
        )}
      </Stack>
      {admin && j.log && (
        <Stack gap={4}>
          <Title order={3} size="h5">
            {m.jobLog.rawTitle}
          </Title>
          <Text size="xs" c="dimmed">
            {m.jobLog.rawTimes}
          </Text>
          <ScrollArea.Autosize mah={420} type="auto">
            <Code
              block
              data-testid="job-log"
              tabIndex={0}
              style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}
            >
              {j.log}
            </Code>
          </ScrollArea.Autosize>
        </Stack>
      )}
    </Stack>
  );
}
