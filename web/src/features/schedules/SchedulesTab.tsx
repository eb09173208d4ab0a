/**
 * The Schedules tab: the customer's schedules with Run now, Edit and Delete, and the New
 * Schedule form limited to what the package allows.
 */
import { ActionIcon, Alert, Badge, Button, Group, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { keys, refreshJobs, useMyPackage, useSchedules } from '../../api/queries';
import type { PackageInfo, Schedule } from '../../api/types';
import { EditIcon, PlayIcon, TrashIcon } from '../../components/icons';
import { ResponsiveTable, type Column } from '../../components/ResponsiveTable';
import { Empty, ErrorMessage, Loading, messageOf } from '../../components/states';
import { ScopeTag, StatusBadge } from '../../components/tags';
import { formatWhen, viewerTimeZone } from '../../lib/format';
import { describeTarget, describeWhen } from '../../lib/schedule';
import { JobNotice } from '../../components/JobNotice';
import { m } from '../../messages';
import { DeleteScheduleModal } from './DeleteScheduleModal';
import { ScheduleForm } from './ScheduleForm';

/** What the tab says after an action; a started backup's note follows its job (`jobId`). */
type Feedback = { color: 'green' | 'red' | 'blue'; text: string; jobId?: number } | null;

export function SchedulesTab() {
  const client = useQueryClient();
  const schedules = useSchedules();
  const limits = useMyPackage();
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  const [feedback, setFeedback] = useState<Feedback>(null);

  const run = useMutation({
    mutationFn: (s: Schedule) => api.runNow(s.id),
    onSuccess: (result, s) => {
      setFeedback({
        color: 'blue',
        text: result.alreadyRunning
          ? m.schedules.alreadyRunning(s.name)
          : m.schedules.runStarted(s.name),
        jobId: result.jobId,
      });
      refreshJobs(client);
    },
    onError: (error) =>
      setFeedback({ color: 'red', text: m.schedules.runFailed(messageOf(error)) }),
  });

  // At the package's limit New Schedule is off from the start, with the reason beside it, not
  // refused after the whole form is filled in.
  const info = limits.data;
  const atLimit =
    info !== undefined && info.maxSchedules > 0 && info.schedules >= info.maxSchedules;
  const cannotAdd = info?.included === false || atLimit;

  const saved = (s: Schedule, created: boolean) => {
    setEditing(null);
    setFeedback({
      color: 'green',
      text: created ? m.schedules.created(s.name) : m.schedules.saved(s.name),
    });
    void client.invalidateQueries({ queryKey: keys.schedules });
    void client.invalidateQueries({ queryKey: keys.myPackage });
  };

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <PackageLimits info={limits.data} error={limits.error} />
        {/* Its label stays whole on a phone; the limits beside it wrap instead. */}
        <Button
          onClick={() => setEditing('new')}
          disabled={cannotAdd}
          aria-describedby={atLimit ? 'schedules-at-limit' : undefined}
          style={{ flexShrink: 0 }}
        >
          {m.schedules.new}
        </Button>
      </Group>
      {atLimit && (
        <Alert
          color="gray"
          variant="light"
          id="schedules-at-limit"
          data-testid="schedules-at-limit"
        >
          {m.schedules.atLimit(info.maxSchedules)}
        </Alert>
      )}
      <Text size="sm" c="dimmed">
        {m.schedules.timeZoneRule(viewerTimeZone())}
      </Text>
      {feedback?.jobId !== undefined && (
        <JobNotice
          key={feedback.jobId}
          jobId={feedback.jobId}
          started={feedback.text}
          onClose={() => setFeedback(null)}
        />
      )}
      {feedback && feedback.jobId === undefined && (
        <Alert
          color={feedback.color}
          variant="light"
          withCloseButton
          closeButtonLabel={m.common.close}
          onClose={() => setFeedback(null)}
          role="status"
        >
          {feedback.text}
        </Alert>
      )}
      {schedules.isPending ? (
        <Loading />
      ) : schedules.error ? (
        <ErrorMessage
          message={m.schedules.loadFailed(messageOf(schedules.error))}
          onRetry={() => void schedules.refetch()}
        />
      ) : schedules.data.length === 0 ? (
        <Empty
          title={m.schedules.emptyTitle}
          text={m.schedules.emptyText}
          action={
            <Button variant="light" onClick={() => setEditing('new')} disabled={cannotAdd}>
              {m.schedules.new}
            </Button>
          }
        />
      ) : (
        <ScheduleTable
          schedules={schedules.data}
          onRun={(s) => run.mutate(s)}
          running={run.isPending ? run.variables?.id : undefined}
          onEdit={setEditing}
          onDelete={setDeleting}
        />
      )}
      <ScheduleForm
        opened={editing !== null}
        onClose={() => setEditing(null)}
        schedule={editing === 'new' || editing === null ? undefined : editing}
        limits={limits.data}
        submit={(body) =>
          editing !== null && editing !== 'new'
            ? api.updateSchedule(editing.id, body)
            : api.createSchedule(body)
        }
        onSaved={(s) => saved(s, editing === 'new')}
      />
      <DeleteScheduleModal
        schedule={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={(s) => {
          setDeleting(null);
          setFeedback({ color: 'green', text: m.schedules.deleted(s.name) });
          void client.invalidateQueries({ queryKey: keys.schedules });
          void client.invalidateQueries({ queryKey: keys.myPackage });
        }}
      />
    </Stack>
  );
}

function PackageLimits({ info, error }: { info?: PackageInfo; error: Error | null }) {
  if (error)
    return (
      <Text c="red" size="sm">
        {m.schedules.packageFailed(messageOf(error))}
      </Text>
    );
  if (!info) return <span />;
  if (!info.included) return <Text size="sm">{m.schedules.noPackage}</Text>;
  if (info.packageName === null) return <span />;
  const frequencies = info.frequencies.map((f) => (m.frequency[f] ?? f).toLowerCase()).join(', ');
  return (
    <Text size="sm" c="dimmed" maw={640}>
      {m.schedules.packageLimits(
        frequencies,
        info.maxRetention > 0
          ? m.schedules.retentionLimit(info.maxRetention)
          : m.schedules.unlimitedRetention,
        info.maxSchedules > 0
          ? m.schedules.schedulesLimit(info.maxSchedules)
          : m.schedules.unlimitedSchedules,
      )}
    </Text>
  );
}

export function ScheduleTable({
  schedules,
  onRun,
  running,
  onEdit,
  onDelete,
  customerColumn = false,
}: {
  schedules: Schedule[];
  onRun: (s: Schedule) => void;
  running?: number;
  onEdit?: (s: Schedule) => void;
  onDelete?: (s: Schedule) => void;
  customerColumn?: boolean;
}) {
  const c = m.schedules.columns;
  const columns: Column<Schedule>[] = [
    {
      label: c.name,
      card: 'title',
      render: (s) => (
        <Stack gap={2} align="flex-start">
          <Text fw={600}>{s.name}</Text>
          <ScopeTag scope={s.scope} />
        </Stack>
      ),
    },
    ...(customerColumn
      ? [
          {
            label: m.admin.customerColumn,
            render: (s: Schedule) =>
              s.ownerKind === 'server' ? (s.customerId ?? m.admin.allOfServer) : s.customerId,
          },
        ]
      : []),
    { label: c.when, render: (s) => describeWhen(s) },
    { label: c.retention, render: (s) => m.schedules.retention(s.retention) },
    {
      label: c.target,
      render: (s) => (
        <>
          <Text size="sm">{describeTarget(s.target)}</Text>
          {s.copy && (
            <Group gap={4} data-testid="second-copy">
              <Text size="xs" c="dimmed">
                {m.schedules.copyTo(describeTarget(s.copy.target), s.copy.retention)}
              </Text>
              {s.copy.lastAt && (
                <Text size="xs" c="dimmed">
                  {m.schedules.lastCopy(formatWhen(s.copy.lastAt))}
                </Text>
              )}
              {s.copy.lastStatus === 'failed' && (
                <Badge color="red" variant="light" size="xs">
                  {m.schedules.copyFailed}
                </Badge>
              )}
            </Group>
          )}
        </>
      ),
    },
    {
      label: c.nextRun,
      render: (s) =>
        s.enabled ? formatWhen(s.nextRunAt) : <Badge color="gray">{m.schedules.paused}</Badge>,
    },
    {
      label: c.lastResult,
      render: (s) => (
        <Group gap={4}>
          {s.lastStatus ? (
            <StatusBadge status={s.lastStatus} />
          ) : (
            <Text size="sm" c="dimmed">
              {m.schedules.neverRun}
            </Text>
          )}
          {s.overdue && (
            <Badge color="orange" variant="outline">
              {m.schedules.overdue}
            </Badge>
          )}
        </Group>
      ),
    },
    {
      label: c.actions,
      hideLabel: true,
      card: 'actions',
      render: (s) => (
        <Group gap="xs" wrap="nowrap" justify="flex-end">
          <Button
            color="green"
            size="xs"
            leftSection={<PlayIcon size={14} />}
            onClick={() => onRun(s)}
            loading={running === s.id}
            aria-label={m.schedules.runNowLabel(s.name)}
          >
            {m.schedules.runNow}
          </Button>
          {onEdit && (
            <ActionIcon
              variant="subtle"
              color="gray"
              onClick={() => onEdit(s)}
              aria-label={m.schedules.edit(s.name)}
              title={m.schedules.edit(s.name)}
            >
              <EditIcon />
            </ActionIcon>
          )}
          {onDelete && (
            <ActionIcon
              variant="subtle"
              color="red"
              onClick={() => onDelete(s)}
              aria-label={m.schedules.remove(s.name)}
              title={m.schedules.remove(s.name)}
            >
              <TrashIcon />
            </ActionIcon>
          )}
        </Group>
      ),
    },
  ];
  return (
    <ResponsiveTable
      rows={schedules}
      rowKey={(s) => s.id}
      columns={columns}
      label={m.page.tabs.schedules}
      rowProps={() => ({ 'data-testid': 'schedule-row' })}
      minWidth={900}
      striped
    />
  );
}
