/** The admin area's schedules: customers' own, or the server-wide ones with New, edit and delete. */
import { Alert, Button, Group, NativeSelect, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
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
