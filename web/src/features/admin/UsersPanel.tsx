/**
 * The admin area's users: every sign-in with its role and customer; a new user, a password set
 * for one (a reset: their sessions end), a user deleted after a confirmation.
 */
import {
  Button,
  Group,
  Modal,
  PasswordInput,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import type { User } from '../../api/types';
import { ResponsiveTable, usePhone, type Column } from '../../components/ResponsiveTable';
import { ConfirmDialog, FormFooter, Notice, fieldError, formError } from '../../components/forms';
import { Empty, ErrorMessage, Loading } from '../../components/states';
import { formatWhen } from '../../lib/format';
import { m } from '../../messages';
import { failure } from './failure';

type Listed = User & { createdAt: string };

export function UsersPanel() {
  const users = useQuery({ queryKey: keys.users, queryFn: api.users });
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<Listed | null>(null);
  const [deleting, setDeleting] = useState<Listed | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const c = m.users.columns;

  const columns: Column<Listed>[] = [
    { label: c.name, card: 'title', render: (u) => <Text fw={500}>{u.username}</Text> },
    { label: c.role, render: (u) => m.users.role[u.role] },
    { label: c.customer, render: (u) => u.customerId ?? '—' },
    { label: c.created, render: (u) => formatWhen(u.createdAt) },
    {
      label: c.actions,
      hideLabel: true,
      card: 'actions',
      render: (u) => (
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <Button
            size="compact-sm"
            variant="default"
            onClick={() => setResetting(u)}
            aria-label={m.users.resetLabel(u.username)}
          >
            {m.users.resetPassword}
          </Button>
          <Button
            size="compact-sm"
            variant="light"
            color="red"
            onClick={() => setDeleting(u)}
            aria-label={m.users.deleteLabel(u.username)}
          >
            {m.users.delete}
          </Button>
        </Group>
      ),
    },
  ];

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Text size="sm" c="dimmed" maw={700}>
          {m.users.intro}
        </Text>
        <Button onClick={() => setCreating(true)}>{m.users.newUser}</Button>
      </Group>
      <Notice text={notice} onClose={() => setNotice(null)} />
      {users.isPending ? (
        <Loading />
      ) : users.error ? (
        <ErrorMessage message={failure(users.error)} onRetry={() => void users.refetch()} />
      ) : users.data.length === 0 ? (
        <Empty title={m.users.empty} />
      ) : (
        <ResponsiveTable
          rows={users.data}
          rowKey={(u) => String(u.id)}
          columns={columns}
          label={m.admin.tabs.users}
          minWidth={700}
          rowProps={() => ({ 'data-testid': 'user-row' })}
        />
      )}
      <NewUser
        opened={creating}
        onClose={() => setCreating(false)}
        onDone={(name) => {
          setCreating(false);
          setNotice(m.users.created(name));
        }}
      />
      {resetting && (
        <ResetPassword
          user={resetting}
          onClose={() => setResetting(null)}
          onDone={() => {
            setNotice(m.users.reset(resetting.username));
            setResetting(null);
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={m.users.deleteTitle(deleting.username)}
          action={m.users.delete}
          run={() => api.deleteUser(deleting.id)}
          refresh={keys.users}
          onClose={() => setDeleting(null)}
          onDone={() => {
            setNotice(m.users.deleted(deleting.username));
            setDeleting(null);
          }}
        >
          {m.users.deleteText}
        </ConfirmDialog>
      )}
    </Stack>
  );
}

function NewUser({
  opened,
  onClose,
  onDone,
}: {
  opened: boolean;
  onClose: () => void;
  onDone: (name: string) => void;
}) {
  const client = useQueryClient();
  const phone = usePhone();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<'customer' | 'admin'>('customer');
  const [customerId, setCustomerId] = useState<string | null>(null);
  const customers = useQuery({ queryKey: keys.customers, queryFn: api.customers, enabled: opened });
  const create = useMutation({
    mutationFn: () =>
      api.createUser({
        username,
        password,
        role,
        ...(role === 'customer' ? { customerId: customerId ?? '' } : {}),
      }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.users });
      onDone(username);
      setUsername('');
      setPassword('');
      create.reset();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const err = (field: string) => fieldError(create.error, field);
  const general = formError(create.error, ['username', 'password', 'role', 'customerId']);
  return (
    <Modal opened={opened} onClose={onClose} title={m.users.newUser} fullScreen={phone}>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <TextInput
            label={m.users.username}
            value={username}
            onChange={(e) => setUsername(e.currentTarget.value)}
            error={err('username')}
            autoComplete="off"
            required
          />
          <SegmentedControl
            aria-label={m.users.columns.role}
            value={role}
            onChange={(v) => setRole(v as 'customer' | 'admin')}
            data={[
              { value: 'customer', label: m.users.role.customer },
              { value: 'admin', label: m.users.role.admin },
            ]}
          />
          {role === 'customer' && (
            <Select
              label={m.users.customer}
              data={(customers.data ?? []).map((c) => ({
                value: c.id,
                label: `${c.name} (${c.id})`,
              }))}
              value={customerId}
              onChange={setCustomerId}
              searchable
              // In the dialog's own layer: a portal's list would sit under the dialog's overlay.
              comboboxProps={{ withinPortal: false }}
              error={err('customerId')}
              required
            />
          )}
          <PasswordInput
            label={m.users.password}
            description={m.users.passwordHint}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={err('password')}
            autoComplete="new-password"
            required
          />
          <FormFooter
            error={general}
            onCancel={onClose}
            submit={m.users.create}
            pending={create.isPending}
          />
        </Stack>
      </form>
    </Modal>
  );
}

function ResetPassword({
  user,
  onClose,
  onDone,
}: {
  user: Listed;
  onClose: () => void;
  onDone: () => void;
}) {
  const [password, setPassword] = useState('');
  const reset = useMutation({
    mutationFn: () => api.resetPassword(user.id, password),
    onSuccess: onDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    reset.mutate();
  };
  return (
    <Modal opened onClose={onClose} title={m.users.resetTitle(user.username)}>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Text size="sm">{m.users.resetHint}</Text>
          <PasswordInput
            label={m.users.password}
            description={m.users.passwordHint}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={fieldError(reset.error, 'password')}
            autoComplete="new-password"
            data-autofocus
            required
          />
          <FormFooter
            error={formError(reset.error, ['password'])}
            onCancel={onClose}
            submit={m.users.resetPassword}
            pending={reset.isPending}
          />
        </Stack>
      </form>
    </Modal>
  );
}
