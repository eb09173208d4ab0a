/**
 * Restore from a snapshot: the cards (Web files, Databases, One database, Email data, One
 * mailbox, Restore everything, Single file), each saying what it overwrites, then a confirmation that warns of lost changes
 * and offers a manual backup first.
 */
import {
  Alert,
  Button,
  Group,
  Modal,
  NativeSelect,
  Radio,
  SimpleGrid,
  Stack,
  Text,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { useState } from 'react';
import { api, restoreRequestOf } from '../../api/endpoints';
import { keys, useRefreshJobs } from '../../api/queries';
import type { MyAreas, RestoreWhat, Schedule, Snapshot } from '../../api/types';
import { AlertIcon } from '../../components/icons';
import { messageOf } from '../../components/states';
import { formatWhen } from '../../lib/format';
import { m } from '../../messages';
import { RestorePreview } from './RestorePreview';

const OPTIONS: RestoreWhat[] = [
  'web',
  'databases',
  'database',
  'email',
  'mailbox',
  'everything',
  'file',
];
const NEEDS: Partial<Record<RestoreWhat, string>> = {
  web: 'web',
  databases: 'db',
  database: 'db',
  email: 'mail',
  mailbox: 'mail',
};

/** Why an option cannot be chosen for this snapshot, or undefined when it can. */
function unavailable(
  what: RestoreWhat,
  snapshot: Snapshot,
  areas: MyAreas | undefined,
): string | undefined {
  if (what === 'everything') return snapshot.scope === 'full' ? undefined : m.restore.onlyFull;
  const content = NEEDS[what];
  if (content && !snapshot.contents.includes(content)) return m.restore.notInSnapshot;
  if (what === 'database' && areas?.databases.length === 0) return m.restore.noneToChoose;
  if (what === 'mailbox' && areas?.mailboxes.length === 0) return m.restore.noneToChoose;
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
  onStarted: (text: string, jobId: number) => void;
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
  onStarted: (text: string, jobId: number) => void;
  onPickFile: (s: Snapshot) => void;
}) {
  const refresh = useRefreshJobs();
  const [what, setWhat] = useState<RestoreWhat | null>(null);
  const [step, setStep] = useState<'choose' | 'confirm'>('choose');
  const [one, setOne] = useState<string | null>(null);
  const areas = useQuery({ queryKey: keys.myAreas, queryFn: api.myAreas, staleTime: 60_000 });
  const names =
    what === 'database'
      ? (areas.data?.databases ?? [])
      : what === 'mailbox'
        ? (areas.data?.mailboxes ?? [])
        : [];
  const picked = one !== null && names.includes(one) ? one : (names[0] ?? null);
  const needsOne = what === 'database' || what === 'mailbox';
  const when = formatWhen(snapshot.time);
  const restore = useMutation({
    mutationFn: (w: RestoreWhat) => api.restore(snapshot, w, undefined, picked ?? undefined),
    onSuccess: (started) => {
      refresh();
      onStarted(m.restoreTab.started, started.jobId);
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
              const reason = unavailable(option, snapshot, areas.data);
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
        {needsOne && areas.error && (
          <Alert color="red" variant="light" role="alert">
            {m.restore.areasFailed(messageOf(areas.error))}
          </Alert>
        )}
        {needsOne && names.length > 0 && (
          <NativeSelect
            label={what === 'database' ? m.restore.chooseDatabase : m.restore.chooseMailbox}
            data={names}
            value={picked ?? ''}
            onChange={(e) => setOne(e.currentTarget.value)}
            maw={360}
          />
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {m.common.cancel}
          </Button>
          <Button
            disabled={what === null || (needsOne && picked === null)}
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
      <Text fw={600}>
        {m.restore.options[chosen].title}
        {needsOne && picked !== null ? `: ${picked}` : ''}
      </Text>
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
      <RestorePreview
        snapshot={snapshot}
        request={restoreRequestOf(chosen, undefined, needsOne ? (picked ?? undefined) : undefined)}
      />
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
