/**
 * The Restore tab: choose a schedule, Load Snapshots, then per snapshot Browse Files or Restore.
 * Safety copies (what a restore saved before it overwrote anything) are listed with the backups,
 * by time, each with one action: Undo of the restore that made it. Restores run in the
 * background and show in the banner. A held snapshot shows a badge (Kept, Held, Held after mass
 * change) with its reason and end; Keep toggles the customer's own hold, within the package's
 * keep limit, whose refusal shows above the list.
 */
import { Alert, Badge, Button, Group, NativeSelect, Stack, Text, Tooltip } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { keys, useSchedules } from '../../api/queries';
import type { Schedule, Snapshot } from '../../api/types';
import { FolderIcon } from '../../components/icons';
import { ResponsiveTable, type Column } from '../../components/ResponsiveTable';
import { Empty, ErrorMessage, Loading, messageOf } from '../../components/states';
import { ContentTags } from '../../components/tags';
import { formatBytes, formatWhen } from '../../lib/format';
import { restoredThing } from '../../lib/restore-label';
import { JobNotice } from '../../components/JobNotice';
import { m } from '../../messages';
import { BrowseModal } from './BrowseModal';
import { RestoreModal } from './RestoreModal';
import { UndoModal } from './UndoModal';

export function RestoreTab() {
  const schedules = useSchedules();
  const [chosen, setChosen] = useState<string | null>(null);
  const [loaded, setLoaded] = useState<number | null>(null);
  const [restoring, setRestoring] = useState<Snapshot | null>(null);
  const [browsing, setBrowsing] = useState<Snapshot | null>(null);
  const [undoing, setUndoing] = useState<Snapshot | null>(null);
  const [started, setStarted] = useState<{ text: string; jobId: number } | null>(null);
  const schedule = schedules.data?.find((s) => s.id === loaded);

  if (schedules.isPending) return <Loading />;
  if (schedules.error)
    return (
      <ErrorMessage
        message={m.schedules.loadFailed(messageOf(schedules.error))}
        onRetry={() => void schedules.refetch()}
      />
    );
  if (schedules.data.length === 0) return <Empty title={m.restoreTab.noSchedules} />;

  return (
    <Stack gap="md">
      <Group align="flex-end" gap="sm">
        <NativeSelect
          label={m.restoreTab.schedule}
          data={[
            { value: '', label: m.restoreTab.schedulePlaceholder, disabled: true },
            ...schedules.data.map((s) => ({
              value: String(s.id),
              label: `${s.name} (${m.scope[s.scope] ?? s.scope})`,
            })),
          ]}
          value={chosen ?? ''}
          onChange={(e) => setChosen(e.currentTarget.value || null)}
          w={{ base: '100%', xs: 360 }}
        />
        <Button
          onClick={() => {
            setStarted(null);
            setLoaded(chosen === null ? null : Number(chosen));
          }}
          disabled={chosen === null}
        >
          {m.restoreTab.load}
        </Button>
      </Group>
      {started && (
        <JobNotice
          key={started.jobId}
          jobId={started.jobId}
          started={started.text}
          onClose={() => setStarted(null)}
        />
      )}
      {schedule ? (
        <SnapshotList
          schedule={schedule}
          onRestore={setRestoring}
          onUndo={setUndoing}
          onBrowse={setBrowsing}
        />
      ) : (
        <Text c="dimmed">{m.restoreTab.chooseFirst}</Text>
      )}
      {schedule && (
        <>
          <RestoreModal
            snapshot={restoring}
            schedule={schedule}
            onClose={() => setRestoring(null)}
            onStarted={(text, jobId) => {
              setRestoring(null);
              setStarted({ text, jobId });
            }}
            onPickFile={(s) => {
              setRestoring(null);
              setBrowsing(s);
            }}
          />
          <UndoModal
            snapshot={undoing}
            onClose={() => setUndoing(null)}
            onStarted={(text, jobId) => {
              setUndoing(null);
              setStarted({ text, jobId });
            }}
          />
          <BrowseModal
            snapshot={browsing}
            onClose={() => setBrowsing(null)}
            onStarted={(text, jobId) => {
              setBrowsing(null);
              setStarted({ text, jobId });
            }}
          />
        </>
      )}
    </Stack>
  );
}

function SnapshotList({
  schedule,
  onRestore,
  onUndo,
  onBrowse,
}: {
  schedule: Schedule;
  onRestore: (s: Snapshot) => void;
  onUndo: (s: Snapshot) => void;
  onBrowse: (s: Snapshot) => void;
}) {
  const snapshots = useQuery({
    queryKey: keys.snapshots(schedule.id),
    queryFn: () => api.snapshots(schedule.id),
  });
  const client = useQueryClient();
  const keep = useMutation({
    mutationFn: (s: Snapshot) =>
      isKept(s) ? api.unkeepSnapshot(s).then(() => undefined) : api.keepSnapshot(s),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.snapshots(schedule.id) }),
  });
  if (snapshots.isPending) return <Loading />;
  if (snapshots.error)
    return (
      <ErrorMessage
        message={m.restoreTab.loadFailed(messageOf(snapshots.error))}
        onRetry={() => void snapshots.refetch()}
      />
    );
  if (snapshots.data.snapshots.length === 0)
    return <Empty title={m.restoreTab.emptyTitle} text={m.restoreTab.emptyText} />;
  const lastVerifiedAt = snapshots.data.lastVerifiedAt;
  const c = m.restoreTab.columns;
  const columns: Column<Snapshot>[] = [
    {
      label: c.time,
      card: 'title',
      render: (s) => (
        <>
          <Text fw={500}>{formatWhen(s.time)}</Text>
          <Text size="xs" c="dimmed" ff="monospace">
            {s.id.slice(0, 8)}
          </Text>
          <HoldBadges snapshot={s} />
          {s.verifiedAt && (
            <Badge size="xs" color="green" variant="light" data-testid="verified-badge">
              {m.restoreTab.verifiedBadge(formatWhen(s.verifiedAt))}
            </Badge>
          )}
          {s.copyOf && (
            <Badge
              size="xs"
              color="blue"
              variant="light"
              title={m.restoreTab.copyTitle}
              data-testid="copy-badge"
            >
              {m.restoreTab.copyBadge}
            </Badge>
          )}
        </>
      ),
    },
    {
      label: c.contents,
      render: (s) =>
        s.safety ? <SafetyContents safety={s.safety} /> : <ContentTags contents={s.contents} />,
    },
    { label: c.size, render: (s) => formatBytes(s.size) },
    {
      label: c.actions,
      hideLabel: true,
      card: 'actions',
      render: (s) =>
        s.safety ? (
          <SafetyActions snapshot={s} safety={s.safety} onUndo={onUndo} onBrowse={onBrowse} />
        ) : (
          <BackupActions
            snapshot={s}
            onRestore={onRestore}
            onBrowse={onBrowse}
            onKeep={(snapshot) => keep.mutate(snapshot)}
            keeping={keep.isPending && keep.variables === s}
          />
        ),
    },
  ];
  return (
    <Stack gap="sm">
      <Text size="sm" c={lastVerifiedAt ? undefined : 'dimmed'} data-testid="last-verified">
        {lastVerifiedAt
          ? m.restoreTab.lastVerified(formatWhen(lastVerifiedAt))
          : m.restoreTab.neverVerified}
      </Text>
      {keep.error && (
        <Alert color="red" variant="light" role="alert" data-testid="keep-error">
          {m.restoreTab.keepFailed(messageOf(keep.error))}
        </Alert>
      )}
      <ResponsiveTable
        rows={snapshots.data.snapshots}
        rowKey={(s) => `${s.repositoryId}:${s.id}`}
        columns={columns}
        label={m.page.tabs.restore}
        minWidth={700}
        rowProps={(s) => ({
          'data-testid': 'snapshot-row',
          'data-kind': s.safety ? 'safety' : 'backup',
        })}
        rowBg={(s) => (s.safety ? 'var(--mantine-color-yellow-light)' : undefined)}
      />
    </Stack>
  );
}

const isKept = (s: Snapshot) => s.holds.some((h) => h.kind === 'keep');

/** One badge per hold in force, its reason and end in the tooltip and for screen readers. */
function HoldBadges({ snapshot }: { snapshot: Snapshot }) {
  if (snapshot.holds.length === 0) return null;
  return (
    <Group gap={4} mt={4}>
      {snapshot.holds.map((h) => {
        const text = h.expiresAt
          ? m.restoreTab.holdUntil(h.reason, formatWhen(h.expiresAt))
          : m.restoreTab.holdOpen(h.reason);
        return (
          <Tooltip key={h.kind} label={text}>
            <Badge
              size="sm"
              radius="sm"
              variant="light"
              color={h.kind === 'keep' ? 'blue' : h.kind === 'guard' ? 'red' : 'grape'}
              aria-label={`${m.restoreTab.holdBadge[h.kind]}: ${text}`}
              data-testid="hold-badge"
            >
              {m.restoreTab.holdBadge[h.kind]}
            </Badge>
          </Tooltip>
        );
      })}
    </Group>
  );
}

function BackupActions({
  snapshot: s,
  onRestore,
  onBrowse,
  onKeep,
  keeping,
}: {
  snapshot: Snapshot;
  onRestore: (s: Snapshot) => void;
  onBrowse: (s: Snapshot) => void;
  onKeep: (s: Snapshot) => void;
  keeping: boolean;
}) {
  const when = formatWhen(s.time);
  const kept = isKept(s);
  return (
    <Group gap="xs" justify="flex-end" wrap="nowrap">
      <Button
        variant="default"
        size="xs"
        onClick={() => onKeep(s)}
        loading={keeping}
        aria-pressed={kept}
        aria-label={kept ? m.restoreTab.unkeepLabel(when) : m.restoreTab.keepLabel(when)}
      >
        {kept ? m.restoreTab.kept : m.restoreTab.keep}
      </Button>
      <Button
        variant="default"
        size="xs"
        leftSection={<FolderIcon size={14} />}
        onClick={() => onBrowse(s)}
        aria-label={m.restoreTab.browseLabel(when)}
      >
        {m.restoreTab.browse}
      </Button>
      <Button size="xs" onClick={() => onRestore(s)} aria-label={m.restoreTab.restoreLabel(when)}>
        {m.restoreTab.restore}
      </Button>
    </Group>
  );
}

/**
 * A safety copy restores only what it saved, so it offers Undo alone: content tags or a
 * Restore with its choices would lead to requests the service refuses.
 */
function SafetyContents({ safety }: { safety: NonNullable<Snapshot['safety']> }) {
  return (
    <Stack gap={2}>
      <Group gap="xs" wrap="nowrap">
        <Badge color="dark.6" variant="filled" radius="sm" size="sm">
          {m.restoreTab.safetyBadge}
        </Badge>
        <Text size="sm" fw={500}>
          {m.restoreTab.safetyLabel(safety.restoreJobId)}
        </Text>
      </Group>
      <Text size="xs">{m.restoreTab.holds(restoredThing(safety.undo))}</Text>
    </Stack>
  );
}

function SafetyActions({
  snapshot: s,
  safety,
  onUndo,
  onBrowse,
}: {
  snapshot: Snapshot;
  safety: NonNullable<Snapshot['safety']>;
  onUndo: (s: Snapshot) => void;
  onBrowse: (s: Snapshot) => void;
}) {
  const n = safety.restoreJobId;
  return (
    <Group gap="xs" justify="flex-end" wrap="nowrap">
      <Button
        variant="default"
        size="xs"
        leftSection={<FolderIcon size={14} />}
        onClick={() => onBrowse(s)}
        aria-label={m.restoreTab.browseSafetyLabel(n)}
      >
        {m.restoreTab.browse}
      </Button>
      {/* red.9: white on it keeps 4.5:1 (see theme.ts). */}
      <Button size="xs" color="red.9" onClick={() => onUndo(s)}>
        {m.restoreTab.undo(n)}
      </Button>
    </Group>
  );
}
