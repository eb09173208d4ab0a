/**
 * The pieces every small form and confirmation of the page shares: a refused request's words
 * beside its field or above the buttons, Cancel and the action, a notice that can be closed, and
 * a confirmation dialog for what cannot be undone.
 */
import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';
import { useMutation } from '../api/mutation';
import { m } from '../messages';
import { messageOf } from './states';

/** A refused request's message for one field, if the service named it. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError
    ? error.fields.find((f) => f.field === field)?.message
    : undefined;
}

/** The refusal's words when no field of the form shows them. */
export function formError(error: unknown, fields: string[]): string | undefined {
  if (!error) return undefined;
  if (error instanceof ApiError && error.fields.some((f) => fields.includes(f.field)))
    return undefined;
  return messageOf(error);
}

/** What went wrong that no field shows, then Cancel and the form's action. */
export function FormFooter({
  error,
  onCancel,
  submit,
  pending,
}: {
  /** From formError: undefined when the fields show it all. */
  error: string | undefined;
  onCancel: () => void;
  submit: string;
  pending: boolean;
}) {
  return (
    <>
      {error && (
        <Alert color="red" variant="light" role="alert">
          {error}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel}>
          {m.common.cancel}
        </Button>
        <Button type="submit" loading={pending}>
          {submit}
        </Button>
      </Group>
    </>
  );
}

/** A done action's word, until it is closed or the next one replaces it. */
export function Notice({ text, onClose }: { text: string | null; onClose: () => void }) {
  if (!text) return null;
  return (
    <Alert
      color="green"
      variant="light"
      role="status"
      withCloseButton
      closeButtonLabel={m.common.close}
      onClose={onClose}
    >
      {text}
    </Alert>
  );
}

/**
 * Asks before something that cannot be undone; the red button does it (`run`), then the lists
 * under `refresh` are read again and `onDone` says so.
 */
export function ConfirmDialog({
  title,
  children,
  action,
  run,
  refresh,
  onDone,
  onClose,
}: {
  title: string;
  children: ReactNode;
  action: string;
  run: () => Promise<unknown>;
  refresh: readonly unknown[];
  onDone: () => void;
  onClose: () => void;
}) {
  const client = useQueryClient();
  const confirmed = useMutation({
    mutationFn: run,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: refresh });
      onDone();
    },
  });
  return (
    <Modal opened onClose={onClose} title={title}>
      <Stack gap="sm">
        <Text size="sm">{children}</Text>
        {confirmed.error != null && (
          <Alert color="red" variant="light" role="alert">
            {messageOf(confirmed.error)}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {m.common.cancel}
          </Button>
          <Button color="red" loading={confirmed.isPending} onClick={() => confirmed.mutate()}>
            {action}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
