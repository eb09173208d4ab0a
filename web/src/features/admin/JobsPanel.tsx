/** The admin area's jobs: every customer's history, with a customer filter. */
import { Stack } from '@mantine/core';
import { useState } from 'react';
import { HistoryTab } from '../history/HistoryTab';
import { CustomerFilter } from './CustomerFilter';

export function JobsPanel() {
  const [customer, setCustomer] = useState<string | null>(null);
  return (
    <Stack gap="md">
      <CustomerFilter value={customer} onChange={setCustomer} />
      <HistoryTab customerId={customer ?? undefined} customerColumn />
    </Stack>
  );
}
