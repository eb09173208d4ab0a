/**
 * The scheduler's two queries against a SQLite `schedules` table through better-sqlite3, and the
 * columns and index they rely on: id, enabled, frequency, hour, day, next_run_at and an index on
 * (enabled, next_run_at), a subset of the service's schedules table (store migration 0003), so
 * this store also runs against that table. The SQL is plain enough for PostgreSQL as written
 * (booleans aside: `enabled = 1` there becomes `enabled`).
 *
 * Timestamps are ISO 8601 UTC strings from Date#toISOString (always 24 characters for years
 * 1970–9999), so comparing them as text orders them by time.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { FREQUENCIES, type Frequency } from '../inventory/schema.js';
import type { DueSchedule, ScheduleId, ScheduleStore, Start } from './scheduler.js';

export const SCHEDULES_TABLE_SQL = `
create table if not exists schedules (
  id integer primary key autoincrement,
  enabled integer not null default 1 check (enabled in (0, 1)),
  frequency text not null check (frequency in ('hourly', 'daily', 'weekly', 'monthly')),
  hour integer not null check (hour between 0 and 23),
  day integer,
  -- null while disabled (findDue never returns a null next run either way)
  next_run_at text
);
create index if not exists schedules_due_idx on schedules (enabled, next_run_at);
`;

export const FIND_DUE_SQL = `
select id, next_run_at, frequency, hour, day
from schedules
where enabled = 1 and next_run_at <= ?
order by next_run_at, id
limit ?`;

/** The start itself is recorded by the job the enqueue created; the schedule keeps its next run. */
export const MARK_STARTED_SQL = `update schedules set next_run_at = ? where id = ?`;

export function createSchedulesTable(db: BetterSqlite3.Database): void {
  db.exec(SCHEDULES_TABLE_SQL);
}

interface DueRow {
  id: number;
  next_run_at: string;
  frequency: string;
  hour: number;
  day: number | null;
}

const isFrequency = (value: string): value is Frequency =>
  (FREQUENCIES as readonly string[]).includes(value);

export class SqliteScheduleStore implements ScheduleStore {
  readonly #findDue: BetterSqlite3.Statement<[string, number], DueRow>;
  readonly #markStarted: BetterSqlite3.Statement<[string, number]>;
  readonly #markStartedMany: BetterSqlite3.Transaction<(starts: Start[]) => void>;

  constructor(db: BetterSqlite3.Database) {
    this.#findDue = db.prepare<[string, number], DueRow>(FIND_DUE_SQL);
    this.#markStarted = db.prepare<[string, number]>(MARK_STARTED_SQL);
    this.#markStartedMany = db.transaction((starts: Start[]) => {
      for (const { id, nextRunAt } of starts) this.#markStarted.run(nextRunAt.toISOString(), id);
    });
  }

  async findDue(now: Date, limit: number): Promise<DueSchedule[]> {
    return this.#findDue.all(now.toISOString(), limit).map((row) => {
      if (!isFrequency(row.frequency)) {
        throw new Error(`schedule ${row.id} has an unknown frequency "${row.frequency}"`);
      }
      return {
        id: row.id,
        nextRunAt: new Date(row.next_run_at),
        frequency: row.frequency,
        hour: row.hour,
        day: row.day,
      };
    });
  }

  async markStarted(id: ScheduleId, nextRunAt: Date): Promise<void> {
    this.#markStarted.run(nextRunAt.toISOString(), id);
  }

  async markStartedMany(starts: Start[]): Promise<void> {
    // BEGIN IMMEDIATE: take the write lock up front, as the service's store does.
    this.#markStartedMany.immediate(starts);
  }
}
