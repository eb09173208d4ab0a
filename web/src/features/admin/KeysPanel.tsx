/** The admin area's repository keys: every repository, each key file to download. */
import { Alert, Button, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import { AlertIcon, DownloadIcon } from '../../components/icons';
import { Empty, ErrorMessage, Loading } from '../../components/states';
import { formatWhen } from '../../lib/format';
import { m } from '../../messages';
import { failure } from './failure';

export function KeysPanel() {
  const repositories = useQuery({ queryKey: keys.repositories, queryFn: api.repositories });
  const c = m.admin.keyColumns;
  return (
    <Stack gap="md">
      <Text size="sm">{m.admin.keysIntro}</Text>
      <Alert color="red" variant="light" icon={<AlertIcon />} role="note">
        <Text size="sm" fw={600}>
          {m.admin.keysWarning}
        </Text>
      </Alert>
      {repositories.isPending ? (
        <Loading />
      ) : repositories.error ? (
        <ErrorMessage
          message={failure(repositories.error)}
          onRetry={() => void repositories.refetch()}
        />
      ) : repositories.data.length === 0 ? (
        <Empty title={m.admin.keysEmpty} />
      ) : (
        <Table.ScrollContainer minWidth={800}>
          <Table verticalSpacing="sm" aria-label={m.admin.tabs.keys}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{c.owner}</Table.Th>
                <Table.Th>{c.target}</Table.Th>
                <Table.Th>{c.location}</Table.Th>
                <Table.Th>{c.created}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {repositories.data.map((r) => {
                const owner = r.owner === 'server' ? m.admin.allOfServer : r.owner;
                return (
                  <Table.Tr key={r.id} data-testid="repository-row">
                    <Table.Td>{owner}</Table.Td>
                    <Table.Td>{m.target[r.targetKind]}</Table.Td>
                    <Table.Td>
                      <Text
                        size="sm"
                        ff="monospace"
                        style={{ wordBreak: 'break-all' }}
                        data-testid="repository-url"
                      >
                        {r.url}
                      </Text>
                    </Table.Td>
                    <Table.Td>{formatWhen(r.createdAt)}</Table.Td>
                    <Table.Td>
                      <Button
                        component="a"
                        href={api.repositoryKeyUrl(r.id)}
                        download
                        size="xs"
                        variant="default"
                        leftSection={<DownloadIcon size={14} />}
                        aria-label={m.admin.downloadKeyLabel(owner)}
                      >
                        {m.admin.downloadKey}
                      </Button>
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
