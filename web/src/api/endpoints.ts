/** Every API call of the page, named after what it does; see docs/api.md for each route. */
import { del, get, post, put, query } from './client';
import type {
  ActiveTask,
  AdminTarget,
  BrowseListing,
  Customer,
  JobDetail,
  JobPage,
  MyAreas,
  Package,
  PackageInfo,
  Repository,
  RestoreRequest,
  RestoreWhat,
  Schedule,
  Session,
  Snapshot,
  TargetTest,
} from './types';

export const api = {
  session: () => get<Session>('/api/session'),
  signIn: (username: string, password: string) =>
    post<Session>('/api/session', { username, password }),
  signOut: () => del<undefined>('/api/session'),

  myPackage: () => get<PackageInfo>('/api/me/package'),
  schedules: () => get<{ schedules: Schedule[] }>('/api/schedules').then((r) => r.schedules),
  createSchedule: (body: unknown, customerId?: string) =>
    post<Schedule>(`/api/schedules${query({ customerId })}`, body),
  updateSchedule: (id: number, body: unknown) => put<Schedule>(`/api/schedules/${id}`, body),
  deleteSchedule: (id: number, snapshots: 'keep' | 'forget') =>
    del<{ deleted: true }>(`/api/schedules/${id}${query({ snapshots })}`),
  testTarget: (target: unknown, scheduleId?: number) =>
    post<TargetTest>(
      '/api/targets/test',
      scheduleId === undefined ? { target } : { target, scheduleId },
    ),
  runNow: (id: number) =>
    post<{ jobId: number; alreadyRunning: boolean; message: string }>(`/api/schedules/${id}/run`),

  activeTasks: () => get<{ tasks: ActiveTask[] }>('/api/tasks/active').then((r) => r.tasks),
  jobs: (params: { offset?: number; limit?: number; customerId?: string; type?: string }) =>
    get<JobPage>(`/api/jobs${query(params)}`),
  job: (id: number) => get<JobDetail>(`/api/jobs/${id}`),
  cancelJob: (id: number) => post<{ id: number; status: string }>(`/api/jobs/${id}/cancel`),
  deleteOldJobs: (dryRun: boolean) =>
    post<{ count: number; dryRun: boolean }>('/api/jobs/delete-old', { dryRun }),

  snapshots: (scheduleId: number) =>
    get<{ snapshots: Snapshot[] }>(`/api/schedules/${scheduleId}/snapshots`).then(
      (r) => r.snapshots,
    ),
  myAreas: () => get<MyAreas>('/api/me/areas'),
  /** `one` names the database or mailbox of "database" and "mailbox". */
  restore: (snapshot: Snapshot, what: RestoreWhat, path?: string, one?: string) =>
    post<{ jobId: number }>(
      `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/restore`,
      path !== undefined
        ? { what, path }
        : what === 'database'
          ? { what, database: one }
          : what === 'mailbox'
            ? { what, mailbox: one }
            : { what },
    ),
  /** Restores what a safety snapshot saved, with exactly the request it names. */
  undo: (snapshot: Snapshot, request: RestoreRequest) =>
    post<{ jobId: number }>(
      `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/restore`,
      request,
    ),
  browse: (snapshot: Snapshot, path: string, offset = 0) =>
    get<BrowseListing>(
      `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/browse${query({ path, offset })}`,
    ),
  downloadUrl: (snapshot: Snapshot, path: string) =>
    `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/download${query({ path })}`,

  customers: () => get<{ customers: Customer[] }>('/api/admin/customers').then((r) => r.customers),
  packages: () => get<{ packages: Package[] }>('/api/admin/packages').then((r) => r.packages),
  /** entire: every customer into the server repository; single: one customer on its own. */
  createServerSchedule: (body: Record<string, unknown>, customerId: string | null) =>
    post<Schedule>(
      '/api/admin/schedules',
      customerId === null ? { ...body, mode: 'entire' } : { ...body, mode: 'single', customerId },
    ),
  repositories: () =>
    get<{ repositories: Repository[] }>('/api/admin/repositories').then((r) => r.repositories),
  targets: () => get<{ targets: AdminTarget[] }>('/api/admin/targets').then((r) => r.targets),
  repositoryKeyUrl: (id: number) => `/api/admin/repositories/${id}/key`,
};
