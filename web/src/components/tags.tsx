/** Small labels used across tabs: scope tag, content tags and job status. */
import { Badge, Group, Tooltip } from '@mantine/core';
import { m } from '../messages';

export function ScopeTag({ scope }: { scope: string | null }) {
  if (!scope) return null;
  return (
    <Badge variant="light" color="gray" radius="sm" size="sm">
      {m.scope[scope] ?? scope}
    </Badge>
  );
}

export function ContentTags({ contents }: { contents: string[] }) {
  return (
    <Group gap={4}>
      {contents.map((c) => (
        <Badge key={c} variant="outline" color="indigo" radius="sm" size="sm">
          {m.content[c] ?? c}
        </Badge>
      ))}
    </Group>
  );
}

const STATUS_COLOR: Record<string, string> = {
  pending: 'gray',
  running: 'blue',
  successful: 'green',
  failed: 'red',
  canceled: 'orange',
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge color={STATUS_COLOR[status] ?? 'gray'} variant="light">
      {m.jobStatus[status] ?? status}
    </Badge>
  );
}

/** A backup the mass-change guard flagged: a red badge whose tooltip says what it means. */
export function FlagBadge({ job }: { job: { flag?: string | null } }) {
  if (job.flag !== 'mass_change') return null;
  return (
    <Tooltip label={m.history.flaggedHint} multiline w={320}>
      <Badge
        color="red"
        variant="filled"
        radius="sm"
        data-testid="job-flag"
        aria-label={`${m.history.flagged}: ${m.history.flaggedHint}`}
      >
        {m.history.flagged}
      </Badge>
    </Tooltip>
  );
}
