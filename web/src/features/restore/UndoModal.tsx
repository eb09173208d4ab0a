/**
 * Undo a restore: a safety copy restores exactly what it saved (the request the API gave with
 * it, the only one it accepts), after a confirmation that says what comes back and that the
 * current data is saved first, so an undo can be undone too.
 */
import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useMutation } from '../../api/mutation';
import { api } from '../../api/endpoints';
import { useRefreshJobs } from '../../api/queries';
import type { Snapshot } from '../../api/types';
import { AlertIcon } from '../../components/icons';
import { messageOf } from '../../components/states';
import { formatWhen } from '../../lib/format';
import { restoredThing } from '../../lib/restore-label';
import { m } from '../../messages';

export function UndoModal({
  snapshot,
  onClose,
  onStarted,
}: {
  snapshot: Snapshot | null;
  onClose: () => void;
  onStarted: (text: string, jobId: number) => void;
}) {
  const safety = snapshot?.safety;
  return (
    <Modal
      opened={safety !== undefined}
      onClose={onClose}
      size="lg"
      title={safety ? m.undo.title(safety.restoreJobId) : ''}
      closeButtonProps={{ 'aria-label': m.common.close }}
    >
      {snapshot && safety && (
        <Confirm snapshot={snapshot} safety={safety} onClose={onClose} onStarted={onStarted} />
      )}
    </Modal>
  );
}

function Confirm({
  snapshot,
  safety,
  onClose,
  onStarted,
}: {
  snapshot: Snapshot;
  safety: NonNullable<Snapshot['safety']>;
  onClose: () => void;
  onStarted: (text: string, jobId: number) => void;
}) {
  const refresh = useRefreshJobs();
  const undo = useMutation({
    mutationFn: () => api.undo(snapshot, safety.undo),
    onSuccess: (started) => {
      refresh();
      onStarted(m.restoreTab.started, started.jobId);
    },
  });
  return (
    <Stack gap="md">
      <Alert
        color="orange"
        variant="light"
        icon={<AlertIcon />}
        title={m.restore.confirmTitle}
        role="alert"
      >
        <Stack gap="xs">
          <Text size="sm">
            {m.undo.putsBack(
              safety.restoreJobId,
              restoredThing(safety.undo),
              formatWhen(snapshot.time),
            )}
          </Text>
          <Text size="sm">{m.undo.overwrites}</Text>
          <Text size="sm">{m.restore.safety}</Text>
        </Stack>
      </Alert>
      {undo.error && (
        <Alert color="red" variant="light" role="alert">
          {m.restore.failed(messageOf(undo.error))}
        </Alert>
      )}
      <Group justify="flex-end" gap="sm">
        <Button variant="default" onClick={onClose}>
          {m.common.cancel}
        </Button>
        <Button color="red" onClick={() => undo.mutate()} loading={undo.isPending}>
          {m.undo.confirm(safety.restoreJobId)}
        </Button>
      </Group>
    </Stack>
  );
}
