/**
 * The admin area: every customer's jobs and schedules with a customer filter, server-wide
 * schedules, packages, the targets in use with a connection test, repository keys to download,
 * users and API tokens, the holds on snapshots, the coverage view of every customer, and the
 * hosting servers of a fleet.
 */
import { Stack, Tabs } from '@mantine/core';
import { ActiveTasksBanner } from '../../components/ActiveTasksBanner';
import { m } from '../../messages';
import { CoveragePanel } from './CoveragePanel';
import { CustomersPanel } from './CustomersPanel';
import { JobsPanel } from './JobsPanel';
import { HoldsPanel } from './HoldsPanel';
import { KeysPanel } from './KeysPanel';
import { PackagesPanel } from './PackagesPanel';
import { SchedulesPanel } from './SchedulesPanel';
import { ServersPanel } from './ServersPanel';
import { TargetsPanel } from './TargetsPanel';
import { TokensPanel } from './TokensPanel';
import { UsersPanel } from './UsersPanel';

type AdminTab = keyof typeof m.admin.tabs;
const ADMIN_TABS = Object.keys(m.admin.tabs) as AdminTab[];

/** `current` is the URL hash without its `#`; anything else shows the jobs. */
export default function AdminPage({
  current,
  onTab,
}: {
  current: string;
  onTab: (t: AdminTab) => void;
}) {
  const tab = ADMIN_TABS.find((t) => t === current) ?? 'jobs';
  return (
    <Stack gap="md">
      <ActiveTasksBanner showCustomer />
      <Tabs value={tab} onChange={(v) => v && onTab(v as AdminTab)} keepMounted={false}>
        <Tabs.List mb="md">
          {ADMIN_TABS.map((t) => (
            <Tabs.Tab key={t} value={t}>
              {m.admin.tabs[t]}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="jobs">
          <JobsPanel />
        </Tabs.Panel>
        <Tabs.Panel value="schedules">
          <SchedulesPanel server={false} />
        </Tabs.Panel>
        <Tabs.Panel value="server">
          <SchedulesPanel server />
        </Tabs.Panel>
        <Tabs.Panel value="packages">
          <PackagesPanel />
        </Tabs.Panel>
        <Tabs.Panel value="targets">
          <TargetsPanel />
        </Tabs.Panel>
        <Tabs.Panel value="keys">
          <KeysPanel />
        </Tabs.Panel>
        <Tabs.Panel value="customers">
          <CustomersPanel />
        </Tabs.Panel>
        <Tabs.Panel value="users">
          <UsersPanel />
        </Tabs.Panel>
        <Tabs.Panel value="tokens">
          <TokensPanel />
        </Tabs.Panel>
        <Tabs.Panel value="holds">
          <HoldsPanel />
        </Tabs.Panel>
        <Tabs.Panel value="coverage">
          <CoveragePanel />
        </Tabs.Panel>
        <Tabs.Panel value="servers">
          <ServersPanel />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
