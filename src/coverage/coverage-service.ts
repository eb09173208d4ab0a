/**
 * The provider's coverage view: for every customer, what is protected and how well — the last
 * successful backup per scope, overdue and failing schedules, partial backups (files restic could
 * not read), areas no schedule covers, the last verified restore (src/drill) and what the
 * customer's backups hold. One service that the API (JSON and CSV) and the admin panel use.
 *
 * DECISION — set-based: five queries over whole tables (customers, schedules, the last job of each
 * schedule that read partially, the bytes each customer's backups added, the last verified drill
 * per customer), then one pass in memory. No query per customer, so 10,000 customers answer in a
 * fraction of a second on SQLite and PostgreSQL alike (bench case `coverage`).
 *
 * The repository size is the sum of what the customer's successful backups added (as the quota
 * counts it for remote targets): an upper bound, since prune frees some of it, and known without
 * reaching any target.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { lastVerifiedPerCustomer } from '../drill/drill-records.js';
import { isOverdue } from '../schedule/next-run.js';
import type { Frequency } from '../inventory/schema.js';
import { CONTENTS, SCOPE_CONTENTS, SCOPES, type Content, type Scope } from '../scope/scope.js';
import type { Store } from '../store/index.js';

/** What can be wrong with a customer's protection, worst first (the order `state` picks by). */
export const COVERAGE_STATES = [
  'failed',
  'overdue',
  'unscheduled',
  'partial',
  'uncovered',
  'unverified',
  'ok',
] as const;
export type CoverageState = (typeof COVERAGE_STATES)[number];

export const COVERAGE_SORTS = ['customer', 'state', 'lastSuccess', 'lastVerified', 'size'] as const;

export const coverageQuerySchema = z.strictObject({
  server: z.string().max(100).optional().describe('Only customers on this hosting server.'),
  state: z
    .enum(COVERAGE_STATES)
    .optional()
    .describe('Only customers with this problem (ok: those with none).'),
  scope: z
    .enum(SCOPES)
    .optional()
    .describe('Only customers with an enabled schedule of this scope.'),
  sort: z.enum(COVERAGE_SORTS).default('state'),
  order: z.enum(['asc', 'desc']).default('asc'),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type CoverageQuery = z.input<typeof coverageQuerySchema>;

export interface CoverageRow {
  customerId: string;
  name: string;
  packageId: string;
  server: string;
  /** The worst of `problems`, or ok. */
  state: CoverageState;
  problems: CoverageState[];
  /** Enabled schedules that back the customer up (their own and server-wide ones). */
  schedules: number;
  /** Their scopes. */
  scopes: Scope[];
  /** The newest successful backup per scope. */
  lastSuccess: Partial<Record<Scope, string>>;
  /** The newest successful backup of any scope. */
  lastSuccessAt: string | null;
  overdueSchedules: number;
  failedSchedules: number;
  partialSchedules: number;
  /** Areas the customer has that no enabled schedule covers. */
  unscheduledAreas: Content[];
  lastVerifiedAt: string | null;
  repositoryBytes: number;
}

export interface CoverageAnswer {
  total: number;
  /** Customers per problem over the whole (filtered) set, and `ok` for those without one. */
  counts: Record<CoverageState, number>;
  rows: CoverageRow[];
}

export interface CoverageDeps {
  store: Store;
  /** The hosting server the customers of this store live on ('local' in `serve`). */
  server: string;
  now?: () => Date;
  /** A last verified restore older than this reads unverified; default 14 days. */
  verifiedWithinDays?: number;
}

interface ScheduleFacts {
  id: number;
  owner_kind: string;
  customer_id: string | null;
  scope: string;
  frequency: string;
  last_status: string | null;
  last_success_at: string | null;
  created_at: string;
}

export class CoverageService {
  constructor(private readonly deps: CoverageDeps) {}

  /** Every customer's row (no paging): the CSV export and the count of problems. */
  async all(query: Omit<CoverageQuery, 'offset' | 'limit'> = {}): Promise<CoverageRow[]> {
    const q = coverageQuerySchema.parse({ ...query, offset: 0, limit: 1000 });
    const rows = await this.compute();
    return sortRows(filterRows(rows, q), q.sort, q.order);
  }

  async list(query: CoverageQuery = {}): Promise<CoverageAnswer> {
    const q = coverageQuerySchema.parse(query);
    const filtered = sortRows(filterRows(await this.compute(), q), q.sort, q.order);
    const counts = Object.fromEntries(COVERAGE_STATES.map((s) => [s, 0])) as Record<
      CoverageState,
      number
    >;
    for (const row of filtered)
      for (const problem of row.problems.length ? row.problems : (['ok'] as const))
        counts[problem]++;
    return {
      total: filtered.length,
      counts,
      rows: filtered.slice(q.offset, q.offset + q.limit),
    };
  }

  private async compute(): Promise<CoverageRow[]> {
    const { store } = this.deps;
    const now = this.deps.now?.() ?? new Date();
    const verifiedSince = now.getTime() - (this.deps.verifiedWithinDays ?? 14) * 86_400_000;
    const [customers, schedules, partial, bytes, verified] = await Promise.all([
      store.db
        .selectFrom('customers')
        // Whether each list holds anything, not the lists: less to carry out of the store.
        .select([
          'id',
          'name',
          'package_id',
          'server_id',
          sql<number>`case when databases <> '[]' then 1 else 0 end`.as('has_db'),
          sql<number>`case when mailboxes <> '[]' then 1 else 0 end`.as('has_mail'),
          sql<number>`case when ssl_files <> '[]' then 1 else 0 end`.as('has_ssl'),
          sql<number>`case when config_files <> '[]' then 1 else 0 end`.as('has_config'),
        ])
        .execute(),
      store.db
        .selectFrom('schedules')
        .select([
          'id',
          'owner_kind',
          'customer_id',
          'scope',
          'frequency',
          'last_status',
          'last_success_at',
          'created_at',
        ])
        .where('enabled', '=', 1)
        .execute(),
      // Schedules whose last backup succeeded without some files (restic's exit 3): partial.
      store.db
        .selectFrom('schedules as s')
        .innerJoin('jobs as j', 'j.id', 's.last_job_id')
        .select('s.id')
        .where('s.enabled', '=', 1)
        .where('j.status', '=', 'successful')
        .where('j.stats', 'like', '%"unreadable":["%')
        .execute(),
      store.db
        .selectFrom('jobs')
        .select((eb) => ['customer_id', eb.fn.sum<number>('bytes_added').as('bytes')])
        .where('type', '=', 'backup')
        .where('status', '=', 'successful')
        .where('customer_id', 'is not', null)
        .groupBy('customer_id')
        .execute(),
      lastVerifiedPerCustomer(store),
    ]);
    const partialIds = new Set(partial.map((r) => r.id));
    const bytesOf = new Map(bytes.map((r) => [r.customer_id!, Number(r.bytes ?? 0)]));
    const own = new Map<string, ScheduleFacts[]>();
    const serverWide: ScheduleFacts[] = [];
    for (const s of schedules) {
      if (s.owner_kind === 'server') serverWide.push(s);
      else if (s.customer_id) {
        const list = own.get(s.customer_id);
        if (list) list.push(s);
        else own.set(s.customer_id, [s]);
      }
    }
    const overdue = (s: ScheduleFacts) =>
      isOverdue(new Date(s.last_success_at ?? s.created_at), s.frequency as Frequency, now);
    return customers.map((c) => {
      const list = [...(own.get(c.id) ?? []), ...serverWide];
      const lastSuccess: Partial<Record<Scope, string>> = {};
      const covered = new Set<Content>();
      let overdueSchedules = 0;
      let failedSchedules = 0;
      let partialSchedules = 0;
      for (const s of list) {
        const scope = s.scope as Scope;
        for (const content of SCOPE_CONTENTS[scope] ?? []) covered.add(content);
        if (s.last_success_at && (lastSuccess[scope] ?? '') < s.last_success_at)
          lastSuccess[scope] = s.last_success_at;
        if (overdue(s)) overdueSchedules++;
        if (s.last_status === 'failed') failedSchedules++;
        if (partialIds.has(s.id)) partialSchedules++;
      }
      const areas = areasOf(c);
      const unscheduledAreas = list.length === 0 ? [] : areas.filter((a) => !covered.has(a));
      const lastVerifiedAt = verified.get(c.id) ?? null;
      const problems: CoverageState[] = [];
      if (failedSchedules > 0) problems.push('failed');
      if (overdueSchedules > 0) problems.push('overdue');
      if (list.length === 0) problems.push('unscheduled');
      if (partialSchedules > 0) problems.push('partial');
      if (unscheduledAreas.length > 0) problems.push('uncovered');
      if (list.length > 0 && (!lastVerifiedAt || Date.parse(lastVerifiedAt) < verifiedSince))
        problems.push('unverified');
      const times = Object.values(lastSuccess).sort();
      return {
        customerId: c.id,
        name: c.name,
        packageId: c.package_id,
        // `local`: the implicit server (serve's, or a controller's default); else the fleet's.
        server: c.server_id === 'local' ? this.deps.server : c.server_id,
        state: problems[0] ?? 'ok',
        problems,
        schedules: list.length,
        scopes: SCOPES.filter((scope) => list.some((s) => s.scope === scope)),
        lastSuccess,
        lastSuccessAt: times[times.length - 1] ?? null,
        overdueSchedules,
        failedSchedules,
        partialSchedules,
        unscheduledAreas,
        lastVerifiedAt,
        repositoryBytes: bytesOf.get(c.id) ?? 0,
      };
    });
  }
}

/** The areas a customer has: web files always, the others where the inventory lists some. */
function areasOf(c: { has_db: number; has_mail: number; has_ssl: number; has_config: number }) {
  const has: Record<Content, boolean> = {
    web: true,
    db: Number(c.has_db) === 1,
    mail: Number(c.has_mail) === 1,
    ssl: Number(c.has_ssl) === 1,
    config: Number(c.has_config) === 1,
  };
  return CONTENTS.filter((content) => has[content]);
}

function filterRows(rows: CoverageRow[], q: z.output<typeof coverageQuerySchema>): CoverageRow[] {
  return rows.filter(
    (r) =>
      (q.server === undefined || r.server === q.server) &&
      (q.state === undefined ||
        (q.state === 'ok' ? r.problems.length === 0 : r.problems.includes(q.state))) &&
      (q.scope === undefined || r.scopes.includes(q.scope)),
  );
}

const STATE_RANK = new Map(COVERAGE_STATES.map((s, i) => [s, i]));

function sortRows(
  rows: CoverageRow[],
  sort: (typeof COVERAGE_SORTS)[number],
  order: 'asc' | 'desc',
): CoverageRow[] {
  const key = (r: CoverageRow): string | number => {
    switch (sort) {
      case 'customer':
        return r.customerId;
      case 'state':
        return STATE_RANK.get(r.state)!;
      case 'lastSuccess':
        return r.lastSuccessAt ?? '';
      case 'lastVerified':
        return r.lastVerifiedAt ?? '';
      case 'size':
        return r.repositoryBytes;
    }
  };
  const sign = order === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka < kb) return -sign;
    if (ka > kb) return sign;
    return a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0;
  });
}

/** The rows as CSV (RFC 4180), one line per customer, for a spreadsheet. */
export function coverageCsv(rows: CoverageRow[]): string {
  const header = [
    'customer',
    'name',
    'package',
    'server',
    'state',
    'problems',
    'schedules',
    ...SCOPES.map((s) => `last_success_${s}`),
    'last_success',
    'overdue_schedules',
    'failed_schedules',
    'partial_schedules',
    'unscheduled_areas',
    'last_verified_restore',
    'repository_bytes',
  ];
  const lines = [header.join(',')];
  for (const r of rows)
    lines.push(
      [
        r.customerId,
        r.name,
        r.packageId,
        r.server,
        r.state,
        r.problems.join(' '),
        r.schedules,
        ...SCOPES.map((s) => r.lastSuccess[s] ?? ''),
        r.lastSuccessAt ?? '',
        r.overdueSchedules,
        r.failedSchedules,
        r.partialSchedules,
        r.unscheduledAreas.join(' '),
        r.lastVerifiedAt ?? '',
        r.repositoryBytes,
      ]
        .map(csvField)
        .join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}

function csvField(value: string | number): string {
  const text = String(value);
  // A leading =, +, - or @ would be a formula in a spreadsheet: a customer's name must not be.
  const safe = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
