/** TanStack Query keys and hooks: one place that knows what to refetch after a change. */
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { ApiError } from './client';
import { api } from './endpoints';

export const keys = {
  session: ['session'] as const,
  myPackage: ['me', 'package'] as const,
  myAreas: ['me', 'areas'] as const,
  schedules: ['schedules'] as const,
  active: ['tasks', 'active'] as const,
  jobs: ['jobs'] as const,
  job: (id: number) => ['jobs', 'detail', id] as const,
  snapshots: (scheduleId: number) => ['snapshots', scheduleId] as const,
  customers: ['admin', 'customers'] as const,
  packages: ['admin', 'packages'] as const,
  repositories: ['admin', 'repositories'] as const,
  holds: ['admin', 'holds'] as const,
  coverage: (params: object) => ['admin', 'coverage', params] as const,
  targets: ['admin', 'targets'] as const,
  users: ['admin', 'users'] as const,
  tokens: ['admin', 'tokens'] as const,
  servers: ['admin', 'servers'] as const,
};

/** The banner polls at this pace (the customer documentation promises 5 seconds)... */
export const ACTIVE_POLL_MS = 5000;
/** ...and faster while a job runs, so a short one's progress is seen moving, not 0 % and gone. */
export const RUNNING_POLL_MS = 1000;

export function useSession() {
  return useQuery({
    queryKey: keys.session,
    queryFn: async () => {
      try {
        return await api.session();
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    retry: 1,
    staleTime: Infinity,
  });
}

export function useSchedules() {
  return useQuery({ queryKey: keys.schedules, queryFn: api.schedules });
}

export function useMyPackage() {
  return useQuery({ queryKey: keys.myPackage, queryFn: api.myPackage, staleTime: 60_000 });
}

export function useActiveTasks() {
  return useQuery({
    queryKey: keys.active,
    queryFn: api.activeTasks,
    refetchInterval: (q) =>
      q.state.data?.some((t) => t.status === 'running') ? RUNNING_POLL_MS : ACTIVE_POLL_MS,
    refetchIntervalInBackground: false,
    // Polls that fail must say so: tried even when the browser thinks it is offline (where a
    // paused query would show nothing), and reported after one quick retry, not three slow ones.
    networkMode: 'always',
    retry: 1,
    retryDelay: 500,
  });
}

/** After a job has started or finished: the banner, the history and the schedules' last result. */
export function refreshJobs(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: keys.active });
  void client.invalidateQueries({ queryKey: keys.jobs });
  void client.invalidateQueries({ queryKey: keys.schedules });
}

export function useRefreshJobs() {
  const client = useQueryClient();
  return () => refreshJobs(client);
}
