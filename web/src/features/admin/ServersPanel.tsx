/**
 * The admin area's hosting servers: each agent online or offline, last heard, restic and MariaDB
 * versions, free space, running and queued jobs; enroll (the token is shown once), drain and
 * undrain, revoke. `hostvault serve` shows its one implicit server and nothing to enroll. A server
 * that is offline or revoked can be recovered: its customers moved to another server and restored
 * there from their S3/FTP backups, with a report per customer (src/fleet/server-recovery.ts).
 */
import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  List,
  Paper,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import type { Server, ServerRecoveryReport } from '../../api/types';
import { ResponsiveTable, type Column } from '../../components/ResponsiveTable';
import { Empty, ErrorMessage, Loading, messageOf } from '../../components/states';
import { formatBytes, formatExact, formatWhen } from '../../lib/format';
import { errorText, m } from '../../messages';
import { failure } from './failure';

/** A badge keeps its whole word: the table scrolls sideways instead of cutting it short. */
const BADGE = { minWidth: 'max-content' };

/** Presence comes every 15 s: a refresh at that pace shows an agent going offline in time. */
const POLL_MS = 15_000;

export function ServersPanel() {
  const t = m.admin.servers;
  const client = useQueryClient();
  const servers = useQuery({
    queryKey: keys.servers,
    queryFn: api.servers,
    refetchInterval: POLL_MS,
  });
  const [name, setName] = useState('');
  const [revoking, setRevoking] = useState<string | undefined>();
  const [recovering, setRecovering] = useState<string | undefined>();
  const [recoverTo, setRecoverTo] = useState<string | null>(null);
  const refresh = () => void client.invalidateQueries({ queryKey: keys.servers });
  const enroll = useMutation({
    mutationFn: (server: string) => api.createEnrollment(server),
    onSuccess: () => {
      setName('');
      refresh();
    },
  });
  const drain = useMutation({
    mutationFn: ({ id, draining }: { id: string; draining: boolean }) =>
      api.drainServer(id, draining),
    onSettled: refresh,
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.revokeServer(id),
    onSettled: () => {
      setRevoking(undefined);
      refresh();
    },
  });
  const recover = useMutation({
    mutationFn: ({ id, to }: { id: string; to: string }) => api.recoverServer(id, to),
    onSuccess: () => {
      setRecovering(undefined);
      setRecoverTo(null);
    },
    onSettled: refresh,
  });
  // Servers that can take a lost server's customers: enrolled (or draining), not the lost one.
  const recoverTargets = (servers.data ?? [])
    .filter((s) => s.id !== recovering && (s.state === 'enrolled' || s.state === 'draining'))
    .map((s) => s.id);
  const actionError = drain.error ?? revoke.error;
  const enrollError = enroll.error
    ? (enroll.error instanceof ApiError &&
        enroll.error.fields.find((f) => f.field === 'server')?.message) ||
      messageOf(enroll.error)
    : undefined;

  const c = t.columns;
  const columns: Column<Server>[] = [
    {
      label: c.server,
      card: 'title',
      render: (s) => (
        <Group gap="xs">
          <Text fw={600}>{s.id}</Text>
          {s.implicit && (
            <Text size="xs" c="dimmed">
              ({t.implicit})
            </Text>
          )}
          {!s.sealed && s.state !== 'revoked' && s.state !== 'awaiting' && (
            <Badge
              color="orange"
              variant="light"
              title={t.unsealedHint}
              data-testid="server-unsealed"
              style={BADGE}
            >
              {t.unsealed}
            </Badge>
          )}
        </Group>
      ),
    },
    {
      label: c.agent,
      render: (s) => (
        <Badge
          color={s.online ? 'green' : 'gray'}
          variant="light"
          data-testid="server-online"
          style={BADGE}
        >
          {s.online ? t.online : t.offline}
        </Badge>
      ),
    },
    {
      label: c.state,
      render: (s) => (
        <Badge
          color={
            s.state === 'enrolled'
              ? 'blue'
              : s.state === 'draining'
                ? 'yellow'
                : s.state === 'awaiting'
                  ? 'gray'
                  : 'red'
          }
          variant="outline"
          data-testid="server-state"
          style={BADGE}
        >
          {t.state[s.state]}
        </Badge>
      ),
    },
    {
      label: c.lastSeen,
      render: (s) =>
        s.lastSeenAt ? (
          <span title={formatExact(s.lastSeenAt)}>{formatWhen(s.lastSeenAt)}</span>
        ) : (
          t.never
        ),
    },
    {
      label: c.versions,
      render: (s) => `${s.resticVersion ?? '–'} / ${s.mariadbVersion ?? '–'}`,
    },
    { label: c.free, render: (s) => (s.freeBytes === null ? '–' : formatBytes(s.freeBytes)) },
    { label: c.jobs, render: (s) => t.jobs(s.runningJobs, s.queuedJobs) },
    {
      label: c.actions,
      card: 'actions',
      hideLabel: true,
      render: (s) =>
        s.implicit || s.state === 'awaiting' ? null : s.state === 'revoked' ? (
          <RecoverButton server={s.id} onClick={() => setRecovering(s.id)} />
        ) : (
          <Group gap="xs">
            {!s.online && <RecoverButton server={s.id} onClick={() => setRecovering(s.id)} />}
            <Button
              size="xs"
              variant="default"
              aria-label={s.state === 'draining' ? t.undrainLabel(s.id) : t.drainLabel(s.id)}
              loading={drain.isPending && drain.variables?.id === s.id}
              onClick={() => drain.mutate({ id: s.id, draining: s.state !== 'draining' })}
            >
              {s.state === 'draining' ? t.undrain : t.drain}
            </Button>
            <Button
              size="xs"
              color="red"
              variant="light"
              aria-label={t.revokeLabel(s.id)}
              onClick={() => setRevoking(s.id)}
            >
              {t.revoke}
            </Button>
          </Group>
        ),
    },
  ];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) enroll.mutate(name.trim());
  };

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        {t.intro}
      </Text>
      {actionError && (
        <Alert color="red" variant="light" role="alert">
          {t.actionFailed(messageOf(actionError))}
        </Alert>
      )}
      {recover.data && <RecoveryReport report={recover.data} />}
      {servers.isPending ? (
        <Loading />
      ) : servers.error ? (
        <ErrorMessage message={failure(servers.error)} onRetry={() => void servers.refetch()} />
      ) : servers.data.length === 0 ? (
        <Empty title={t.empty} />
      ) : (
        <ResponsiveTable
          rows={servers.data}
          rowKey={(s) => s.id}
          columns={columns}
          label={m.admin.tabs.servers}
          minWidth={800}
          rowProps={(s) => ({ 'data-testid': 'server-row', 'data-server': s.id })}
        />
      )}
      <Paper withBorder p="md" radius="md">
        <form onSubmit={submit}>
          <Stack gap="sm">
            <Title order={4}>{t.enrollTitle}</Title>
            <Group align="flex-end" gap="sm" wrap="wrap">
              <TextInput
                label={t.enrollName}
                description={t.enrollNameHint}
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                error={enrollError}
                style={{ flex: '1 1 16rem' }}
              />
              <Button type="submit" loading={enroll.isPending} disabled={!name.trim()}>
                {t.enrollSubmit}
              </Button>
            </Group>
            {enroll.data && (
              <Alert color="green" variant="light" role="status" data-testid="enrollment-token">
                <Text size="sm">
                  {t.tokenShownOnce(enroll.data.server, formatExact(enroll.data.expiresAt))}
                </Text>
                <Code block mt="xs" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
                  {`hostvault agent enroll --controller ${window.location.origin} --token ${enroll.data.token}`}
                </Code>
              </Alert>
            )}
          </Stack>
        </form>
      </Paper>
      <Modal
        opened={revoking !== undefined}
        onClose={() => setRevoking(undefined)}
        title={revoking ? t.revokeLabel(revoking) : ''}
      >
        <Stack gap="md">
          <Text size="sm">{revoking ? t.revokeConfirm(revoking) : ''}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(undefined)}>
              {m.common.cancel}
            </Button>
            <Button
              color="red"
              loading={revoke.isPending}
              onClick={() => revoking && revoke.mutate(revoking)}
            >
              {t.revoke}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal
        opened={recovering !== undefined}
        onClose={() => setRecovering(undefined)}
        title={recovering ? t.recoverLabel(recovering) : ''}
      >
        <Stack gap="md">
          <Text size="sm">{recovering ? t.recoverIntro(recovering) : ''}</Text>
          {recoverTargets.length === 0 ? (
            <Alert color="yellow" variant="light">
              {t.recoverNoServer}
            </Alert>
          ) : (
            <Select
              label={t.recoverTo}
              data={recoverTargets}
              value={recoverTo}
              onChange={setRecoverTo}
              allowDeselect={false}
              // Inside the modal: a portal would put the options under its overlay.
              comboboxProps={{ withinPortal: false }}
            />
          )}
          {recover.error && (
            <Alert color="red" variant="light" role="alert">
              {t.actionFailed(messageOf(recover.error))}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRecovering(undefined)}>
              {m.common.cancel}
            </Button>
            <Button
              color="red"
              loading={recover.isPending}
              disabled={!recoverTo || !recoverTargets.includes(recoverTo)}
              onClick={() =>
                recovering && recoverTo && recover.mutate({ id: recovering, to: recoverTo })
              }
            >
              {t.recoverSubmit}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function RecoverButton({ server, onClick }: { server: string; onClick: () => void }) {
  const t = m.admin.servers;
  return (
    <Button size="xs" variant="light" aria-label={t.recoverLabel(server)} onClick={onClick}>
      {t.recover}
    </Button>
  );
}

/** Per customer: moved with its queued restore jobs, or left where it was and why. */
function RecoveryReport({ report }: { report: ServerRecoveryReport }) {
  const t = m.admin.servers;
  return (
    <Alert
      color={report.customers.some((c) => c.status === 'skipped') ? 'yellow' : 'green'}
      variant="light"
      role="status"
      title={t.recoverReport(report.from, report.to)}
      data-testid="recovery-report"
    >
      {report.customers.length === 0 ? (
        <Text size="sm">{t.recoverNoCustomers}</Text>
      ) : (
        <List size="sm" spacing={4}>
          {report.customers.map((c) => (
            <List.Item key={c.customer}>
              {c.status === 'queued'
                ? t.recoverQueued(c.customer, c.restores.map((r) => r.jobId).join(', '))
                : t.recoverSkipped(
                    c.customer,
                    errorText(c.reason?.code, c.reason?.params ?? {}, c.reason?.message ?? ''),
                  )}
              {c.failed.map((f) => (
                <Text size="xs" key={`${f.snapshotId}-${f.what}`}>
                  {t.recoverNotQueued(f.what, errorText(f.code, {}, f.message))}
                </Text>
              ))}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}
