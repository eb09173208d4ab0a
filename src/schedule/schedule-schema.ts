/**
 * A backup schedule's user-editable fields as the API accepts them, on create and on edit (an edit
 * sends the whole schedule, or the API merges the stored one with the changes and validates the
 * result here).
 *
 * Decisions:
 * - `hour` is the hour in UTC (0–23), default 2. Runs start at minute 0; there is no minute field.
 * - `day` depends on the frequency:
 *   - weekly: the weekday, 0 = Sunday … 6 = Saturday (as JavaScript's getUTCDay() and cron count),
 *     default 0 (Sunday);
 *   - monthly: the day of the month, 1–31, default 1; a month without that day runs on its last
 *     day (see next-run.ts);
 *   - hourly and daily: ignored and stored as null, whatever was sent (a form that switches from
 *     weekly to daily may still carry the old day; that is not an error).
 *   The customer's form has no day field, so weekly and monthly schedules never require one.
 * - `null` for an optional field (hour, day, enabled) means "not given" and takes the default.
 * - Unknown fields are dropped. Values are never coerced: "3" is not an hour.
 * - The target is validated by the target schema (src/target/schema.ts); `validateScheduleInput`
 *   fills in messages that name the field for the issues that schema leaves without one.
 */
import { z } from 'zod';
import { noControlCharacters } from '../control-characters.js';
import { fieldErrorOf, type FieldError } from '../errors/index.js';
import { FREQUENCIES, type Frequency } from '../inventory/schema.js';
import { SCOPES } from '../scope/scope.js';
import { scheduleTargetSchema } from '../target/schema.js';
import { DEFAULT_HOUR, DEFAULT_MONTH_DAY, DEFAULT_WEEKDAY } from './next-run.js';

export const NAME_MAX_LENGTH = 100;
export { DEFAULT_HOUR, DEFAULT_MONTH_DAY, DEFAULT_WEEKDAY };
/** Matches the largest `maxRetention` a package may set. */
export const RETENTION_MAX = 10_000;

export const WEEKDAY_NAMES = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;

export type { FieldError };

const given = (input: unknown): boolean => input !== undefined;
const nullIsAbsent = (value: unknown): unknown => (value === null ? undefined : value);

const nameSchema = z
  .string({ error: (iss) => (given(iss.input) ? 'Name must be text' : 'Name is required') })
  .trim()
  // The name reaches notification e-mails' subject lines and job logs.
  .refine(...noControlCharacters('The name'))
  .min(1, 'Name is required')
  .max(NAME_MAX_LENGTH, `Name must be at most ${NAME_MAX_LENGTH} characters`);

const scopeSchema = z.enum(SCOPES, {
  error: (iss) =>
    given(iss.input) ? `Scope must be one of: ${SCOPES.join(', ')}` : 'Scope is required',
});

const frequencySchema = z.enum(FREQUENCIES, {
  error: (iss) =>
    given(iss.input)
      ? `Frequency must be one of: ${FREQUENCIES.join(', ')}`
      : 'Frequency is required',
});

const HOUR_MESSAGE = 'Hour must be a whole number from 0 to 23 (UTC)';
const hourSchema = z.preprocess(
  nullIsAbsent,
  z
    .number({ error: HOUR_MESSAGE })
    .int(HOUR_MESSAGE)
    .min(0, HOUR_MESSAGE)
    .max(23, HOUR_MESSAGE)
    .default(DEFAULT_HOUR),
);

const RETENTION_MESSAGE = 'Retention must be a whole number of snapshots to keep, at least 1';
const retentionSchema = z
  .number({
    error: (iss) =>
      given(iss.input) && iss.input !== null
        ? RETENTION_MESSAGE
        : 'Retention is required (the number of snapshots to keep)',
  })
  .int(RETENTION_MESSAGE)
  .min(1, RETENTION_MESSAGE)
  .max(RETENTION_MAX, `Retention must be at most ${RETENTION_MAX} snapshots`);

const enabledSchema = z.preprocess(
  nullIsAbsent,
  z.boolean({ error: 'Enabled must be true or false' }).default(true),
);

export const WEEKDAY_MESSAGE =
  'Day must be a weekday from 0 (Sunday) to 6 (Saturday) for weekly backups';
export const MONTH_DAY_MESSAGE = 'Day must be a day of the month from 1 to 31 for monthly backups';

/** The day a schedule of this frequency runs on, or why the given one is wrong. */
export function normalizeDay(
  frequency: Frequency,
  day: unknown,
): { ok: true; day: number | null } | { ok: false; message: string } {
  if (frequency === 'hourly' || frequency === 'daily') return { ok: true, day: null };
  const weekly = frequency === 'weekly';
  if (day === undefined || day === null) {
    return { ok: true, day: weekly ? DEFAULT_WEEKDAY : DEFAULT_MONTH_DAY };
  }
  const [min, max] = weekly ? [0, 6] : [1, 31];
  if (typeof day !== 'number' || !Number.isInteger(day) || day < min || day > max) {
    return { ok: false, message: weekly ? WEEKDAY_MESSAGE : MONTH_DAY_MESSAGE };
  }
  return { ok: true, day };
}

const isFrequency = (value: unknown): value is Frequency =>
  (FREQUENCIES as readonly unknown[]).includes(value);

export const scheduleInputSchema = z
  .object({
    name: nameSchema,
    scope: scopeSchema,
    frequency: frequencySchema,
    hour: hourSchema.describe('The hour the backup starts, in UTC (0–23); default 2.'),
    /** Checked against the frequency below. */
    day: z
      .unknown()
      .optional()
      .describe(
        'weekly: the weekday, 0 = Sunday … 6 = Saturday (default 0); monthly: the day of the month, 1–31 (default 1; a shorter month runs on its last day); ignored for hourly and daily.',
      ),
    retention: retentionSchema.describe('How many snapshots to keep.'),
    enabled: enabledSchema,
    target: scheduleTargetSchema,
  })
  .superRefine(
    (value, ctx) => {
      // Runs even when other fields failed, so one response lists every problem; a wrong
      // frequency has its own message and leaves the day unjudged.
      if (!isFrequency(value.frequency)) return;
      const day = normalizeDay(value.frequency, value.day);
      if (!day.ok) ctx.addIssue({ code: 'custom', path: ['day'], message: day.message });
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  )
  .transform(({ day, ...rest }) => {
    const normalized = normalizeDay(rest.frequency, day);
    // The refinement above rejected every other case.
    return { ...rest, day: normalized.ok ? normalized.day : null };
  });

export type ScheduleInput = z.output<typeof scheduleInputSchema>;

const FIELD_LABELS: Record<string, string> = {
  target: 'Target',
  'target.kind': 'Target type',
  'target.path': 'Target directory',
  'target.endpoint': 'S3 endpoint',
  'target.region': 'S3 region',
  'target.bucket': 'S3 bucket',
  'target.prefix': 'S3 prefix',
  'target.accessKeyId': 'S3 access key',
  'target.secretAccessKey': 'S3 secret key',
  'target.pathStyle': 'S3 path-style setting',
  'target.caCert': 'CA certificate',
  'target.host': 'FTP server',
  'target.port': 'FTP port',
  'target.user': 'FTP user name',
  'target.password': 'FTP password',
  'target.baseDir': 'FTP directory',
  'target.explicitTls': 'FTP TLS setting',
  'target.connections': 'FTP connections',
};

function labelOf(path: readonly PropertyKey[]): string {
  const key = path.map(String).join('.');
  return FIELD_LABELS[key] ?? (key ? key.charAt(0).toUpperCase() + key.slice(1) : 'The request');
}

/**
 * Messages for issues the schemas leave without one (mostly inside the target), naming the field.
 * Schema-level messages take precedence over these.
 */
const fallbackMessage: z.core.$ZodErrorMap = (iss) => {
  const label = labelOf(iss.path ?? []);
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return `${label} is required`;
      return `${label} must be ${iss.expected === 'object' ? 'an object' : `a ${iss.expected}`}`;
    case 'invalid_union':
      // discriminatedUnion reports an unknown or missing `kind` at the discriminator's path.
      if ('options' in iss && Array.isArray(iss.options)) {
        return `${label} must be one of: ${iss.options.map(String).join(', ')}`;
      }
      return `${label} is invalid`;
    case 'too_big':
      return iss.origin === 'string'
        ? `${label} must be at most ${String(iss.maximum)} characters`
        : `${label} must be at most ${String(iss.maximum)}`;
    case 'too_small':
      return iss.origin === 'string'
        ? `${label} must be at least ${String(iss.minimum)} characters`
        : `${label} must be at least ${String(iss.minimum)}`;
    case 'invalid_value':
      return `${label} must be one of: ${iss.values.map(String).join(', ')}`;
    default:
      return `${label} is invalid`;
  }
};

/** Validates a request body; on failure, every problem found, each naming its field. */
export function validateScheduleInput(
  input: unknown,
): { ok: true; value: ScheduleInput } | { ok: false; errors: FieldError[] } {
  // reportInput: a field error's code tells a missing value (required) from a wrong one.
  const result = scheduleInputSchema.safeParse(input, {
    error: fallbackMessage,
    reportInput: true,
  });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) =>
      fieldErrorOf(issue, issue.path.map(String).join('.'), labelOf(issue.path)),
    ),
  };
}

/**
 * A schedule's second copy (3-2-1, issue 14), set apart from the schedule's form: a target of its
 * own kind (local, S3, FTP) and the number of snapshots that copy keeps (default: the schedule's
 * retention). `target: null` ends the second copy; the copies already made stay restorable.
 */
export const copyInputSchema = z.object({
  target: scheduleTargetSchema.nullable(),
  retention: z.preprocess(nullIsAbsent, retentionSchema.optional()),
});

export type CopyInput = z.output<typeof copyInputSchema>;

/** Validates a second copy's settings; on failure, every problem found, each naming its field. */
export function validateCopyInput(
  input: unknown,
): { ok: true; value: CopyInput } | { ok: false; errors: FieldError[] } {
  const result = copyInputSchema.safeParse(input, { error: fallbackMessage, reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) =>
      fieldErrorOf(issue, issue.path.map(String).join('.'), labelOf(issue.path)),
    ),
  };
}
