/**
 * The customer's package limits on schedules, checked on the server after the input itself is
 * valid. Admin (server-wide) schedules are not subject to any package.
 */
import { FREQUENCIES, type Frequency, type Package } from '../inventory/schema.js';
import type { FieldError } from './schedule-schema.js';

export interface PackageLimitError extends FieldError {
  field: 'frequency' | 'retention' | 'schedules';
  /** The package setting that was exceeded. */
  limit: 'frequencies' | 'maxRetention' | 'maxSchedules';
}

export type PackageLimits = Pick<Package, 'frequencies' | 'maxRetention' | 'maxSchedules'>;

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * Every package limit the schedule breaks, or an empty list.
 *
 * `existingScheduleCount` is how many schedules the customer already has. On create (the default)
 * one more must fit under `maxSchedules`; on update the count is not checked, so a customer whose
 * package was reduced can still edit the schedules they have (but each edit must respect the
 * package's frequencies and retention).
 */
export function checkPackageLimits(
  input: { frequency: Frequency; retention: number },
  pkg: PackageLimits,
  existingScheduleCount: number,
  mode: 'create' | 'update' = 'create',
): PackageLimitError[] {
  const errors: PackageLimitError[] = [];

  if (!pkg.frequencies.includes(input.frequency)) {
    const available = FREQUENCIES.filter((f) => pkg.frequencies.includes(f));
    errors.push({
      field: 'frequency',
      limit: 'frequencies',
      code: 'package.frequency_not_included',
      params: { frequency: input.frequency, available: available.join(', ') },
      message: `Your package does not include ${input.frequency} backups; available: ${available.join(', ')}`,
    });
  }

  if (pkg.maxRetention > 0 && input.retention > pkg.maxRetention) {
    errors.push({
      field: 'retention',
      limit: 'maxRetention',
      code: 'package.retention_limit',
      params: { max: pkg.maxRetention },
      message: `Your package allows at most ${plural(pkg.maxRetention, 'snapshot', 'snapshots')} per schedule`,
    });
  }

  if (mode === 'create' && pkg.maxSchedules > 0 && existingScheduleCount >= pkg.maxSchedules) {
    errors.push({
      field: 'schedules',
      limit: 'maxSchedules',
      code: 'package.schedule_limit',
      params: { max: pkg.maxSchedules },
      message: `Your package allows at most ${plural(pkg.maxSchedules, 'schedule', 'schedules')}`,
    });
  }

  return errors;
}
