/**
 * "Change password" in the header, for everyone who signed in with a password: the current one
 * first, the new one twice. Signed-link sessions have no password and do not show it.
 */
import { Alert, Button, Modal, PasswordInput, Stack, Group } from '@mantine/core';
import { useMutation } from '../api/mutation';
import { useState, type FormEvent } from 'react';
import { api } from '../api/endpoints';
import { FormFooter, fieldError, formError } from './forms';
import { m } from '../messages';

export function PasswordChange() {
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState(false);
  return (
    <>
      <Button variant="subtle" size="xs" onClick={() => setOpen(true)}>
        {m.account.changePassword}
      </Button>
      <Modal
        opened={open}
        onClose={() => {
          setOpen(false);
          setDone(false);
        }}
        title={m.account.changePassword}
      >
        {done ? (
          <Stack gap="sm">
            <Alert color="green" variant="light" role="status">
              {m.account.changed}
            </Alert>
            <Group justify="flex-end">
              <Button
                onClick={() => {
                  setOpen(false);
                  setDone(false);
                }}
              >
                {m.tokens.done}
              </Button>
            </Group>
          </Stack>
        ) : (
          <Form onDone={() => setDone(true)} onCancel={() => setOpen(false)} />
        )}
      </Modal>
    </>
  );
}

function Form({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: () => api.changePassword(current, next),
    onSuccess: onDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Checked here too: a typo in a password nobody can see would lock its owner out.
    setMismatch(next !== repeat);
    if (next === repeat) change.mutate();
  };
  const general = formError(change.error, ['currentPassword', 'newPassword']);
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <PasswordInput
          label={m.account.current}
          value={current}
          onChange={(e) => setCurrent(e.currentTarget.value)}
          error={fieldError(change.error, 'currentPassword')}
          autoComplete="current-password"
          data-autofocus
          required
        />
        <PasswordInput
          label={m.account.next}
          description={m.account.hint}
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
          error={fieldError(change.error, 'newPassword')}
          autoComplete="new-password"
          required
        />
        <PasswordInput
          label={m.account.repeat}
          value={repeat}
          onChange={(e) => setRepeat(e.currentTarget.value)}
          error={mismatch ? m.account.mismatch : undefined}
          autoComplete="new-password"
          required
        />
        <FormFooter
          error={general}
          onCancel={onCancel}
          submit={m.account.save}
          pending={change.isPending}
        />
      </Stack>
    </form>
  );
}
