/**
 * The admin area's coverage view: every customer with what protects them and what does not —
 * last success per scope, overdue, failing and partial schedules, areas without a schedule, the
 * last verified restore and the stored bytes — filtered, sorted and paged by the service
 * (GET /api/admin/coverage), and the same as CSV.
 */
import { Badge, Button, Group, NativeSelect, Pagination, Stack, Table, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import type { CoverageParams, CoverageRow, CoverageState } from '../../api/types';
import { DownloadIcon } from '../../components/icons';
import { Empty, ErrorMessage, Loading } from '../../components/states';
import { formatBytes, formatWhen } from '../../lib/format';
import { m } from '../../messages';
import { failure } from './failure';

const PAGE = 50;
const STATES: CoverageState[] = [
  'failed',
  'overdue',
  'unscheduled',
  'partial',
  'uncovered',
  'unverified',
  'ok',
];
const COLORS: Record<CoverageState, string> = {
  failed: 'red',
  overdue: 'orange',
  unscheduled: 'red',
  partial: 'yellow',
  uncovered: 'yellow',
  unverified: 'gray',
  ok: 'green',
};
type Sort = NonNullable<CoverageParams['sort']>;
const SORTS: Sort[] = ['state', 'customer', 'lastSuccess', 'lastVerified', 'size'];

export function CoveragePanel() {
  const [state, setState] = useState<CoverageState | ''>('');
  const [sort, setSort] = useState<Sort>('state');
  const [page, setPage] = useState(1);
  const c = m.admin.coverage;
  const filters = { ...(state ? { state } : {}), sort, order: sortOrder(sort) } as const;
  const params: CoverageParams = { ...filters, offset: (page - 1) * PAGE, limit: PAGE };
  const coverage = useQuery({
    queryKey: keys.coverage(params),
    queryFn: () => api.coverage(params),
    placeholderData: keepPreviousData,
  });
  return (
    <Stack gap="md">
      <Text size="sm">{c.intro}</Text>
      <Group align="end" gap="sm">
        <NativeSelect
          label={c.state}
          value={state}
          data={[
            { value: '', label: c.allStates },
            ...STATES.map((s) => ({ value: s, label: c.states[s] })),
          ]}
          onChange={(e) => {
            setState(e.currentTarget.value as CoverageState | '');
            setPage(1);
          }}
        />
        <NativeSelect
          label={c.sort}
          value={sort}
          data={SORTS.map((s) => ({ value: s, label: c.sorts[s] }))}
          onChange={(e) => {
            setSort(e.currentTarget.value as Sort);
            setPage(1);
          }}
        />
        <Button
          component="a"
          href={api.coverageCsvUrl(filters)}
          download
          variant="default"
          leftSection={<DownloadIcon size={14} />}
        >
          {c.csv}
        </Button>
      </Group>
      {coverage.isPending ? (
        <Loading />
      ) : coverage.error ? (
        <ErrorMessage message={failure(coverage.error)} onRetry={() => void coverage.refetch()} />
      ) : (
        <>
          <Group gap="xs" data-testid="coverage-counts">
            {STATES.map((s) => (
              <Badge key={s} color={COLORS[s]} variant="light">
                {c.count(c.states[s], coverage.data.counts[s] ?? 0)}
              </Badge>
            ))}
          </Group>
          {coverage.data.rows.length === 0 ? (
            <Empty title={c.empty} />
          ) : (
            <Table.ScrollContainer minWidth={1000}>
              <Table verticalSpacing="xs" aria-label={m.admin.tabs.coverage}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{c.columns.customer}</Table.Th>
                    <Table.Th>{c.columns.state}</Table.Th>
                    <Table.Th>{c.columns.lastSuccess}</Table.Th>
                    <Table.Th>{c.columns.schedules}</Table.Th>
                    <Table.Th>{c.columns.unscheduled}</Table.Th>
                    <Table.Th>{c.columns.lastVerified}</Table.Th>
                    <Table.Th>{c.columns.size}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {coverage.data.rows.map((r) => (
                    <CoverageLine key={r.customerId} row={r} />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          {coverage.data.total > PAGE && (
            <Pagination
              total={Math.ceil(coverage.data.total / PAGE)}
              value={page}
              onChange={setPage}
            />
          )}
        </>
      )}
    </Stack>
  );
}

function CoverageLine({ row: r }: { row: CoverageRow }) {
  const c = m.admin.coverage;
  const scopes = Object.entries(r.lastSuccess);
  return (
    <Table.Tr data-testid="coverage-row" data-state={r.state}>
      <Table.Td>
        <Text fw={500}>{r.name}</Text>
        <Text size="xs" c="dimmed">
          {r.customerId}
        </Text>
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {(r.problems.length ? r.problems : (['ok'] as const)).map((p) => (
            <Badge key={p} size="sm" color={COLORS[p]} variant="light">
              {c.states[p]}
            </Badge>
          ))}
        </Group>
      </Table.Td>
      <Table.Td>
        {scopes.length === 0 ? (
          <Text size="sm" c="dimmed">
            {c.never}
          </Text>
        ) : (
          scopes.map(([scope, time]) => (
            <Text key={scope} size="sm">
              {c.scopeSuccess(m.scope[scope] ?? scope, formatWhen(time))}
            </Text>
          ))
        )}
      </Table.Td>
      <Table.Td>
        <Text size="sm">
          {c.scheduleCounts(r.schedules, r.overdueSchedules, r.failedSchedules, r.partialSchedules)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">
          {r.unscheduledAreas.length
            ? r.unscheduledAreas.map((a) => m.content[a] ?? a).join(', ')
            : '–'}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm" c={r.lastVerifiedAt ? undefined : 'dimmed'}>
          {r.lastVerifiedAt ? formatWhen(r.lastVerifiedAt) : c.never}
        </Text>
      </Table.Td>
      <Table.Td>{formatBytes(r.repositoryBytes)}</Table.Td>
    </Table.Tr>
  );
}

/** Dates and sizes read best newest or largest first; states worst first; names A to Z. */
function sortOrder(sort: Sort): 'asc' | 'desc' {
  return sort === 'state' || sort === 'customer' ? 'asc' : 'desc';
}
