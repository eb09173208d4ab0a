/**
 * The customer's Backups page: the banner above three tabs, as the documentation describes.
 * Loaded lazily (App.tsx), so its default export is the page.
 */
import { Stack, Tabs, Text } from '@mantine/core';
import { ActiveTasksBanner } from '../components/ActiveTasksBanner';
import { m } from '../messages';
import { HistoryTab } from './history/HistoryTab';
import { RestoreTab } from './restore/RestoreTab';
import { SchedulesTab } from './schedules/SchedulesTab';

type BackupsTab = 'schedules' | 'history' | 'restore';
const BACKUPS_TABS: BackupsTab[] = ['schedules', 'history', 'restore'];

/** `current` is the URL hash without its `#`; anything else shows Schedules. */
export default function BackupsPage({
  current,
  onTab,
}: {
  current: string;
  onTab: (t: BackupsTab) => void;
}) {
  const tab = BACKUPS_TABS.find((t) => t === current) ?? 'schedules';
  return (
    <Stack gap="md">
      <Text c="dimmed" maw={820}>
        {m.page.intro} {m.page.visibility}
      </Text>
      <ActiveTasksBanner />
      <Tabs value={tab} onChange={(v) => v && onTab(v as BackupsTab)}>
        <Tabs.List mb="md">
          {BACKUPS_TABS.map((t) => (
            <Tabs.Tab key={t} value={t}>
              {m.page.tabs[t]}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="schedules">
          <SchedulesTab />
        </Tabs.Panel>
        <Tabs.Panel value="history">
          <HistoryTab />
        </Tabs.Panel>
        <Tabs.Panel value="restore">
          <RestoreTab />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
