/**
 * Browse Files: a snapshot's folders with breadcrumbs, sizes and dates; Restore and Download
 * next to each file. A file restore goes back to its original location after a confirmation.
 * Search by name lists matching files and folders of the whole snapshot with their folder.
 */
import {
  Alert,
  Anchor,
  Breadcrumbs,
  Button,
  Group,
  Modal,
  Stack,
  Text,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useMutation } from '../../api/mutation';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints';
import { useRefreshJobs } from '../../api/queries';
import type { Snapshot } from '../../api/types';
import { AlertIcon, DownloadIcon, FileIcon, FolderIcon, SearchIcon } from '../../components/icons';
import { ResponsiveTable, usePhone, type Column } from '../../components/ResponsiveTable';
import { ErrorMessage, Loading, messageOf } from '../../components/states';
import { formatBytes, formatWhen } from '../../lib/format';
import { m } from '../../messages';
import { FileHistory } from './FileHistory';

export function BrowseModal({
  snapshot,
  onClose,
  onStarted,
}: {
  snapshot: Snapshot | null;
  onClose: () => void;
  onStarted: (text: string, jobId: number) => void;
}) {
  const phone = usePhone();
  return (
    <Modal
      opened={snapshot !== null}
      onClose={onClose}
      size="80rem"
      fullScreen={phone}
      title={
        snapshot?.safety
          ? m.browse.safetyTitle(snapshot.safety.restoreJobId)
          : snapshot
            ? m.browse.title(formatWhen(snapshot.time))
            : ''
      }
    >
      {snapshot && <Browser snapshot={snapshot} onStarted={onStarted} />}
    </Modal>
  );
}

const joinPath = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
const parentOf = (path: string) => path.slice(0, Math.max(1, path.lastIndexOf('/')));

function Browser({
  snapshot,
  onStarted,
}: {
  snapshot: Snapshot;
  onStarted: (text: string, jobId: number) => void;
}) {
  const refresh = useRefreshJobs();
  const [path, setPath] = useState('/');
  // The button that opened a folder is gone with the old listing: the focus moves to the folder's
  // name in the path, so keyboard and screen reader users stay in the dialog, told where they are.
  const here = useRef<HTMLParagraphElement>(null);
  const moved = useRef(false);
  const [searchText, setSearchText] = useState('');
  // A search per pause in typing, not per key: each one reads every name of a large snapshot.
  const [query] = useDebouncedValue(searchText.trim(), 300);
  const searching = query.length > 0;
  const open = (next: string) => {
    moved.current = true;
    setSearchText('');
    setPath(next);
  };
  useEffect(() => {
    if (moved.current) here.current?.focus();
  }, [path]);
  /**
   * The file to restore, from this snapshot or, picked in its history, from another. `path` is
   * where it restores to (the API's request); `shown` names it as the customer knows it, under
   * their areas ("Web files/robots.txt"), never by the server's path.
   */
  const [confirming, setConfirming] = useState<{
    name: string;
    path: string;
    shown: string;
    snapshot?: Snapshot;
  } | null>(null);
  const [historyOf, setHistoryOf] = useState<{ name: string; path: string } | null>(null);
  const listing = useInfiniteQuery({
    queryKey: ['browse', snapshot.repositoryId, snapshot.id, path],
    queryFn: ({ pageParam }) => api.browse(snapshot, path, pageParam),
    initialPageParam: 0,
    getNextPageParam: (last) =>
      last.offset + last.entries.length < last.total
        ? last.offset + last.entries.length
        : undefined,
    staleTime: 60_000,
  });
  const found = useQuery({
    queryKey: ['search', snapshot.repositoryId, snapshot.id, query],
    queryFn: () => api.search(snapshot, query),
    enabled: searching,
    staleTime: 60_000,
  });
  const restore = useMutation({
    mutationFn: (file: { name: string; path: string; snapshot?: Snapshot }) =>
      api.restore(file.snapshot ?? snapshot, 'file', file.path),
    onSuccess: (started, file) => {
      refresh();
      onStarted(m.restore.fileStarted(file.name), started.jobId);
    },
  });

  const segments = path.split('/').filter(Boolean);
  const crumbs = [
    { label: m.browse.root, path: '/' },
    ...segments.map((s, i) => ({ label: s, path: '/' + segments.slice(0, i + 1).join('/') })),
  ];
  const entries = searching
    ? (found.data?.entries ?? [])
    : (listing.data?.pages.flatMap((p) => p.entries) ?? []);
  const total = listing.data?.pages[0]?.total ?? 0;

  type Entry = (typeof entries)[number];
  const columns: Column<Entry>[] = [
    {
      label: m.browse.columns.name,
      card: 'title',
      render: (e) =>
        e.type === 'dir' ? (
          <UnstyledButton
            onClick={() => open(e.path || joinPath(path, e.name))}
            aria-label={m.browse.open(e.name)}
          >
            <Group gap="xs" wrap="nowrap">
              <FolderIcon />
              <Text c="blue.8" fw={500}>
                {e.name}
              </Text>
            </Group>
          </UnstyledButton>
        ) : (
          <Group gap="xs" wrap="nowrap">
            <FileIcon />
            <Text style={{ overflowWrap: 'anywhere' }}>{e.name}</Text>
          </Group>
        ),
    },
    ...(searching
      ? [
          {
            label: m.browse.search.folder,
            render: (e: Entry) => {
              const folder = parentOf(e.path);
              // In the customer's words: `Web files/sub`, as the areas are named.
              const shown = folder.slice(1) || m.browse.root;
              return (
                <Anchor
                  component="button"
                  type="button"
                  size="sm"
                  onClick={() => open(folder)}
                  aria-label={m.browse.search.openFolder(shown)}
                  style={{ overflowWrap: 'anywhere', textAlign: 'start' }}
                >
                  {shown}
                </Anchor>
              );
            },
          } satisfies Column<Entry>,
        ]
      : []),
    {
      label: m.browse.columns.size,
      width: 110,
      render: (e) => (e.type === 'dir' ? '' : formatBytes(e.size ?? null)),
    },
    { label: m.browse.columns.modified, width: 200, render: (e) => formatWhen(e.mtime) },
    {
      label: m.browse.columns.actions,
      hideLabel: true,
      card: 'actions',
      width: 300,
      render: (e) => {
        const real = e.realPath;
        return (
          e.type === 'file' && (
            <Group gap="xs" justify="flex-end" wrap="nowrap">
              {snapshot.kind !== 'safety' && (
                <Button
                  size="compact-sm"
                  variant="subtle"
                  onClick={() =>
                    setHistoryOf({ name: e.name, path: e.path || joinPath(path, e.name) })
                  }
                  aria-label={m.browse.history.label(e.name)}
                >
                  {m.browse.history.button}
                </Button>
              )}
              {/* Database dumps have no place of their own: they restore as a database.
                  A safety copy restores only as a whole, by its Undo. */}
              {real && snapshot.kind !== 'safety' && (
                <Button
                  size="compact-sm"
                  variant="light"
                  onClick={() =>
                    setConfirming({
                      name: e.name,
                      path: real,
                      shown: (e.path || joinPath(path, e.name)).replace(/^\/+/, ''),
                    })
                  }
                  aria-label={m.browse.restoreLabel(e.name)}
                >
                  {m.browse.restore}
                </Button>
              )}
              <Button
                component="a"
                size="compact-sm"
                variant="default"
                href={api.downloadUrl(snapshot, e.path || joinPath(path, e.name))}
                download={e.name}
                leftSection={<DownloadIcon size={14} />}
                aria-label={m.browse.downloadLabel(e.name)}
              >
                {m.browse.download}
              </Button>
            </Group>
          )
        );
      },
    },
  ];

  if (historyOf && !confirming) {
    return (
      <FileHistory
        snapshot={snapshot}
        file={historyOf}
        onRestore={(version) =>
          setConfirming({ ...version, shown: historyOf.path.replace(/^\/+/, '') })
        }
        onBack={() => setHistoryOf(null)}
      />
    );
  }

  if (confirming) {
    return (
      <Stack gap="md">
        <Alert
          color="orange"
          variant="light"
          icon={<AlertIcon />}
          title={m.restore.confirmTitle}
          role="alert"
        >
          <Text size="sm">{m.restore.fileConfirm(confirming.shown)}</Text>
        </Alert>
        {restore.error && (
          <Alert color="red" variant="light" role="alert">
            {m.restore.failed(messageOf(restore.error))}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button
            variant="default"
            onClick={() => {
              restore.reset();
              setConfirming(null);
            }}
          >
            {m.common.back}
          </Button>
          <Button
            color="red"
            loading={restore.isPending}
            onClick={() => restore.mutate(confirming)}
          >
            {m.restore.confirm}
          </Button>
        </Group>
      </Stack>
    );
  }

  const table = (
    <ResponsiveTable
      rows={entries}
      rowKey={(e) => e.path || e.name}
      columns={columns}
      label={searching ? m.browse.search.label : m.browse.breadcrumbs}
      minWidth={640}
      verticalSpacing={6}
      rowProps={() => ({ 'data-testid': 'browse-row' })}
    />
  );
  return (
    <Stack gap="md">
      <TextInput
        type="search"
        label={m.browse.search.label}
        placeholder={m.browse.search.placeholder}
        leftSection={<SearchIcon size={16} />}
        value={searchText}
        onChange={(e) => setSearchText(e.currentTarget.value)}
        maxLength={200}
      />
      <nav aria-label={m.browse.breadcrumbs}>
        <Breadcrumbs separatorMargin={6}>
          {crumbs.map((c, i) =>
            i === crumbs.length - 1 ? (
              <Text key={c.path} fw={600} aria-current="location" ref={here} tabIndex={-1}>
                {c.label}
              </Text>
            ) : (
              <Anchor key={c.path} component="button" type="button" onClick={() => open(c.path)}>
                {c.label}
              </Anchor>
            ),
          )}
        </Breadcrumbs>
      </nav>
      {searching ? (
        found.isPending ? (
          <Loading label={m.browse.search.searching} />
        ) : found.error ? (
          <ErrorMessage
            message={m.browse.search.failed(messageOf(found.error))}
            onRetry={() => void found.refetch()}
          />
        ) : entries.length === 0 ? (
          <Text c="dimmed" role="status">
            {m.browse.search.none(query)}
          </Text>
        ) : (
          <>
            <Text size="sm" c="dimmed" role="status">
              {found.data?.more
                ? m.browse.search.more(entries.length)
                : m.browse.search.found(entries.length)}
            </Text>
            {table}
          </>
        )
      ) : listing.isPending ? (
        <Loading label={m.browse.preparing} />
      ) : listing.error ? (
        <ErrorMessage
          message={m.browse.loadFailed(messageOf(listing.error))}
          onRetry={() => void listing.refetch()}
        />
      ) : entries.length === 0 ? (
        <Text c="dimmed">{m.browse.empty}</Text>
      ) : (
        table
      )}
      {!searching && listing.hasNextPage && (
        <Group justify="space-between">
          <Text size="sm" c="dimmed">
            {m.browse.more(entries.length, total)}
          </Text>
          <Button
            variant="default"
            size="xs"
            onClick={() => void listing.fetchNextPage()}
            loading={listing.isFetchingNextPage}
          >
            {m.browse.showMore}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
