/**
 * The admin area's holds: every snapshot that retention and deletion leave alone, why and until
 * when; the provider's and the guard's holds are released here (a customer's Keep is theirs).
 */
import { Alert, Button, Stack, Table, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import { Empty, ErrorMessage, Loading } from '../../components/states';
import { formatWhen } from '../../lib/format';
import { m } from '../../messages';
import { failure } from './failure';

export function HoldsPanel() {
  const holds = useQuery({ queryKey: keys.holds, queryFn: api.holds });
  const client = useQueryClient();
  const release = useMutation({
    mutationFn: api.releaseHold,
    onSettled: () => void client.invalidateQueries({ queryKey: keys.holds }),
  });
  const c = m.admin.holdColumns;
  return (
    <Stack gap="md">
      <Text size="sm">{m.admin.holdsIntro}</Text>
      {release.error && (
        <Alert color="red" variant="light" role="alert">
          {m.admin.releaseFailed(failure(release.error))}
        </Alert>
      )}
      {holds.isPending ? (
        <Loading />
      ) : holds.error ? (
        <ErrorMessage message={failure(holds.error)} onRetry={() => void holds.refetch()} />
      ) : holds.data.length === 0 ? (
        <Empty title={m.admin.holdsEmpty} />
      ) : (
        <Table.ScrollContainer minWidth={800}>
          <Table verticalSpacing="sm" aria-label={m.admin.tabs.holds}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{c.snapshot}</Table.Th>
                <Table.Th>{c.customer}</Table.Th>
                <Table.Th>{c.kind}</Table.Th>
                <Table.Th>{c.reason}</Table.Th>
                <Table.Th>{c.until}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {holds.data.map((h) => {
                const kind = h.kind;
                return (
                  <Table.Tr key={h.id} data-testid="hold-row">
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {h.snapshotId.slice(0, 8)}
                      </Text>
                    </Table.Td>
                    <Table.Td>{h.customerId}</Table.Td>
                    <Table.Td>{m.admin.holdKinds[kind]}</Table.Td>
                    <Table.Td>{h.reason}</Table.Td>
                    <Table.Td>
                      {h.expiresAt ? formatWhen(h.expiresAt) : m.admin.holdForever}
                    </Table.Td>
                    <Table.Td>
                      {kind !== 'keep' && (
                        <Button
                          size="xs"
                          variant="default"
                          loading={
                            release.isPending && release.variables?.snapshotId === h.snapshotId
                          }
                          onClick={() =>
                            release.mutate({
                              repositoryId: h.repositoryId,
                              snapshotId: h.snapshotId,
                              kind,
                            })
                          }
                          aria-label={m.admin.releaseLabel(h.snapshotId.slice(0, 8))}
                        >
                          {m.admin.release}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
