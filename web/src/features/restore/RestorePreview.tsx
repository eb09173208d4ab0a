/**
 * Before the customer confirms a restore: what it will add, change and delete in each area they
 * picked, and the databases it replaces. Counts for everything; the files themselves a page at a
 * time (a 100,000-file web root never reaches the browser whole).
 */
import { Alert, Button, Group, Loader, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import type { RestoreRequest, Snapshot } from '../../api/types';
import { messageOf } from '../../components/states';
import { formatBytes } from '../../lib/format';
import { m } from '../../messages';

type Action = 'add' | 'change' | 'delete';
const ACTIONS: Action[] = ['add', 'change', 'delete'];
const PAGE = 50;

export function RestorePreview({
  snapshot,
  request,
}: {
  snapshot: Snapshot;
  request: RestoreRequest;
}) {
  const [action, setAction] = useState<Action>('add');
  const [offset, setOffset] = useState(0);
  const key = ['restore-preview', snapshot.repositoryId, snapshot.id, request] as const;
  // Counts come with every page; the first page of "add" is asked at once.
  const preview = useQuery({
    queryKey: [...key, action, offset],
    queryFn: () => api.restorePreview(snapshot, request, action, offset, PAGE),
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    retry: false,
  });
  const data = preview.data;

  if (preview.isPending)
    return (
      <Group gap="sm" data-testid="restore-preview-loading">
        <Loader size="sm" />
        <Text size="sm">{m.restorePreview.loading}</Text>
      </Group>
    );
  if (preview.error || !data)
    return (
      <Alert color="yellow" variant="light" role="status">
        {m.restorePreview.failed(messageOf(preview.error))}
      </Alert>
    );

  const label = (index: number): string => {
    const area = data.areas[index];
    if (!area) return '';
    const group = m.content[area.group] ?? area.group;
    const name = area.name ? `/${area.name}` : '';
    return `${group}${name}${area.part === 'filters' ? ` (${m.restorePreview.filters})` : ''}`;
  };
  const totals = Object.fromEntries(
    ACTIONS.map((a) => [a, data.areas.reduce((n, area) => n + area[a], 0)]),
  ) as Record<Action, number>;
  const nothing = ACTIONS.every((a) => totals[a] === 0) && data.databases.length === 0;
  const count = (n: number) => n.toLocaleString(m.locale);
  const page = data.page;

  return (
    <Stack gap="xs" data-testid="restore-preview">
      <Text fw={600} size="sm">
        {m.restorePreview.title}
      </Text>
      {data.areas.map((area, i) => (
        <Text size="sm" key={i} data-testid="restore-preview-area">
          {m.restorePreview.area(label(i), area.add, area.change, area.delete, area.unchanged)}
          {area.mode === 'keep-newer' ? ` ${m.restorePreview.keepsNewer}` : ''}
        </Text>
      ))}
      {data.databases.length > 0 && (
        <Text size="sm">{m.restorePreview.databases(data.databases.join(', '))}</Text>
      )}
      {nothing && <Text size="sm">{m.restorePreview.nothing}</Text>}
      {data.areas.length > 0 && !nothing && (
        <>
          <SegmentedControl
            value={action}
            onChange={(v) => {
              setAction(v as Action);
              setOffset(0);
            }}
            data={ACTIONS.map((a) => ({
              value: a,
              label: `${m.restorePreview[a]} (${count(totals[a])})`,
            }))}
            aria-label={m.restorePreview.title}
          />
          {action === 'delete' && totals.delete > 0 && (
            <Text size="xs" c="dimmed">
              {m.restorePreview.deletedKept}
            </Text>
          )}
          {page.total === 0 ? (
            <Text size="sm" c="dimmed">
              {m.restorePreview.none}
            </Text>
          ) : (
            <Table striped fz="sm" data-testid="restore-preview-list">
              <Table.Tbody>
                {page.items.map((item) => {
                  const path = `${label(item.area)}${item.path ? `/${item.path}` : ''}`;
                  return (
                    <Table.Tr key={`${item.area}:${item.path}`}>
                      <Table.Td style={{ wordBreak: 'break-all' }}>{path}</Table.Td>
                      <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                        {item.size !== undefined ? formatBytes(item.size) : ''}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          )}
          {page.total > PAGE && (
            <Group justify="space-between">
              <Text size="xs" c="dimmed">
                {m.restorePreview.range(
                  page.offset + 1,
                  Math.min(page.total, page.offset + page.items.length),
                  page.total,
                )}
              </Text>
              <Group gap="xs">
                <Button
                  size="xs"
                  variant="default"
                  disabled={offset === 0}
                  onClick={() => setOffset(Math.max(0, offset - PAGE))}
                >
                  {m.restorePreview.previous}
                </Button>
                <Button
                  size="xs"
                  variant="default"
                  disabled={offset + PAGE >= page.total}
                  onClick={() => setOffset(offset + PAGE)}
                >
                  {m.restorePreview.next}
                </Button>
              </Group>
            </Group>
          )}
        </>
      )}
    </Stack>
  );
}
