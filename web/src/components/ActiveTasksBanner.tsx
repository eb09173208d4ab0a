/**
 * The blue banner above the tabs: every running or pending backup and restore with its progress
 * (percent, bytes and files). It polls every 5 seconds, every second while a job runs; when a job
 * leaves it, the history and the schedules are refetched so the finished job shows there without
 * a reload, and a line below says how it ended, with a link to its History entry: a backup of a
 * few seconds no longer flashes at 0 % and vanishes without a word.
 *
 * Polls that fail show a warning whether or not a job runs (the network may be down with the page
 * idle); it goes as soon as a poll answers again.
 *
 * Screen readers hear it through a polite live region that is always in the page (one added with
 * its text is often not read) and holds one line per task: what, and whether it runs or waits.
 * The percent stays out of it, or every poll would be read out.
 */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  CloseButton,
  Group,
  Progress,
  Stack,
  Text,
  VisuallyHidden,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMutation } from '../api/mutation';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/endpoints';
import { keys, refreshJobs, useActiveTasks } from '../api/queries';
import type { ActiveTask } from '../api/types';
import { formatBytes, formatDuration, formatPercent, formatWhen } from '../lib/format';
import { historyHref, noticeName, useFollowedJobs } from './JobNotice';
import { jobName } from '../lib/restore-label';
import { m } from '../messages';
import { messageOf } from './states';
import { ScopeTag } from './tags';

/** How many finished jobs the banner still names below it. */
const RECENT = 3;

export function ActiveTasksBanner({
  showCustomer = false,
  linkToHistory = false,
}: {
  showCustomer?: boolean;
  /** The customer's page: each finished job links to its History entry (`#history/<id>`). */
  linkToHistory?: boolean;
}) {
  const client = useQueryClient();
  const { data: tasks, error } = useActiveTasks();
  const seen = useRef<Map<number, ActiveTask>>(new Map());
  const [allDone, setAllDone] = useState(false);
  const [recent, setRecent] = useState<ActiveTask[]>([]);

  useEffect(() => {
    if (!tasks) return;
    const now = new Set(tasks.map((t) => t.id));
    const left = [...seen.current.values()].filter((t) => !now.has(t.id));
    const finished = left.length > 0;
    const started = tasks.some((t) => !seen.current.has(t.id));
    setAllDone(finished && now.size === 0);
    seen.current = new Map(tasks.map((t) => [t.id, t]));
    if (finished) setRecent((r) => [...left.reverse(), ...r].slice(0, RECENT));
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

  const warning = error && (
    <Alert color="yellow" variant="light" role="alert" data-testid="poll-warning">
      {m.banner.pollFailed(messageOf(error))}
    </Alert>
  );
  // A job whose note (under the button that started it) tells its end is not told twice.
  const followed = useFollowedJobs();
  const shown = recent.filter((task) => !followed.has(task.id));
  const ended = shown.length > 0 && (
    <Stack gap={4} data-testid="finished-tasks">
      {shown.map((task) => (
        <FinishedRow
          key={task.id}
          task={task}
          link={linkToHistory}
          onDismiss={() => setRecent((r) => r.filter((t) => t.id !== task.id))}
        />
      ))}
    </Stack>
  );
  if (!tasks || tasks.length === 0)
    return (
      <>
        {live}
        {warning}
        {ended}
      </>
    );
  return (
    <>
      {live}
      {warning}
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
        </Stack>
      </Alert>
      {ended}
    </>
  );
}

/** A job that has left the banner: how it ended, and where to read about it. */
function FinishedRow({
  task,
  link,
  onDismiss,
}: {
  task: ActiveTask;
  link: boolean;
  onDismiss: () => void;
}) {
  const job = useQuery({ queryKey: keys.job(task.id), queryFn: () => api.job(task.id) });
  const status = job.data?.status;
  const done = status === 'successful' || status === 'failed' || status === 'canceled';
  const name = noticeName(job.data ?? task);
  const color = status === 'successful' ? 'green' : status === 'failed' ? 'red' : 'gray';
  return (
    <Alert
      color={color}
      variant="light"
      p="xs"
      // The live region above announces the end; this stays a plain note.
      role="note"
      data-testid="finished-task"
      data-status={status ?? 'unknown'}
    >
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Text size="sm">
          {done ? m.notice.finished[status](name) : m.banner.ended(name)}{' '}
          {link && (
            <Anchor href={historyHref(task.id)} size="sm" fw={700} c="blue.9" underline="always">
              {m.notice.openInHistory}
            </Anchor>
          )}
        </Text>
        <CloseButton size="sm" onClick={onDismiss} aria-label={m.banner.dismiss(name)} />
      </Group>
    </Alert>
  );
}

function TaskRow({ task, showCustomer }: { task: ActiveTask; showCustomer: boolean }) {
  const client = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => api.cancelJob(task.id),
    onSettled: () => refreshJobs(client),
  });
  const name = jobName(task);
  const progress = task.progress;
  const percent = progress?.percent ?? 0;
  const eta = progress?.etaSeconds;
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
          {progress && (progress.bytesTotal > 0 || progress.filesTotal > 0) && (
            <Text size="sm" data-testid="task-amounts">
              {m.banner.amounts(
                formatBytes(progress.bytesDone),
                formatBytes(progress.bytesTotal),
                progress.filesDone,
                progress.filesTotal,
              )}
            </Text>
          )}
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
