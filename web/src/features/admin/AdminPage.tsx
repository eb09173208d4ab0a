/**
 * The admin area: every customer's jobs and schedules with a customer filter, server-wide
 * schedules, packages, the targets in use with a connection test, and repository keys to download.
 */
import { Alert, Button, Group, NativeSelect, Stack, Table, Tabs, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../../api/client';
import { api } from '../../api/endpoints';
import { keys, refreshJobs, useSchedules } from '../../api/queries';
import type { AdminTarget, Schedule } from '../../api/types';
import { AlertIcon, DownloadIcon } from '../../components/icons';
import { Empty, ErrorMessage, Loading, messageOf } from '../../components/states';
import { TargetTestResult } from '../../components/TargetTestResult';
import { formatWhen } from '../../lib/format';
import { m } from '../../messages';
import { HistoryTab } from '../history/HistoryTab';
import { DeleteScheduleModal } from '../schedules/DeleteScheduleModal';
import { ScheduleForm } from '../schedules/ScheduleForm';
import { ScheduleTable } from '../schedules/SchedulesTab';

type AdminTab = 'jobs' | 'schedules' | 'server' | 'packages' | 'targets' | 'keys';

function failure(error: unknown): string {
  return error instanceof ApiError && error.status === 404
    ? m.admin.missingEndpoint
    : m.admin.loadFailed(messageOf(error));
}

export default function AdminPage({ tab, onTab }: { tab: AdminTab; onTab: (t: AdminTab) => void }) {
  return (
    <Tabs value={tab} onChange={(v) => v && onTab(v as AdminTab)} keepMounted={false}>
      <Tabs.List mb="md">
        {(Object.keys(m.admin.tabs) as AdminTab[]).map((t) => (
          <Tabs.Tab key={t} value={t}>
            {m.admin.tabs[t]}
          </Tabs.Tab>
        ))}
      </Tabs.List>
      <Tabs.Panel value="jobs">
        <JobsPanel />
      </Tabs.Panel>
      <Tabs.Panel value="schedules">
        <SchedulesPanel server={false} />
      </Tabs.Panel>
      <Tabs.Panel value="server">
        <SchedulesPanel server />
      </Tabs.Panel>
      <Tabs.Panel value="packages">
        <PackagesPanel />
      </Tabs.Panel>
      <Tabs.Panel value="targets">
        <TargetsPanel />
      </Tabs.Panel>
      <Tabs.Panel value="keys">
        <KeysPanel />
      </Tabs.Panel>
    </Tabs>
  );
}

function useCustomerOptions() {
  const customers = useQuery({
    queryKey: keys.customers,
    queryFn: api.customers,
    staleTime: 60_000,
  });
  return {
    options: (customers.data ?? []).map((c) => ({ value: c.id, label: `${c.name} (${c.id})` })),
    error: customers.error,
  };
}

function CustomerFilter({
  value,
  onChange,
}: {
  value: string | null;
  onChange: (v: string | null) => void;
}) {
  const { options, error } = useCustomerOptions();
  return (
    <Stack gap={4}>
      <NativeSelect
        label={m.admin.customer}
        data={[{ value: '', label: m.admin.allCustomers }, ...options]}
        value={value ?? ''}
        onChange={(e) => onChange(e.currentTarget.value || null)}
        w={320}
      />
      {error && (
        <Text size="xs" c="red">
          {failure(error)}
        </Text>
      )}
    </Stack>
  );
}

function JobsPanel() {
  const [customer, setCustomer] = useState<string | null>(null);
  return (
    <Stack gap="md">
      <CustomerFilter value={customer} onChange={setCustomer} />
      <HistoryTab customerId={customer ?? undefined} customerColumn />
    </Stack>
  );
}

function SchedulesPanel({ server }: { server: boolean }) {
  const client = useQueryClient();
  const schedules = useSchedules();
  const [customer, setCustomer] = useState<string | null>(null);
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  const [serverFor, setServerFor] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<{ color: string; text: string } | null>(null);
  const { options } = useCustomerOptions();
  const run = useMutation({
    mutationFn: (s: Schedule) => api.runNow(s.id),
    onSuccess: (r, s) => {
      setFeedback({
        color: 'blue',
        text: r.alreadyRunning
          ? m.schedules.alreadyRunning(s.name)
          : m.schedules.runStarted(s.name),
      });
      refreshJobs(client);
    },
    onError: (e) => setFeedback({ color: 'red', text: m.schedules.runFailed(messageOf(e)) }),
  });
  const list = (schedules.data ?? []).filter(
    (s) =>
      (server ? s.ownerKind === 'server' : s.ownerKind === 'customer') &&
      (customer === null || s.customerId === customer),
  );
  const done = (text: string) => {
    setEditing(null);
    setDeleting(null);
    setFeedback({ color: 'green', text });
    void client.invalidateQueries({ queryKey: keys.schedules });
  };

  return (
    <Stack gap="md">
      {server && (
        <Text size="sm" c="dimmed">
          {m.admin.serverIntro}
        </Text>
      )}
      <Group justify="space-between" align="flex-end">
        <CustomerFilter value={customer} onChange={setCustomer} />
        {server && <Button onClick={() => setEditing('new')}>{m.admin.newServerSchedule}</Button>}
      </Group>
      {feedback && (
        <Alert
          color={feedback.color}
          variant="light"
          withCloseButton
          closeButtonLabel={m.common.close}
          onClose={() => setFeedback(null)}
          role="status"
        >
          {feedback.text}
        </Alert>
      )}
      {schedules.isPending ? (
        <Loading />
      ) : schedules.error ? (
        <ErrorMessage message={failure(schedules.error)} onRetry={() => void schedules.refetch()} />
      ) : list.length === 0 ? (
        <Empty title={server ? m.admin.serverEmpty : m.admin.schedulesEmpty} />
      ) : (
        <ScheduleTable
          schedules={list}
          customerColumn
          onRun={(s) => run.mutate(s)}
          running={run.isPending ? run.variables?.id : undefined}
          onEdit={setEditing}
          onDelete={setDeleting}
        />
      )}
      <ScheduleForm
        opened={editing !== null}
        onClose={() => setEditing(null)}
        admin
        schedule={editing === 'new' || editing === null ? undefined : editing}
        title={editing === 'new' ? m.admin.newServerSchedule : undefined}
        extra={
          editing === 'new' ? (
            <NativeSelect
              label={m.admin.serverScheduleFor}
              data={[{ value: '', label: m.admin.allOfServer }, ...options]}
              value={serverFor ?? ''}
              onChange={(e) => setServerFor(e.currentTarget.value || null)}
            />
          ) : undefined
        }
        submit={(body) =>
          editing !== null && editing !== 'new'
            ? api.updateSchedule(editing.id, body)
            : api.createServerSchedule(body, serverFor)
        }
        onSaved={(s) =>
          done(editing === 'new' ? m.schedules.created(s.name) : m.schedules.saved(s.name))
        }
      />
      <DeleteScheduleModal
        schedule={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={(s) => done(m.schedules.deleted(s.name))}
      />
    </Stack>
  );
}

function PackagesPanel() {
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
    </Stack>
  );
}

function KeysPanel() {
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

function TargetsPanel() {
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
