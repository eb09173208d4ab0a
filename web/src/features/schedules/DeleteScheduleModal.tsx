/** Delete a schedule after a confirmation that asks what becomes of its snapshots. */
import { Alert, Button, Group, Modal, Radio, Stack, Text } from '@mantine/core';
import { useMutation } from '../../api/mutation';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import type { Schedule } from '../../api/types';
import { messageOf } from '../../components/states';
import { m } from '../../messages';

export function DeleteScheduleModal({
  schedule,
  onClose,
  onDeleted,
}: {
  schedule: Schedule | null;
  onClose: () => void;
  onDeleted: (s: Schedule) => void;
}) {
  const [snapshots, setSnapshots] = useState<'keep' | 'forget'>('keep');
  const remove = useMutation({
    mutationFn: (s: Schedule) => api.deleteSchedule(s.id, snapshots),
    onSuccess: (_r, s) => onDeleted(s),
  });
  const close = () => {
    remove.reset();
    setSnapshots('keep');
    onClose();
  };
  return (
    <Modal
      opened={schedule !== null}
      onClose={close}
      title={schedule ? m.deleteSchedule.title(schedule.name) : ''}
    >
      <Stack gap="md">
        <Text size="sm">{m.deleteSchedule.text}</Text>
        <Radio.Group
          label={m.deleteSchedule.snapshots}
          value={snapshots}
          onChange={(v) => setSnapshots(v === 'forget' ? 'forget' : 'keep')}
        >
          <Stack gap="xs" mt="xs">
            <Radio value="keep" label={m.deleteSchedule.keep} />
            <Radio value="forget" label={m.deleteSchedule.forget} color="red" />
          </Stack>
        </Radio.Group>
        {remove.error && (
          <Alert color="red" variant="light" role="alert">
            {m.deleteSchedule.failed(messageOf(remove.error))}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            {m.common.cancel}
          </Button>
          <Button
            color="red"
            loading={remove.isPending}
            onClick={() => schedule && remove.mutate(schedule)}
          >
            {m.deleteSchedule.confirm}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
