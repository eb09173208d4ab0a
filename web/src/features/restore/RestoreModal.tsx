/**
 * Restore from a snapshot: the cards (Web files, Databases, Email data, Restore everything,
 * Single file), each saying what it overwrites, then a confirmation that warns of lost changes
 * and offers a manual backup first.
 */
import { Alert, Button, Group, Modal, Radio, SimpleGrid, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { useRefreshJobs } from '../../api/queries';
import type { RestoreWhat, Schedule, Snapshot } from '../../api/types';
import { AlertIcon } from '../../components/icons';
import { messageOf } from '../../components/states';
import { formatWhen } from '../../lib/format';
import { m } from '../../messages';

const OPTIONS: RestoreWhat[] = ['web', 'databases', 'email', 'everything', 'file'];
const NEEDS: Partial<Record<RestoreWhat, string>> = { web: 'web', databases: 'db', email: 'mail' };

/** Why an option cannot be chosen for this snapshot, or undefined when it can. */
function unavailable(what: RestoreWhat, snapshot: Snapshot): string | undefined {
  if (what === 'everything') return snapshot.scope === 'full' ? undefined : m.restore.onlyFull;
  const content = NEEDS[what];
  if (content && !snapshot.contents.includes(content)) return m.restore.notInSnapshot;
  return undefined;
}

export function RestoreModal({
  snapshot,
  schedule,
  onClose,
  onStarted,
  onPickFile,
}: {
  snapshot: Snapshot | null;
  schedule: Schedule;
  onClose: () => void;
  onStarted: (text: string) => void;
  onPickFile: (s: Snapshot) => void;
}) {
  return (
    <Modal
      opened={snapshot !== null}
      onClose={onClose}
      size="xl"
      title={snapshot ? m.restore.title(formatWhen(snapshot.time)) : ''}
    >
      {snapshot && (
        <Steps
          snapshot={snapshot}
          schedule={schedule}
          onClose={onClose}
          onStarted={onStarted}
          onPickFile={onPickFile}
        />
      )}
    </Modal>
  );
}

function Steps({
  snapshot,
  schedule,
  onClose,
  onStarted,
  onPickFile,
}: {
  snapshot: Snapshot;
  schedule: Schedule;
  onClose: () => void;
  onStarted: (text: string) => void;
  onPickFile: (s: Snapshot) => void;
}) {
  const refresh = useRefreshJobs();
  const [what, setWhat] = useState<RestoreWhat | null>(null);
  const [step, setStep] = useState<'choose' | 'confirm'>('choose');
  const when = formatWhen(snapshot.time);
  const restore = useMutation({
    mutationFn: (w: RestoreWhat) => api.restore(snapshot, w),
    onSuccess: () => {
      refresh();
      onStarted(m.restoreTab.started);
    },
  });
  const backup = useMutation({
    mutationFn: () => api.runNow(schedule.id),
    onSuccess: () => refresh(),
  });

  if (step === 'choose') {
    return (
      <Stack gap="md">
        <Radio.Group
          label={m.restore.choose}
          value={what}
          onChange={(v) => setWhat(v as RestoreWhat)}
        >
          <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} mt="sm">
            {OPTIONS.map((option) => {
              const reason = unavailable(option, snapshot);
              const text = m.restore.options[option];
              return (
                <Radio.Card
                  key={option}
                  value={option}
                  disabled={reason !== undefined}
                  p="md"
                  radius="md"
                  data-testid={`restore-option-${option}`}
                  style={reason ? { opacity: 0.55, cursor: 'not-allowed' } : undefined}
                >
                  <Group wrap="nowrap" align="flex-start" gap="sm">
                    <Radio.Indicator disabled={reason !== undefined} />
                    <Stack gap={4}>
                      <Text fw={600}>{text.title}</Text>
                      <Text size="sm">{text.text}</Text>
                      <Text size="xs" c={reason ? 'dimmed' : 'orange.8'}>
                        {reason ?? text.overwrites}
                      </Text>
                    </Stack>
                  </Group>
                </Radio.Card>
              );
            })}
          </SimpleGrid>
        </Radio.Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {m.common.cancel}
          </Button>
          <Button
            disabled={what === null}
            onClick={() => (what === 'file' ? onPickFile(snapshot) : setStep('confirm'))}
          >
            {m.restore.next}
          </Button>
        </Group>
      </Stack>
    );
  }

  const chosen = what ?? 'web';
  return (
    <Stack gap="md">
      <Text fw={600}>{m.restore.options[chosen].title}</Text>
      <Alert
        color="orange"
        variant="light"
        icon={<AlertIcon />}
        title={m.restore.confirmTitle}
        role="alert"
      >
        <Stack gap="xs">
          <Text size="sm">{m.restore.confirmWarning(when)}</Text>
          <Text size="sm">{m.restore.options[chosen].overwrites}</Text>
          <Text size="sm">{m.restore.safety}</Text>
          <Text size="sm" fw={600}>
            {m.restore.backupFirstHint}
          </Text>
        </Stack>
      </Alert>
      {backup.isSuccess && (
        <Alert color="blue" variant="light" role="status">
          {m.restore.backupStarted}
        </Alert>
      )}
      {backup.error && (
        <Alert color="red" variant="light" role="alert">
          {m.schedules.runFailed(messageOf(backup.error))}
        </Alert>
      )}
      {restore.error && (
        <Alert color="red" variant="light" role="alert">
          {m.restore.failed(messageOf(restore.error))}
        </Alert>
      )}
      <Group justify="space-between">
        <Button variant="default" onClick={() => setStep('choose')}>
          {m.common.back}
        </Button>
        <Group gap="sm">
          <Button
            color="green"
            variant="light"
            onClick={() => backup.mutate()}
            loading={backup.isPending}
            disabled={backup.isSuccess}
          >
            {m.restore.backupFirst}
          </Button>
          <Button color="red" onClick={() => restore.mutate(chosen)} loading={restore.isPending}>
            {m.restore.confirm}
          </Button>
        </Group>
      </Group>
    </Stack>
  );
}
