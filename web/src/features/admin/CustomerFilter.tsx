/** The customer filter above the admin area's lists, and the customers it offers. */
import { NativeSelect, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/endpoints';
import { keys } from '../../api/queries';
import { m } from '../../messages';
import { failure } from './failure';

export function useCustomerOptions() {
  const customers = useQuery({
    queryKey: keys.customers,
    queryFn: api.customers,
    staleTime: 60_000,
  });
  return {
    options: (customers.data ?? []).map((c) => ({ value: c.id, label: `${c.name} (${c.id})` })),
    error: customers.error,
  };
}

export function CustomerFilter({
  value,
  onChange,
}: {
  value: string | null;
  onChange: (v: string | null) => void;
}) {
  const { options, error } = useCustomerOptions();
  return (
    <Stack gap={4}>
      <NativeSelect
        label={m.admin.customer}
        data={[{ value: '', label: m.admin.allCustomers }, ...options]}
        value={value ?? ''}
        onChange={(e) => onChange(e.currentTarget.value || null)}
        w={{ base: '100%', xs: 320 }}
      />
      {error && (
        <Text size="xs" c="red">
          {failure(error)}
        </Text>
      )}
    </Stack>
  );
}
