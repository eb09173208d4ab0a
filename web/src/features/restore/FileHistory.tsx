/**
 * One file's versions across the snapshots of its schedule (newest first), each downloadable and
 * restorable, with the line changes of a text file between a version and the one before it.
 */
import { Alert, Box, Button, Group, Paper, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import type { FileComparison, FileVersion, Snapshot } from '../../api/types';
import { DownloadIcon } from '../../components/icons';
import { ErrorMessage, Loading, messageOf } from '../../components/states';
import { formatBytes, formatWhen } from '../../lib/format';
import { m } from '../../messages';

type Present = Extract<FileVersion, { kind: 'present' }>;

export function FileHistory({
  snapshot,
  file,
  onRestore,
  onBack,
}: {
  snapshot: Snapshot;
  file: { name: string; path: string };
  /** Restore this version of the file to its place (after the dialog's confirmation). */
  onRestore: (version: { snapshot: Snapshot; name: string; path: string }) => void;
  onBack: () => void;
}) {
  const history = useQuery({
    queryKey: ['versions', snapshot.repositoryId, snapshot.id, file.path],
    queryFn: () => api.versions(snapshot, file.path),
    staleTime: 60_000,
  });
  /** The version whose changes are shown, against the version before it. */
  const [comparing, setComparing] = useState<{ newer: Present; older: Present } | null>(null);
  const of = (v: Present): Snapshot => ({ ...snapshot, id: v.snapshotId });
  const versions = history.data?.versions ?? [];
  const olderThan = (i: number): Present | undefined =>
    versions.slice(i + 1).find((v): v is Present => v.kind === 'present');

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="nowrap">
        <Text fw={600}>{m.browse.history.title(file.name)}</Text>
        <Button variant="default" size="xs" onClick={onBack}>
          {m.common.back}
        </Button>
      </Group>
      {history.isPending ? (
        <Loading label={m.browse.history.loading} />
      ) : history.error ? (
        <ErrorMessage
          message={m.browse.history.failed(messageOf(history.error))}
          onRetry={() => void history.refetch()}
        />
      ) : (
        <>
          <Text size="sm" c="dimmed">
            {m.browse.history.intro(history.data.snapshots)}
          </Text>
          <Stack gap="xs" component="ol" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {versions.map((v, i) => {
              if (v.kind === 'absent')
                return (
                  <Box component="li" key={`absent-${v.time}`}>
                    <Text size="sm" c="dimmed" fs="italic">
                      {m.browse.history.absent(formatWhen(v.since), formatWhen(v.time))}
                    </Text>
                  </Box>
                );
              const older = olderThan(i);
              const open = comparing?.newer.snapshotId === v.snapshotId;
              const time = formatWhen(v.time);
              return (
                <Paper component="li" key={v.snapshotId} withBorder p="sm" data-testid="version">
                  <Group justify="space-between" gap="xs">
                    <Stack gap={2}>
                      <Text fw={500}>{m.browse.history.backedUp(time)}</Text>
                      <Text size="sm" c="dimmed">
                        {formatBytes(v.size)} · {m.browse.columns.modified}: {formatWhen(v.mtime)}
                        {' · '}
                        {m.browse.history.since(v.snapshots, formatWhen(v.since))}
                      </Text>
                    </Stack>
                    <Group gap="xs" wrap="nowrap">
                      {older && (
                        <Button
                          size="compact-sm"
                          variant={open ? 'filled' : 'light'}
                          aria-expanded={open}
                          aria-label={m.browse.history.changesLabel(time)}
                          onClick={() => setComparing(open ? null : { newer: v, older })}
                        >
                          {m.browse.history.changes}
                        </Button>
                      )}
                      {v.realPath && snapshot.kind !== 'safety' && (
                        <Button
                          size="compact-sm"
                          variant="light"
                          aria-label={`${m.browse.restoreLabel(file.name)} (${time})`}
                          onClick={() =>
                            onRestore({ snapshot: of(v), name: file.name, path: v.realPath! })
                          }
                        >
                          {m.browse.restore}
                        </Button>
                      )}
                      <Button
                        component="a"
                        size="compact-sm"
                        variant="default"
                        href={api.downloadUrl(of(v), file.path)}
                        download={file.name}
                        leftSection={<DownloadIcon size={14} />}
                        aria-label={`${m.browse.downloadLabel(file.name)} (${time})`}
                      >
                        {m.browse.download}
                      </Button>
                    </Group>
                  </Group>
                  {open && comparing && (
                    <Changes snapshot={snapshot} path={file.path} {...comparing} />
                  )}
                </Paper>
              );
            })}
          </Stack>
        </>
      )}
    </Stack>
  );
}

function Changes({
  snapshot,
  path,
  newer,
  older,
}: {
  snapshot: Snapshot;
  path: string;
  newer: Present;
  older: Present;
}) {
  const compared = useQuery({
    queryKey: ['compare', snapshot.repositoryId, path, older.snapshotId, newer.snapshotId],
    queryFn: () => api.compare({ ...snapshot, id: newer.snapshotId }, path, older.snapshotId),
    staleTime: Infinity,
  });
  if (compared.isPending) return <Loading label={m.browse.history.loading} />;
  if (compared.error) return <ErrorMessage message={messageOf(compared.error)} />;
  return (
    <Stack gap="xs" mt="sm">
      <Text size="sm" fw={500}>
        {m.browse.history.compareTitle(formatWhen(older.time), formatWhen(newer.time))}
      </Text>
      <Diff diff={compared.data.diff} />
    </Stack>
  );
}

function Diff({ diff }: { diff: FileComparison['diff'] }) {
  switch (diff.kind) {
    case 'same':
      return <Text size="sm">{m.browse.history.same}</Text>;
    case 'binary':
      return <Alert variant="light">{m.browse.history.binary}</Alert>;
    case 'too-large':
      return <Alert variant="light">{m.browse.history.tooLarge}</Alert>;
    case 'too-different':
      return <Alert variant="light">{m.browse.history.tooDifferent}</Alert>;
    case 'changed':
      return (
        <Stack gap="xs">
          <Text size="sm">{m.browse.history.summary(diff.added, diff.removed)}</Text>
          {diff.hunks.map((h) => (
            <Box key={`${h.oldStart}-${h.newStart}`}>
              <Text size="xs" c="dimmed">
                {m.browse.history.fromLine(h.newStart)}
              </Text>
              <Box
                component="pre"
                m={0}
                p="xs"
                style={{
                  overflowX: 'auto',
                  fontSize: 13,
                  border: '1px solid var(--mantine-color-gray-3)',
                  borderRadius: 4,
                }}
              >
                {h.lines.map((l, i) => (
                  <Box
                    component={l.op === 'added' ? 'ins' : l.op === 'removed' ? 'del' : 'span'}
                    key={i}
                    display="block"
                    style={{
                      textDecoration: 'none',
                      background:
                        l.op === 'added'
                          ? 'var(--mantine-color-green-1)'
                          : l.op === 'removed'
                            ? 'var(--mantine-color-red-1)'
                            : undefined,
                    }}
                  >
                    {l.op === 'added' ? '+ ' : l.op === 'removed' ? '− ' : '  '}
                    {l.text}
                  </Box>
                ))}
              </Box>
            </Box>
          ))}
        </Stack>
      );
  }
}
