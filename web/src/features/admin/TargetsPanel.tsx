/**
 * The admin area's targets: every target in use, who uses it, and a connection test; a target
 * edited through a schedule on it (its credentials, or another place for that schedule).
 */
import { Button, Group, Stack, Table, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useMutation } from '../../api/mutation';
import { api } from '../../api/endpoints';
import { keys, useSchedules } from '../../api/queries';
import type { AdminTarget, Schedule } from '../../api/types';
import { Notice } from '../../components/forms';
import { Empty, ErrorMessage, Loading, messageOf } from '../../components/states';
import { TargetTestResult } from '../../components/TargetTestResult';
import { m } from '../../messages';
import { ScheduleForm } from '../schedules/ScheduleForm';
import { failure } from './failure';

export function TargetsPanel() {
  const client = useQueryClient();
  const targets = useQuery({ queryKey: keys.targets, queryFn: api.targets });
  const schedules = useSchedules();
  const [editing, setEditing] = useState<Schedule | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const edit = (scheduleId: number) =>
    setEditing(schedules.data?.find((s) => s.id === scheduleId) ?? null);
  const c = m.admin.targetColumns;
  return (
    <Stack gap="md">
      <Text size="sm">{m.admin.targetsIntro}</Text>
      <Text size="sm" c="dimmed">
        {m.admin.targetsEditHint}
      </Text>
      <Notice text={notice} onClose={() => setNotice(null)} />
      {targets.isPending ? (
        <Loading />
      ) : targets.error ? (
        <ErrorMessage message={failure(targets.error)} onRetry={() => void targets.refetch()} />
      ) : targets.data.length === 0 ? (
        <Empty title={m.admin.targetsEmpty} />
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table verticalSpacing="sm" aria-label={m.admin.tabs.targets}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{c.kind}</Table.Th>
                <Table.Th>{c.location}</Table.Th>
                <Table.Th>{c.container}</Table.Th>
                <Table.Th>{c.uses}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {targets.data.map((t) => (
                <TargetRow key={t.key} target={t} onEdit={edit} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <ScheduleForm
        opened={editing !== null}
        onClose={() => setEditing(null)}
        admin
        schedule={editing ?? undefined}
        submit={(body) => api.updateSchedule(editing!.id, body)}
        onSaved={(s) => {
          setEditing(null);
          setNotice(m.schedules.saved(s.name));
          void client.invalidateQueries({ queryKey: keys.targets });
          void client.invalidateQueries({ queryKey: keys.schedules });
        }}
      />
    </Stack>
  );
}

function TargetRow({
  target,
  onEdit,
}: {
  target: AdminTarget;
  onEdit: (scheduleId: number) => void;
}) {
  const test = useMutation({
    mutationFn: () => api.testTarget(target.target, target.testScheduleId),
  });
  return (
    <Table.Tr data-testid="target-row">
      <Table.Td>{m.target[target.kind]}</Table.Td>
      <Table.Td>
        <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
          {target.location}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
          {target.container || m.common.none}
        </Text>
      </Table.Td>
      <Table.Td>
        <Stack gap={6}>
          {target.uses.map((u) => (
            <Stack gap={0} key={u.scheduleId}>
              <Group gap="xs" wrap="nowrap">
                <Text size="sm">
                  {m.admin.targetUse(
                    u.scheduleName,
                    u.owner === 'server' ? m.admin.allOfServer : u.owner,
                  )}
                </Text>
                <Button
                  variant="subtle"
                  size="compact-xs"
                  onClick={() => onEdit(u.scheduleId)}
                  aria-label={m.admin.editTargetLabel(u.scheduleName)}
                >
                  {m.admin.editTarget}
                </Button>
              </Group>
              <Text size="xs" c="dimmed" ff="monospace" style={{ wordBreak: 'break-all' }}>
                {u.repository}
              </Text>
            </Stack>
          ))}
        </Stack>
      </Table.Td>
      <Table.Td>
        <Stack gap="xs" align="flex-start" maw={320}>
          <Button
            variant="default"
            size="xs"
            onClick={() => test.mutate()}
            loading={test.isPending}
            aria-label={m.admin.testTargetLabel(target.location)}
          >
            {m.scheduleForm.testConnection}
          </Button>
          {test.data && <TargetTestResult result={test.data} />}
          {test.error && (
            <Text size="sm" c="red" role="alert">
              {m.scheduleForm.testError(messageOf(test.error))}
            </Text>
          )}
        </Stack>
      </Table.Td>
    </Table.Tr>
  );
}
