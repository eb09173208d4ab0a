/** The admin area's packages: each package's backup limits and how many customers use it. */
import { Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import { Empty, ErrorMessage, Loading } from '../../components/states';
import { m } from '../../messages';
import { failure } from './failure';

export function PackagesPanel() {
  const packages = useQuery({ queryKey: keys.packages, queryFn: api.packages });
  const customers = useQuery({
    queryKey: keys.customers,
    queryFn: api.customers,
    staleTime: 60_000,
  });
  const usedBy = (id: string) => customers.data?.filter((c) => c.packageId === id).length;
  const c = m.admin.packageColumns;
  if (packages.isPending) return <Loading />;
  if (packages.error)
    return (
      <ErrorMessage message={failure(packages.error)} onRetry={() => void packages.refetch()} />
    );
  if (packages.data.length === 0) return <Empty title={m.admin.packagesEmpty} />;
  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        {m.admin.packagesIntro}
      </Text>
      <Table.ScrollContainer minWidth={600}>
        <Table striped verticalSpacing="sm" aria-label={m.admin.tabs.packages}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{c.name}</Table.Th>
              <Table.Th>{c.frequencies}</Table.Th>
              <Table.Th>{c.retention}</Table.Th>
              <Table.Th>{c.schedules}</Table.Th>
              <Table.Th>{c.customers}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {packages.data.map((p) => (
              <Table.Tr key={p.id}>
                <Table.Td>
                  <Text fw={600}>{p.name}</Text>
                  <Text size="xs" c="dimmed">
                    {p.id}
                  </Text>
                </Table.Td>
                <Table.Td>{p.frequencies.map((f) => m.frequency[f] ?? f).join(', ')}</Table.Td>
                <Table.Td>{p.maxRetention || m.admin.unlimited}</Table.Td>
                <Table.Td>{p.maxSchedules || m.admin.unlimited}</Table.Td>
                <Table.Td>{usedBy(p.id) ?? m.common.none}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
