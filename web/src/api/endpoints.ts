/** Every API call of the page, named after what it does; see docs/api.md for each route. */
import { call, http, query } from './client';
import type {
  NewToken,
  Customer,
  NewUser,
  Package,
  CoverageParams,
  RestoreRequest,
  RestoreWhat,
  ScheduleCopyRequest,
  ScheduleRequest,
  Snapshot,
} from './types';

/**
 * A form's fields as the person entered them, complete or not: the service checks them and names
 * each field that is missing or wrong, which the form shows beside it.
 */
type FormBody = Record<string, unknown>;

const snapshotPath = (snapshot: Snapshot) => ({
  repositoryId: snapshot.repositoryId,
  snapshotId: snapshot.id,
});

/** The restore request of a choice on the Restore tab; `one` names the database or mailbox. */
export function restoreRequestOf(what: RestoreWhat, path?: string, one?: string): RestoreRequest {
  return path !== undefined
    ? { what, path }
    : what === 'database'
      ? { what, database: one }
      : what === 'mailbox'
        ? { what, mailbox: one }
        : { what };
}

export const api = {
  session: () => call(http.GET('/api/session')),
  signIn: (username: string, password: string) =>
    call(http.POST('/api/session', { body: { username, password } })),
  signOut: () => call(http.DELETE('/api/session')),
  changePassword: (currentPassword: string, newPassword: string) =>
    call(http.PUT('/api/session/password', { body: { currentPassword, newPassword } })),

  myPackage: () => call(http.GET('/api/me/package')),
  schedules: () => call(http.GET('/api/schedules')).then((r) => r.schedules),
  createSchedule: (body: FormBody, customerId?: string) =>
    call(
      http.POST('/api/schedules', {
        params: { query: { customerId } },
        body: body as ScheduleRequest,
      }),
    ),
  updateSchedule: (id: number, body: FormBody) =>
    call(
      http.PUT('/api/schedules/{id}', {
        params: { path: { id } },
        body: body as ScheduleRequest,
      }),
    ),
  setScheduleCopy: (id: number, body: FormBody) =>
    call(
      http.PUT('/api/schedules/{id}/copy', {
        params: { path: { id } },
        body: body as ScheduleCopyRequest,
      }),
    ),
  deleteSchedule: (id: number, snapshots: 'keep' | 'forget') =>
    call(http.DELETE('/api/schedules/{id}', { params: { path: { id }, query: { snapshots } } })),
  testTarget: (target: unknown, scheduleId?: number) =>
    call(
      http.POST('/api/targets/test', {
        body: { target, scheduleId } as { target: ScheduleRequest['target']; scheduleId?: number },
      }),
    ),
  runNow: (id: number) => call(http.POST('/api/schedules/{id}/run', { params: { path: { id } } })),

  activeTasks: () => call(http.GET('/api/tasks/active')).then((r) => r.tasks),
  jobs: (params: { offset?: number; limit?: number; customerId?: string }) =>
    call(http.GET('/api/jobs', { params: { query: params } })),
  job: (id: number) => call(http.GET('/api/jobs/{id}', { params: { path: { id } } })),
  cancelJob: (id: number) => call(http.POST('/api/jobs/{id}/cancel', { params: { path: { id } } })),
  deleteOldJobs: (dryRun: boolean) => call(http.POST('/api/jobs/delete-old', { body: { dryRun } })),

  /** The schedule's snapshots, and when a restore drill last proved one of the customer's. */
  snapshots: (scheduleId: number) =>
    call(http.GET('/api/schedules/{id}/snapshots', { params: { path: { id: scheduleId } } })),
  myAreas: () => call(http.GET('/api/me/areas')),
  /** `one` names the database or mailbox of "database" and "mailbox". */
  restore: (snapshot: Snapshot, what: RestoreWhat, path?: string, one?: string) =>
    api.undo(snapshot, restoreRequestOf(what, path, one)),
  /** Restores what a safety snapshot saved, with exactly the request it names. */
  undo: (snapshot: Snapshot, request: RestoreRequest) =>
    call(
      http.POST('/api/snapshots/{repositoryId}/{snapshotId}/restore', {
        params: { path: snapshotPath(snapshot) },
        body: request,
      }),
    ),
  /** What a restore would add, change and delete: counts, and one page of one list. */
  restorePreview: (
    snapshot: Snapshot,
    request: RestoreRequest,
    action: 'add' | 'change' | 'delete',
    offset: number,
    limit: number,
  ) =>
    call(
      http.POST('/api/snapshots/{repositoryId}/{snapshotId}/restore/preview', {
        params: { path: snapshotPath(snapshot) },
        body: { ...request, action, offset, limit },
      }),
    ),
  browse: (snapshot: Snapshot, path: string, offset = 0) =>
    call(
      http.GET('/api/snapshots/{repositoryId}/{snapshotId}/browse', {
        params: { path: snapshotPath(snapshot), query: { path, offset } },
      }),
    ),
  search: (snapshot: Snapshot, q: string) =>
    call(
      http.GET('/api/snapshots/{repositoryId}/{snapshotId}/search', {
        params: { path: snapshotPath(snapshot), query: { q } },
      }),
    ),
  versions: (snapshot: Snapshot, path: string) =>
    call(
      http.GET('/api/snapshots/{repositoryId}/{snapshotId}/versions', {
        params: { path: snapshotPath(snapshot), query: { path } },
      }),
    ),
  compare: (snapshot: Snapshot, path: string, other: string) =>
    call(
      http.GET('/api/snapshots/{repositoryId}/{snapshotId}/compare', {
        params: { path: snapshotPath(snapshot), query: { path, with: other } },
      }),
    ),
  downloadUrl: (snapshot: Snapshot, path: string) =>
    `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/download${query({ path })}`,

  customers: () => call(http.GET('/api/admin/customers')).then((r) => r.customers),
  putCustomer: (id: string, body: FormBody) =>
    call(
      http.PUT('/api/admin/customers/{id}', {
        params: { path: { id } },
        body: body as unknown as Customer,
      }),
    ),
  deleteCustomer: (id: string) =>
    call(http.DELETE('/api/admin/customers/{id}', { params: { path: { id } } })),
  packages: () => call(http.GET('/api/admin/packages')).then((r) => r.packages),
  putPackage: (id: string, body: FormBody) =>
    call(
      http.PUT('/api/admin/packages/{id}', {
        params: { path: { id } },
        body: body as unknown as Package,
      }),
    ),
  deletePackage: (id: string) =>
    call(http.DELETE('/api/admin/packages/{id}', { params: { path: { id } } })),
  /** entire: every customer into the server repository; single: one customer on its own. */
  createServerSchedule: (body: FormBody, customerId: string | null, server: string | null = null) =>
    call(
      http.POST('/api/admin/schedules', {
        body: (customerId === null
          ? { ...body, mode: 'entire', ...(server === null ? {} : { server }) }
          : { ...body, mode: 'single', customerId }) as ScheduleRequest & {
          mode: 'entire' | 'single';
          customerId?: string;
          server?: string | null;
        },
      }),
    ),
  /** The hosting server an entire-server schedule backs up; null: every customer on its own. */
  setScheduleServer: (id: number, server: string | null) =>
    call(
      http.PUT('/api/admin/schedules/{id}/server', {
        params: { path: { id } },
        body: { server },
      }),
    ),
  repositories: () => call(http.GET('/api/admin/repositories')).then((r) => r.repositories),
  users: () => call(http.GET('/api/admin/users')).then((r) => r.users),
  createUser: (body: NewUser) => call(http.POST('/api/admin/users', { body })),
  deleteUser: (id: number) =>
    call(http.DELETE('/api/admin/users/{id}', { params: { path: { id } } })),
  resetPassword: (id: number, password: string) =>
    call(
      http.PUT('/api/admin/users/{id}/password', { params: { path: { id } }, body: { password } }),
    ),
  tokens: () => call(http.GET('/api/admin/tokens')).then((r) => r.tokens),
  createToken: (body: NewToken) => call(http.POST('/api/admin/tokens', { body })),
  revokeToken: (id: number) =>
    call(http.DELETE('/api/admin/tokens/{id}', { params: { path: { id } } })),
  targets: () => call(http.GET('/api/admin/targets')).then((r) => r.targets),
  holds: () => call(http.GET('/api/admin/holds')).then((r) => r.holds),
  keepSnapshot: (snapshot: Snapshot) =>
    call(
      http.PUT('/api/snapshots/{repositoryId}/{snapshotId}/keep', {
        params: { path: snapshotPath(snapshot) },
      }),
    ),
  unkeepSnapshot: (snapshot: Snapshot) =>
    call(
      http.DELETE('/api/snapshots/{repositoryId}/{snapshotId}/keep', {
        params: { path: snapshotPath(snapshot) },
      }),
    ),
  releaseHold: (hold: { repositoryId: number; snapshotId: string; kind: 'legal' | 'guard' }) =>
    call(
      http.DELETE('/api/admin/snapshots/{repositoryId}/{snapshotId}/hold', {
        params: {
          path: { repositoryId: hold.repositoryId, snapshotId: hold.snapshotId },
          query: { kind: hold.kind },
        },
      }),
    ),
  repositoryKeyUrl: (id: number) => `/api/admin/repositories/${id}/key`,
  coverage: (params: CoverageParams) =>
    call(http.GET('/api/admin/coverage', { params: { query: { ...params, format: 'json' } } })),
  /** The coverage view as CSV, with the same filters and order as the panel shows. */
  coverageCsvUrl: (params: Omit<CoverageParams, 'offset' | 'limit'>) =>
    `/api/admin/coverage.csv${query(params)}`,
  servers: () => call(http.GET('/api/admin/servers')).then((r) => r.servers),
  createEnrollment: (server: string) =>
    call(http.POST('/api/admin/servers/enrollments', { body: { server } })),
  revokeServer: (id: string) =>
    call(http.POST('/api/admin/servers/{id}/revoke', { params: { path: { id } } })),
  drainServer: (id: string, draining: boolean) =>
    call(
      http.POST('/api/admin/servers/{id}/drain', { params: { path: { id } }, body: { draining } }),
    ),
  recoverServer: (id: string, to: string) =>
    call(http.POST('/api/admin/servers/{id}/recover', { params: { path: { id } }, body: { to } })),
  moveCustomer: (id: string, server: string) =>
    call(
      http.POST('/api/admin/customers/{id}/move', { params: { path: { id } }, body: { server } }),
    ),
};
