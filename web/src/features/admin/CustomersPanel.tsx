/**
 * The admin area's customers: each with its package, server, areas and contact; a customer's
 * name, package, contact, web root and databases edited (the service checks the paths exist and
 * belong to no one else), a customer moved to another hosting server (src/fleet/customer-move.ts:
 * the service refuses what cannot move, and its words are shown), and a record deleted.
 * Mailboxes, certificates and configuration files come from the panel's import and are kept as
 * they are.
 */
import { Alert, Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import type { Customer, Server } from '../../api/types';
import { ConfirmDialog, FormFooter, Notice, fieldError, formError } from '../../components/forms';
import { ResponsiveTable, usePhone, type Column } from '../../components/ResponsiveTable';
import { Empty, ErrorMessage, Loading } from '../../components/states';
import { m } from '../../messages';
import { failure } from './failure';

export function CustomersPanel() {
  const customers = useQuery({ queryKey: keys.customers, queryFn: api.customers });
  const [editing, setEditing] = useState<Customer | null>(null);
  const [deleting, setDeleting] = useState<Customer | null>(null);
  const [moving, setMoving] = useState<Customer | null>(null);
  const [confirmMove, setConfirmMove] = useState<{ customer: Customer; to: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const f = m.admin.customerForm;
  const columns: Column<Customer>[] = [
    {
      label: f.columns.customer,
      card: 'title',
      render: (c) => (
        <>
          <Text fw={600}>{c.name}</Text>
          <Text size="xs" c="dimmed">
            {c.id}
          </Text>
        </>
      ),
    },
    { label: f.columns.package, render: (c) => c.packageId },
    { label: f.columns.server, render: (c) => c.server ?? 'local' },
    {
      label: f.columns.areas,
      render: (c) => f.areas(c.databases?.length ?? 0, c.mailboxes?.length ?? 0),
    },
    { label: f.columns.contact, render: (c) => c.contactEmail ?? '—' },
    {
      label: f.columns.actions,
      hideLabel: true,
      card: 'actions',
      render: (c) => (
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <Button
            size="compact-sm"
            variant="default"
            onClick={() => setEditing(c)}
            aria-label={f.editLabel(c.name)}
          >
            {f.edit}
          </Button>
          <Button
            size="compact-sm"
            variant="default"
            onClick={() => setMoving(c)}
            aria-label={f.moveLabel(c.name)}
          >
            {f.move}
          </Button>
          <Button
            size="compact-sm"
            variant="light"
            color="red"
            onClick={() => setDeleting(c)}
            aria-label={f.deleteLabel(c.name)}
          >
            {f.delete}
          </Button>
        </Group>
      ),
    },
  ];
  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed" maw={760}>
        {f.intro}
      </Text>
      <Notice text={notice} onClose={() => setNotice(null)} />
      {customers.isPending ? (
        <Loading />
      ) : customers.error ? (
        <ErrorMessage message={failure(customers.error)} onRetry={() => void customers.refetch()} />
      ) : customers.data.length === 0 ? (
        <Empty title={f.empty} />
      ) : (
        <ResponsiveTable
          rows={customers.data}
          rowKey={(c) => c.id}
          columns={columns}
          label={m.admin.tabs.customers}
          minWidth={860}
          rowProps={() => ({ 'data-testid': 'customer-row' })}
        />
      )}
      {editing && (
        <CustomerForm
          customer={editing}
          onClose={() => setEditing(null)}
          onDone={(name) => {
            setEditing(null);
            setNotice(f.saved(name));
          }}
        />
      )}
      {moving && (
        <MoveDialog
          customer={moving}
          onClose={() => setMoving(null)}
          onChosen={(to) => {
            setMoving(null);
            setConfirmMove({ customer: moving, to });
          }}
        />
      )}
      {confirmMove && (
        <ConfirmDialog
          title={f.moveConfirmTitle(confirmMove.customer.name, confirmMove.to)}
          action={f.moveSubmit}
          run={async () => {
            const moved = await api.moveCustomer(confirmMove.customer.id, confirmMove.to);
            setNotice(f.moved(confirmMove.customer.name, moved.from, moved.to));
          }}
          refresh={keys.customers}
          onClose={() => setConfirmMove(null)}
          onDone={() => setConfirmMove(null)}
        >
          {f.moveConfirmText(serverOf(confirmMove.customer), confirmMove.to)}
        </ConfirmDialog>
      )}
      {deleting && (
        <ConfirmDialog
          title={f.deleteTitle(deleting.name)}
          action={f.delete}
          run={() => api.deleteCustomer(deleting.id)}
          refresh={keys.customers}
          onClose={() => setDeleting(null)}
          onDone={() => {
            setNotice(f.deleted(deleting.name));
            setDeleting(null);
          }}
        >
          {f.deleteText}
        </ConfirmDialog>
      )}
    </Stack>
  );
}

/** The server a customer is on as the inventory says it (`local` when it names none). */
function serverOf(customer: Customer): string {
  return customer.server ?? 'local';
}

/**
 * The servers a customer can be moved to: online, not revoked or awaiting enrollment, not the
 * one it is on. A customer on `local` is on the implicit server (a controller's default server).
 */
export function moveTargets(servers: readonly Server[], customer: Customer): Server[] {
  const implicit = servers.find((s) => s.implicit)?.id;
  const current = serverOf(customer) === 'local' && implicit ? implicit : serverOf(customer);
  return servers.filter(
    (s) => s.online && (s.state === 'enrolled' || s.state === 'draining') && s.id !== current,
  );
}

/** The first step of a move: the server chosen; the confirmation (ConfirmDialog) says the rest. */
function MoveDialog({
  customer,
  onClose,
  onChosen,
}: {
  customer: Customer;
  onClose: () => void;
  onChosen: (server: string) => void;
}) {
  const f = m.admin.customerForm;
  const phone = usePhone();
  const servers = useQuery({ queryKey: keys.servers, queryFn: api.servers });
  const [to, setTo] = useState<string | null>(null);
  const [unchosen, setUnchosen] = useState(false);
  const targets = moveTargets(servers.data ?? [], customer);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (to && targets.some((s) => s.id === to)) onChosen(to);
    else setUnchosen(true);
  };
  return (
    <Modal opened onClose={onClose} title={f.moveTitle(customer.name)} fullScreen={phone}>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Text size="sm">{f.moveFrom(serverOf(customer))}</Text>
          {servers.isPending ? (
            <Loading />
          ) : servers.error ? (
            <ErrorMessage message={failure(servers.error)} onRetry={() => void servers.refetch()} />
          ) : targets.length === 0 ? (
            <Alert color="yellow" variant="light" role="status">
              {f.moveNoServer}
            </Alert>
          ) : (
            <Select
              label={f.moveTo}
              description={f.moveToHint}
              data={targets.map((s) => ({
                value: s.id,
                label:
                  s.state === 'draining' ? `${s.id} (${m.admin.servers.state.draining})` : s.id,
              }))}
              value={to}
              onChange={(value) => {
                setTo(value);
                setUnchosen(false);
              }}
              allowDeselect={false}
              // In the dialog's own layer: a portal's list would sit under the dialog's overlay.
              comboboxProps={{ withinPortal: false }}
              error={unchosen ? f.moveChoose : undefined}
              required
            />
          )}
          <FormFooter error={undefined} onCancel={onClose} submit={f.moveNext} pending={false} />
        </Stack>
      </form>
    </Modal>
  );
}

function CustomerForm({
  customer,
  onClose,
  onDone,
}: {
  customer: Customer;
  onClose: () => void;
  onDone: (name: string) => void;
}) {
  const client = useQueryClient();
  const phone = usePhone();
  const f = m.admin.customerForm;
  const packages = useQuery({ queryKey: keys.packages, queryFn: api.packages });
  const [name, setName] = useState(customer.name);
  const [packageId, setPackageId] = useState<string | null>(customer.packageId);
  const [contactEmail, setContactEmail] = useState(customer.contactEmail ?? '');
  const [webRoot, setWebRoot] = useState(customer.webRoot);
  const [databases, setDatabases] = useState((customer.databases ?? []).join(', '));
  const save = useMutation({
    mutationFn: () => {
      // What this form does not show (mailboxes, certificates, accounts) goes back unchanged.
      const { contactEmail: _old, ...rest } = customer;
      return api.putCustomer(customer.id, {
        ...rest,
        name,
        packageId: packageId ?? '',
        webRoot,
        databases: databases
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean),
        ...(contactEmail.trim() ? { contactEmail: contactEmail.trim() } : {}),
      });
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.customers });
      onDone(name);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  // The service names list items by index (`databases.1`): shown on the list's field.
  const err = (field: string) =>
    fieldError(save.error, field) ??
    (save.error && field === 'databases'
      ? [0, 1, 2, 3, 4, 5, 6, 7].map((i) => fieldError(save.error, `databases.${i}`)).find(Boolean)
      : undefined);
  const shown = ['name', 'packageId', 'contactEmail', 'webRoot', 'databases'];
  return (
    <Modal opened onClose={onClose} title={f.editTitle(customer.name)} fullScreen={phone} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <TextInput
            label={f.name}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={err('name')}
            required
          />
          <Select
            label={f.package}
            data={(packages.data ?? []).map((p) => ({ value: p.id, label: `${p.name} (${p.id})` }))}
            value={packageId}
            onChange={setPackageId}
            allowDeselect={false}
            // In the dialog's own layer: a portal's list would sit under the dialog's overlay.
            comboboxProps={{ withinPortal: false }}
            error={err('packageId')}
          />
          <TextInput
            label={f.contact}
            description={f.contactHint}
            type="email"
            value={contactEmail}
            onChange={(e) => setContactEmail(e.currentTarget.value)}
            error={err('contactEmail')}
          />
          <TextInput
            label={f.webRoot}
            value={webRoot}
            onChange={(e) => setWebRoot(e.currentTarget.value)}
            error={err('webRoot')}
            required
          />
          <TextInput
            label={f.databases}
            description={f.databasesHint}
            value={databases}
            onChange={(e) => setDatabases(e.currentTarget.value)}
            error={err('databases')}
          />
          <FormFooter
            error={
              save.error && shown.some((s) => err(s)) ? undefined : formError(save.error, shown)
            }
            onCancel={onClose}
            submit={f.save}
            pending={save.isPending}
          />
        </Stack>
      </form>
    </Modal>
  );
}
