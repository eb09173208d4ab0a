/** A schedule as the API answers it, for customers' and admins' routes alike. */
import { z } from 'zod';

export const ScheduleSchema = z.object({
  id: z.number().int(),
  ownerKind: z.enum(['customer', 'server']),
  customerId: z.string().nullable(),
  name: z.string(),
  scope: z.string(),
  frequency: z.string(),
  hour: z.number().int(),
  day: z.number().int().nullable(),
  /**
   * Minute of the hour its runs start at (0–59): stable per customer, so the starts of many
   * schedules at one hour spread over that hour; nextRunAt is the real start.
   */
  startMinute: z.number().int(),
  retention: z.number().int(),
  target: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  nextRunAt: z.string().nullable(),
  lastStatus: z.string().nullable(),
  lastJobId: z.number().int().nullable(),
  lastSuccessAt: z.string().nullable(),
  overdue: z.boolean(),
});
