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

/**
 * `current` is the URL hash without its `#`; anything else shows Schedules. `history/12` opens
 * History with job 12's detail: where a finished job's note links to.
 */
export default function BackupsPage({
  current,
  onTab,
}: {
  current: string;
  onTab: (t: BackupsTab) => void;
}) {
  const [head, detail] = current.split('/', 2);
  const tab = BACKUPS_TABS.find((t) => t === head) ?? 'schedules';
  const openJob = tab === 'history' && detail && /^\d+$/.test(detail) ? Number(detail) : undefined;
  return (
    <Stack gap="md">
      <Text c="dimmed" maw={820}>
        {m.page.intro} {m.page.visibility}
      </Text>
      <ActiveTasksBanner linkToHistory />
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
          <HistoryTab openJob={openJob} onClosedJob={() => onTab('history')} />
        </Tabs.Panel>
        <Tabs.Panel value="restore">
          <RestoreTab />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
