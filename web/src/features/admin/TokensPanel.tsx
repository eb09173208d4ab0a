/**
 * The admin area's API tokens: each with whom it acts as and what it may do; a new one shown
 * once, to copy; a token revoked after a confirmation.
 */
import {
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  Radio,
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
import type { ApiToken } from '../../api/types';
import { ResponsiveTable, usePhone, type Column } from '../../components/ResponsiveTable';
import { ConfirmDialog, FormFooter, Notice, fieldError, formError } from '../../components/forms';
import { Empty, ErrorMessage, Loading } from '../../components/states';
import { formatWhen } from '../../lib/format';
import { m } from '../../messages';
import { failure } from './failure';

export function TokensPanel() {
  const tokens = useQuery({ queryKey: keys.tokens, queryFn: api.tokens });
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const c = m.tokens.columns;
  const columns: Column<ApiToken>[] = [
    { label: c.name, card: 'title', render: (t) => <Text fw={500}>{t.name}</Text> },
    { label: c.for, render: (t) => t.customerId ?? m.tokens.allCustomers },
    { label: c.scope, render: (t) => m.tokens.scope[t.scope] },
    { label: c.created, render: (t) => formatWhen(t.createdAt) },
    {
      label: c.lastUsed,
      render: (t) => (t.lastUsedAt ? formatWhen(t.lastUsedAt) : m.tokens.never),
    },
    {
      label: c.actions,
      hideLabel: true,
      card: 'actions',
      render: (t) => (
        <Group justify="flex-end">
          <Button
            size="compact-sm"
            variant="light"
            color="red"
            onClick={() => setRevoking(t)}
            aria-label={m.tokens.revokeLabel(t.name)}
          >
            {m.tokens.revoke}
          </Button>
        </Group>
      ),
    },
  ];
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Text size="sm" c="dimmed" maw={700}>
          {m.tokens.intro}
        </Text>
        <Button onClick={() => setCreating(true)}>{m.tokens.newToken}</Button>
      </Group>
      <Notice text={notice} onClose={() => setNotice(null)} />
      {tokens.isPending ? (
        <Loading />
      ) : tokens.error ? (
        <ErrorMessage message={failure(tokens.error)} onRetry={() => void tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <Empty title={m.tokens.empty} />
      ) : (
        <ResponsiveTable
          rows={tokens.data}
          rowKey={(t) => String(t.id)}
          columns={columns}
          label={m.admin.tabs.tokens}
          minWidth={760}
          rowProps={() => ({ 'data-testid': 'token-row' })}
        />
      )}
      {creating && <NewToken onClose={() => setCreating(false)} />}
      {revoking && (
        <ConfirmDialog
          title={m.tokens.revokeTitle(revoking.name)}
          action={m.tokens.revoke}
          run={() => api.revokeToken(revoking.id)}
          refresh={keys.tokens}
          onClose={() => setRevoking(null)}
          onDone={() => {
            setNotice(m.tokens.revoked(revoking.name));
            setRevoking(null);
          }}
        >
          {m.tokens.revokeText}
        </ConfirmDialog>
      )}
    </Stack>
  );
}

function NewToken({ onClose }: { onClose: () => void }) {
  const client = useQueryClient();
  const phone = usePhone();
  const [name, setName] = useState('');
  /** null: an administrator's token; else the customer it acts as. */
  const [customerId, setCustomerId] = useState<string | null>(null);
  const [scope, setScope] = useState<'full' | 'read'>('read');
  const customers = useQuery({ queryKey: keys.customers, queryFn: api.customers });
  const create = useMutation({
    mutationFn: () =>
      api.createToken(
        customerId === null
          ? { name, role: 'admin', scope }
          : { name, role: 'customer', customerId, scope },
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.tokens }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const general = formError(create.error, ['name', 'customerId', 'role', 'scope']);
  return (
    <Modal opened onClose={onClose} title={m.tokens.newToken} fullScreen={phone} size="lg">
      {create.data ? (
        <Stack gap="sm">
          <Alert color="orange" variant="light" role="status">
            {m.tokens.shownOnce}
          </Alert>
          <Code block data-testid="new-token" style={{ wordBreak: 'break-all' }}>
            {create.data.token}
          </Code>
          <Group justify="flex-end">
            <CopyButton value={create.data.token}>
              {({ copied, copy }) => (
                <Button variant="default" onClick={copy}>
                  {copied ? m.tokens.copied : m.tokens.copy}
                </Button>
              )}
            </CopyButton>
            <Button onClick={onClose}>{m.tokens.done}</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack gap="sm">
            <TextInput
              label={m.tokens.name}
              placeholder={m.tokens.namePlaceholder}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={fieldError(create.error, 'name')}
              data-autofocus
              required
            />
            <Select
              label={m.tokens.role}
              data={[
                { value: '', label: m.tokens.allCustomers },
                ...(customers.data ?? []).map((c) => ({
                  value: c.id,
                  label: `${c.name} (${c.id})`,
                })),
              ]}
              value={customerId ?? ''}
              onChange={(v) => setCustomerId(v ? v : null)}
              allowDeselect={false}
              searchable
              // In the dialog's own layer: a portal's list would sit under the dialog's overlay.
              comboboxProps={{ withinPortal: false }}
              error={fieldError(create.error, 'customerId')}
            />
            <Radio.Group
              label={m.tokens.columns.scope}
              description={m.tokens.scopeHint}
              value={scope}
              onChange={(v) => setScope(v as 'full' | 'read')}
            >
              <Group mt="xs">
                <Radio value="read" label={m.tokens.scope.read} />
                <Radio value="full" label={m.tokens.scope.full} />
              </Group>
            </Radio.Group>
            <FormFooter
              error={general}
              onCancel={onClose}
              submit={m.tokens.create}
              pending={create.isPending}
            />
          </Stack>
        </form>
      )}
    </Modal>
  );
}
