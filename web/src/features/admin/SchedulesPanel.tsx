/**
 * The admin area's schedules: customers' own, or the server-wide ones with New, edit and delete.
 * An entire-server schedule may name the hosting server it backs up (its customers, on its agent).
 */
import { Alert, Button, Group, NativeSelect, Stack, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { keys, refreshJobs, useSchedules } from '../../api/queries';
import type { Schedule } from '../../api/types';
import { Empty, ErrorMessage, Loading, messageOf } from '../../components/states';
import { m } from '../../messages';
import { DeleteScheduleModal } from '../schedules/DeleteScheduleModal';
import { ScheduleForm } from '../schedules/ScheduleForm';
import { ScheduleTable } from '../schedules/SchedulesTab';
import { CustomerFilter, useCustomerOptions } from './CustomerFilter';
import { failure } from './failure';

export function SchedulesPanel({ server }: { server: boolean }) {
  const client = useQueryClient();
  const schedules = useSchedules();
  const [customer, setCustomer] = useState<string | null>(null);
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  const [serverFor, setServerFor] = useState<string | null>(null);
  const [hosting, setHosting] = useState<string | null>(null);
  const servers = useQuery({ queryKey: keys.servers, queryFn: api.servers, enabled: server });
  // The implicit server is kept as `local` in the store, as its customers are.
  const hostingOptions = [
    { value: '', label: m.admin.everyServer },
    ...(servers.data ?? [])
      .filter((s) => s.implicit || s.state === 'enrolled' || s.state === 'draining')
      .map((s) => ({ value: s.implicit ? 'local' : s.id, label: s.id })),
  ];
  const entire = editing === 'new' ? serverFor === null : editing?.customerId === null;
  const edit = (s: Schedule | 'new' | null) => {
    setHosting(s !== null && s !== 'new' ? (s.server ?? null) : null);
    setEditing(s);
  };
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
        {server && <Button onClick={() => edit('new')}>{m.admin.newServerSchedule}</Button>}
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
          onEdit={edit}
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
          <>
            {editing === 'new' && (
              <NativeSelect
                label={m.admin.serverScheduleFor}
                data={[{ value: '', label: m.admin.allOfServer }, ...options]}
                value={serverFor ?? ''}
                onChange={(e) => setServerFor(e.currentTarget.value || null)}
              />
            )}
            {server && entire && (
              <NativeSelect
                label={m.admin.hostingServer}
                description={m.admin.hostingServerHint}
                data={hostingOptions}
                value={hosting ?? ''}
                onChange={(e) => setHosting(e.currentTarget.value || null)}
              />
            )}
          </>
        }
        submit={async (body) => {
          if (editing !== null && editing !== 'new') {
            const saved = await api.updateSchedule(editing.id, body);
            return entire && hosting !== (editing.server ?? null)
              ? api.setScheduleServer(editing.id, hosting)
              : saved;
          }
          return api.createServerSchedule(body, serverFor, serverFor === null ? hosting : null);
        }}
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
