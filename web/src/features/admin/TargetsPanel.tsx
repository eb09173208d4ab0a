/** The admin area's targets: every target in use, who uses it, and a connection test. */
import { Button, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import type { AdminTarget } from '../../api/types';
import { Empty, ErrorMessage, Loading, messageOf } from '../../components/states';
import { TargetTestResult } from '../../components/TargetTestResult';
import { m } from '../../messages';
import { failure } from './failure';

export function TargetsPanel() {
  const targets = useQuery({ queryKey: keys.targets, queryFn: api.targets });
  const c = m.admin.targetColumns;
  return (
    <Stack gap="md">
      <Text size="sm">{m.admin.targetsIntro}</Text>
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
                <TargetRow key={t.key} target={t} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

function TargetRow({ target }: { target: AdminTarget }) {
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
              <Text size="sm">
                {m.admin.targetUse(
                  u.scheduleName,
                  u.owner === 'server' ? m.admin.allOfServer : u.owner,
                )}
              </Text>
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
