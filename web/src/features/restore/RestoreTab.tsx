/**
 * The Restore tab: choose a schedule, Load Snapshots, then per snapshot Browse Files or Restore.
 * Restores run in the background and show in the banner.
 */
import {
  Alert,
  Button,
  Group,
  NativeSelect,
  Stack,
  Table,
  Text,
  VisuallyHidden,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { keys, useSchedules } from '../../api/queries';
import type { Schedule, Snapshot } from '../../api/types';
import { FolderIcon } from '../../components/icons';
import { Empty, ErrorMessage, Loading, messageOf } from '../../components/states';
import { ContentTags } from '../../components/tags';
import { formatBytes, formatWhen } from '../../lib/format';
import { m } from '../../messages';
import { BrowseModal } from './BrowseModal';
import { RestoreModal } from './RestoreModal';

export function RestoreTab() {
  const schedules = useSchedules();
  const [chosen, setChosen] = useState<string | null>(null);
  const [loaded, setLoaded] = useState<number | null>(null);
  const [restoring, setRestoring] = useState<Snapshot | null>(null);
  const [browsing, setBrowsing] = useState<Snapshot | null>(null);
  const [started, setStarted] = useState<string | null>(null);
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
          w={360}
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
        <Alert
          color="blue"
          variant="light"
          withCloseButton
          closeButtonLabel={m.common.close}
          onClose={() => setStarted(null)}
          role="status"
        >
          {started}
        </Alert>
      )}
      {schedule ? (
        <SnapshotList schedule={schedule} onRestore={setRestoring} onBrowse={setBrowsing} />
      ) : (
        <Text c="dimmed">{m.restoreTab.chooseFirst}</Text>
      )}
      {schedule && (
        <>
          <RestoreModal
            snapshot={restoring}
            schedule={schedule}
            onClose={() => setRestoring(null)}
            onStarted={(text) => {
              setRestoring(null);
              setStarted(text);
            }}
            onPickFile={(s) => {
              setRestoring(null);
              setBrowsing(s);
            }}
          />
          <BrowseModal
            snapshot={browsing}
            onClose={() => setBrowsing(null)}
            onStarted={(text) => {
              setBrowsing(null);
              setStarted(text);
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
  onBrowse,
}: {
  schedule: Schedule;
  onRestore: (s: Snapshot) => void;
  onBrowse: (s: Snapshot) => void;
}) {
  const snapshots = useQuery({
    queryKey: keys.snapshots(schedule.id),
    queryFn: () => api.snapshots(schedule.id),
  });
  if (snapshots.isPending) return <Loading />;
  if (snapshots.error)
    return (
      <ErrorMessage
        message={m.restoreTab.loadFailed(messageOf(snapshots.error))}
        onRetry={() => void snapshots.refetch()}
      />
    );
  if (snapshots.data.length === 0)
    return <Empty title={m.restoreTab.emptyTitle} text={m.restoreTab.emptyText} />;
  const c = m.restoreTab.columns;
  return (
    <Table.ScrollContainer minWidth={700}>
      <Table verticalSpacing="sm" highlightOnHover aria-label={m.page.tabs.restore}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{c.time}</Table.Th>
            <Table.Th>{c.contents}</Table.Th>
            <Table.Th>{c.size}</Table.Th>
            <Table.Th>
              <VisuallyHidden>{c.actions}</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {snapshots.data.map((s) => {
            const when = formatWhen(s.time);
            return (
              <Table.Tr key={`${s.repositoryId}:${s.id}`} data-testid="snapshot-row">
                <Table.Td>
                  <Text fw={500}>{when}</Text>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {s.id.slice(0, 8)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <ContentTags contents={s.contents} />
                </Table.Td>
                <Table.Td>{formatBytes(s.size)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" justify="flex-end" wrap="nowrap">
                    <Button
                      variant="default"
                      size="xs"
                      leftSection={<FolderIcon size={14} />}
                      onClick={() => onBrowse(s)}
                      aria-label={m.restoreTab.browseLabel(when)}
                    >
                      {m.restoreTab.browse}
                    </Button>
                    <Button
                      size="xs"
                      onClick={() => onRestore(s)}
                      aria-label={m.restoreTab.restoreLabel(when)}
                    >
                      {m.restoreTab.restore}
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
