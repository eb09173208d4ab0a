/** An in-memory ScheduleStore for tests and demos; same contract as the database one. */
import type { Frequency } from '../inventory/schema.js';
import type { DueSchedule, ScheduleId, ScheduleStore } from './scheduler.js';

export interface MemorySchedule {
  id: ScheduleId;
  enabled: boolean;
  nextRunAt: Date;
  frequency: Frequency;
  hour: number;
  day: number | null;
  lastStartedAt: Date | null;
}

export class MemoryScheduleStore implements ScheduleStore {
  readonly #rows = new Map<ScheduleId, MemorySchedule>();

  add(
    schedule: Omit<MemorySchedule, 'enabled' | 'lastStartedAt' | 'day'> &
      Partial<Pick<MemorySchedule, 'enabled' | 'lastStartedAt' | 'day'>>,
  ): void {
    this.#rows.set(schedule.id, {
      enabled: true,
      lastStartedAt: null,
      day: null,
      ...schedule,
    });
  }

  /** A copy of the stored row, or undefined. */
  get(id: ScheduleId): MemorySchedule | undefined {
    const row = this.#rows.get(id);
    return row && { ...row };
  }

  update(id: ScheduleId, changes: Partial<Omit<MemorySchedule, 'id'>>): void {
    const row = this.#rows.get(id);
    if (!row) throw new Error(`no schedule ${id}`);
    Object.assign(row, changes);
  }

  async findDue(now: Date, limit: number): Promise<DueSchedule[]> {
    const t = now.getTime();
    return [...this.#rows.values()]
      .filter((row) => row.enabled && row.nextRunAt.getTime() <= t)
      .sort((a, b) => a.nextRunAt.getTime() - b.nextRunAt.getTime() || a.id - b.id)
      .slice(0, limit)
      .map(({ id, nextRunAt, frequency, hour, day }) => ({ id, nextRunAt, frequency, hour, day }));
  }

  async markStarted(id: ScheduleId, nextRunAt: Date, startedAt: Date): Promise<void> {
    this.update(id, { nextRunAt, lastStartedAt: startedAt });
  }
}
