/**
 * The blue banner above the tabs: every running or pending backup and restore with its progress.
 * It polls every 5 seconds; when a job leaves it, the history and the schedules are refetched so
 * the finished job shows there without a reload.
 *
 * Screen readers hear it through a polite live region that is always in the page (one added with
 * its text is often not read) and holds one line per task: what, and whether it runs or waits.
 * The percent stays out of it, or every poll would be read out.
 */
import { Alert, Badge, Button, Group, Progress, Stack, Text, VisuallyHidden } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/endpoints';
import { keys, refreshJobs, useActiveTasks } from '../api/queries';
import type { ActiveTask } from '../api/types';
import { formatDuration, formatPercent, formatWhen } from '../lib/format';
import { jobName } from '../lib/restore-label';
import { m } from '../messages';
import { messageOf } from './states';
import { ScopeTag } from './tags';

export function ActiveTasksBanner({ showCustomer = false }: { showCustomer?: boolean }) {
  const client = useQueryClient();
  const { data: tasks, error } = useActiveTasks();
  const seen = useRef<Set<number>>(new Set());
  const [allDone, setAllDone] = useState(false);

  useEffect(() => {
    if (!tasks) return;
    const now = new Set(tasks.map((t) => t.id));
    const finished = [...seen.current].some((id) => !now.has(id));
    const started = tasks.some((t) => !seen.current.has(t.id));
    setAllDone(finished && now.size === 0);
    seen.current = now;
    if (finished || started) {
      void client.invalidateQueries({ queryKey: keys.jobs });
      void client.invalidateQueries({ queryKey: keys.schedules });
    }
    if (finished) void client.invalidateQueries({ queryKey: ['snapshots'] });
  }, [tasks, client]);

  const announcement = tasks?.length
    ? tasks
        .map((t) => m.banner.announce(m.banner.type[t.type], jobName(t), m.banner.status[t.status]))
        .join('. ')
    : allDone
      ? m.banner.allDone
      : '';
  const live = (
    <VisuallyHidden role="status" aria-live="polite" data-testid="tasks-announcer">
      {announcement}
    </VisuallyHidden>
  );

  if (error && !tasks) {
    return (
      <>
        {live}
        <Alert color="yellow" variant="light" role="status">
          {m.banner.pollFailed(messageOf(error))}
        </Alert>
      </>
    );
  }
  if (!tasks || tasks.length === 0) return live;
  return (
    <>
      {live}
      <Alert
        color="blue"
        variant="filled"
        title={m.banner.title}
        role="region"
        aria-label={m.banner.title}
        data-testid="active-tasks"
      >
        <Stack gap="sm">
          {tasks.map((task) => (
            <TaskRow key={task.id} task={task} showCustomer={showCustomer} />
          ))}
          {error && <Text size="xs">{m.banner.pollFailed(messageOf(error))}</Text>}
        </Stack>
      </Alert>
    </>
  );
}

function TaskRow({ task, showCustomer }: { task: ActiveTask; showCustomer: boolean }) {
  const client = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => api.cancelJob(task.id),
    onSettled: () => refreshJobs(client),
  });
  const name = jobName(task);
  const percent = task.progress?.percent ?? 0;
  const eta = task.progress?.etaSeconds;
  return (
    <Stack gap={4} data-testid="active-task" data-status={task.status}>
      {/* On a phone the details wrap and Cancel keeps its width beside them. */}
      <Group justify="space-between" wrap="nowrap" gap="sm" align="flex-start">
        <Group gap="xs" wrap="wrap" style={{ flex: 1, minWidth: 0 }}>
          <Badge color="white" c="blue" variant="filled" size="sm">
            {m.banner.type[task.type]}
          </Badge>
          <Text fw={600}>{name}</Text>
          {task.type !== 'restore' && <ScopeTag scope={task.scope} />}
          {showCustomer && task.customerId && <Text size="sm">{task.customerId}</Text>}
          <Badge color={task.status === 'running' ? 'teal' : 'gray'} variant="filled" size="sm">
            {m.banner.status[task.status]}
          </Badge>
          <Text size="sm">
            {task.startedAt
              ? m.banner.startedAt(formatWhen(task.startedAt))
              : m.banner.queuedAt(formatWhen(task.createdAt))}
          </Text>
        </Group>
        <Button
          size="compact-xs"
          variant="white"
          color="blue"
          onClick={() => cancel.mutate()}
          loading={cancel.isPending}
          aria-label={m.banner.cancelLabel(name)}
          style={{ flexShrink: 0 }}
        >
          {m.banner.cancel}
        </Button>
      </Group>
      {task.status === 'running' ? (
        <Group gap="sm" wrap="wrap">
          <Progress
            value={percent}
            color="white"
            bg="rgba(0, 0, 0, 0.3)"
            size="lg"
            style={{ flex: '1 1 160px' }}
            animated
            aria-label={m.banner.progressLabel(name)}
          />
          <Text size="sm" fw={600} miw={56} ta="right" data-testid="task-percent">
            {m.banner.progress(formatPercent(percent))}
          </Text>
          {percent >= 100 ? (
            // restic counts what it has read; a slow target still receives the last packs.
            <Text size="sm">{m.banner.finishing}</Text>
          ) : (
            eta !== undefined &&
            eta > 0 && (
              <Text size="sm" miw={110}>
                {m.banner.eta(formatDuration(eta))}
              </Text>
            )
          )}
        </Group>
      ) : (
        <Text size="sm">{m.banner.waiting}</Text>
      )}
      {cancel.error && (
        <Text size="sm" fw={600} role="alert">
          {m.banner.cancelFailed(messageOf(cancel.error))}
        </Text>
      )}
    </Stack>
  );
}
