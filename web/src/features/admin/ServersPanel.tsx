/**
 * The admin area's hosting servers: each agent online or offline, last heard, restic and MariaDB
 * versions, free space, running and queued jobs; enroll (the token is shown once), drain and
 * undrain, revoke. `hostvault serve` shows its one implicit server and nothing to enroll.
 */
import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  Paper,
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
import type { Server } from '../../api/types';
import { ResponsiveTable, type Column } from '../../components/ResponsiveTable';
import { Empty, ErrorMessage, Loading, messageOf } from '../../components/states';
import { formatBytes, formatExact, formatWhen } from '../../lib/format';
import { m } from '../../messages';
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
        s.implicit || s.state === 'revoked' || s.state === 'awaiting' ? null : (
          <Group gap="xs">
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
    </Stack>
  );
}
