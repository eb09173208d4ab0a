/**
 * The admin area's packages: each package's backup limits and how many customers use it; a new
 * package, a package edited, and one no customer uses deleted. The service checks every field
 * and names the one that is wrong.
 */
import { Button, Checkbox, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import type { Frequency, Package } from '../../api/types';
import { ConfirmDialog, FormFooter, Notice, fieldError, formError } from '../../components/forms';
import { NumberField } from '../../components/NumberField';
import { ResponsiveTable, usePhone, type Column } from '../../components/ResponsiveTable';
import { Empty, ErrorMessage, Loading } from '../../components/states';
import { m } from '../../messages';
import { failure } from './failure';

const FREQUENCIES: Frequency[] = ['hourly', 'daily', 'weekly', 'monthly'];
/** From the most to the least frequent, however they were ticked. */
const inOrder = (list: readonly string[]): Frequency[] =>
  FREQUENCIES.filter((x) => list.includes(x));

export function PackagesPanel() {
  const packages = useQuery({ queryKey: keys.packages, queryFn: api.packages });
  const customers = useQuery({
    queryKey: keys.customers,
    queryFn: api.customers,
    staleTime: 60_000,
  });
  const [editing, setEditing] = useState<Package | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Package | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const usedBy = (id: string) => customers.data?.filter((c) => c.packageId === id).length;
  const c = m.admin.packageColumns;
  const f = m.admin.packageForm;
  const columns: Column<Package>[] = [
    {
      label: c.name,
      card: 'title',
      render: (p) => (
        <>
          <Text fw={600}>{p.name}</Text>
          <Text size="xs" c="dimmed">
            {p.id}
          </Text>
        </>
      ),
    },
    {
      label: c.frequencies,
      render: (p) =>
        inOrder(p.frequencies)
          .map((x) => m.frequency[x] ?? x)
          .join(', '),
    },
    { label: c.retention, render: (p) => p.maxRetention || m.admin.unlimited },
    { label: c.schedules, render: (p) => p.maxSchedules || m.admin.unlimited },
    { label: c.customers, render: (p) => usedBy(p.id) ?? m.common.none },
    {
      label: m.users.columns.actions,
      hideLabel: true,
      card: 'actions',
      render: (p) => (
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          <Button
            size="compact-sm"
            variant="default"
            onClick={() => setEditing(p)}
            aria-label={f.editLabel(p.name)}
          >
            {f.edit}
          </Button>
          <Button
            size="compact-sm"
            variant="light"
            color="red"
            onClick={() => setDeleting(p)}
            aria-label={f.deleteLabel(p.name)}
          >
            {f.delete}
          </Button>
        </Group>
      ),
    },
  ];
  if (packages.isPending) return <Loading />;
  if (packages.error)
    return (
      <ErrorMessage message={failure(packages.error)} onRetry={() => void packages.refetch()} />
    );
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Text size="sm" c="dimmed" maw={700}>
          {m.admin.packagesIntro}
        </Text>
        <Button onClick={() => setEditing('new')}>{f.newPackage}</Button>
      </Group>
      <Notice text={notice} onClose={() => setNotice(null)} />
      {packages.data.length === 0 ? (
        <Empty title={m.admin.packagesEmpty} />
      ) : (
        <ResponsiveTable
          rows={packages.data}
          rowKey={(p) => p.id}
          columns={columns}
          label={m.admin.tabs.packages}
          minWidth={760}
          striped
          rowProps={() => ({ 'data-testid': 'package-row' })}
        />
      )}
      {editing && (
        <PackageForm
          existing={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onDone={(name) => {
            setEditing(null);
            setNotice(f.saved(name));
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={f.deleteTitle(deleting.name)}
          action={f.delete}
          run={() => api.deletePackage(deleting.id)}
          refresh={keys.packages}
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

function PackageForm({
  existing,
  onClose,
  onDone,
}: {
  existing: Package | null;
  onClose: () => void;
  onDone: (name: string) => void;
}) {
  const client = useQueryClient();
  const phone = usePhone();
  const f = m.admin.packageForm;
  const [id, setId] = useState(existing?.id ?? '');
  const [name, setName] = useState(existing?.name ?? '');
  const [frequencies, setFrequencies] = useState<string[]>(existing?.frequencies ?? ['daily']);
  const [maxRetention, setMaxRetention] = useState<number | ''>(existing?.maxRetention ?? 7);
  const [maxSchedules, setMaxSchedules] = useState<number | ''>(existing?.maxSchedules ?? 2);
  const [keepLimit, setKeepLimit] = useState<number | ''>(existing?.keepLimit ?? 3);
  const save = useMutation({
    mutationFn: () =>
      api.putPackage(id, {
        // The rest of the package (a storage quota set by the command line) stays as it is.
        ...(existing ?? {}),
        id,
        name,
        frequencies: inOrder(frequencies),
        maxRetention,
        maxSchedules,
        keepLimit,
      }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.packages });
      onDone(name);
    },
  });
  const numbers = [maxRetention, maxSchedules, keepLimit];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // A field that holds no whole number is marked beside it already; nothing is sent.
    if (numbers.some((n) => n === '' || Number.isNaN(n))) return;
    save.mutate();
  };
  const err = (field: string) => fieldError(save.error, field);
  return (
    <Modal
      opened
      onClose={onClose}
      title={existing ? f.editTitle(existing.name) : f.newPackage}
      fullScreen={phone}
    >
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <TextInput
            label={f.id}
            description={existing ? undefined : f.idHint}
            value={id}
            onChange={(e) => setId(e.currentTarget.value)}
            error={err('id')}
            disabled={existing !== null}
            required
          />
          <TextInput
            label={f.name}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={err('name')}
            required
          />
          <Checkbox.Group
            label={f.frequencies}
            value={frequencies}
            onChange={setFrequencies}
            error={err('frequencies')}
          >
            <Group mt="xs">
              {FREQUENCIES.map((x) => (
                <Checkbox key={x} value={x} label={m.frequency[x]} />
              ))}
            </Group>
          </Checkbox.Group>
          <NumberField
            label={f.maxRetention}
            description={f.zeroUnlimited}
            value={maxRetention}
            onChange={setMaxRetention}
            min={0}
            error={err('maxRetention')}
          />
          <NumberField
            label={f.maxSchedules}
            description={f.zeroUnlimited}
            value={maxSchedules}
            onChange={setMaxSchedules}
            min={0}
            error={err('maxSchedules')}
          />
          <NumberField
            label={f.keepLimit}
            value={keepLimit}
            onChange={setKeepLimit}
            min={0}
            error={err('keepLimit')}
          />
          <FormFooter
            error={formError(save.error, [
              'id',
              'name',
              'frequencies',
              'maxRetention',
              'maxSchedules',
              'keepLimit',
            ])}
            onCancel={onClose}
            submit={f.save}
            pending={save.isPending}
          />
        </Stack>
      </form>
    </Modal>
  );
}
