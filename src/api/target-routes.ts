/**
 * "Test connection" for a schedule's target, before it is saved: reach, authenticate, write,
 * delete (see src/target/probe.ts). Customers test S3 and FTP targets; their "Local" target is
 * always the provider's directory, which the provider looks after, so it answers at once.
 */
import { z } from 'zod';
import type { ScheduleRow } from '../store/index.js';
import { PROBE_STEPS, type ProbeResult } from '../target/probe.js';
import { targetSchema, type Target } from '../target/schema.js';
import { NotFoundError, type Viewer } from '../schedule/schedule-service.js';
import { ApiError, ErrorBodySchema, notFound } from './errors.js';
import type { RouteRegistry } from './registry.js';

export interface TargetRouteDeps {
  /** Runs the bounded probe (probeTarget with the service's restic and rclone). */
  probe(target: Target): Promise<ProbeResult>;
  /** For masked secrets of a saved schedule's target: ScheduleService provides both. */
  schedules: {
    getRow(viewer: Viewer, id: number): Promise<ScheduleRow>;
    target(row: ScheduleRow): Target;
  };
  /** Probes running at once over all callers; more answer 429. Default 2. */
  maxConcurrent?: number;
}

/** As the schedule form shows stored secrets; sent back, it means "the stored one". */
const MASK = '********';

const TestBody = z.strictObject({
  // The kind first, so an unknown one gets a message that lists the known ones.
  target: z
    .object({
      kind: z.enum(['local', 's3', 'ftp'], {
        error: 'Target type must be one of: local, s3, ftp',
      }),
    })
    .loose()
    .pipe(targetSchema)
    .describe("The schedule form's target: kind local, s3 or ftp with that kind's fields."),
  scheduleId: z.coerce
    .number()
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .describe(
      `The saved schedule whose target is being edited: a secret sent as ${MASK} is taken from it.`,
    ),
});

const StepSchema = z.object({ step: z.enum(PROBE_STEPS), message: z.string() });
const TestResult = z.union([
  z.object({ ok: z.literal(true), steps: z.array(StepSchema) }),
  z.object({
    ok: z.literal(false),
    step: z.enum(PROBE_STEPS).describe('The step that failed.'),
    message: z.string().describe('What went wrong, in words for the person at the form.'),
    steps: z.array(StepSchema).describe('The steps that passed before it.'),
  }),
]);

export function targetRoutes(deps: TargetRouteDeps) {
  const limit = deps.maxConcurrent ?? 2;
  let running = 0;

  return (api: RouteRegistry): void => {
    api.route({
      method: 'POST',
      path: '/api/targets/test',
      operationId: 'testTarget',
      summary: 'Test connection: reach, authenticate, write and delete on a target',
      description:
        'Creates a throw-away repository under the target, reads it back and deletes it, within 20 s. A target that fails answers 200 with ok false and the step that failed; 400 is for a form that is not filled in correctly.',
      tags: ['schedules'],
      access: 'signed-in',
      body: TestBody,
      responses: {
        200: { description: 'The outcome of the test.', schema: TestResult },
        429: {
          description: 'Too many connection tests at once; try again in a moment.',
          schema: ErrorBodySchema,
        },
      },
      async handler({ principal, body }) {
        const viewer: Viewer =
          principal.role === 'customer' && principal.customerId
            ? { role: 'customer', customerId: principal.customerId }
            : { role: 'admin' };
        let target = body.target;
        if (body.scheduleId !== undefined) {
          const row = await deps.schedules.getRow(viewer, body.scheduleId).catch((error) => {
            if (error instanceof NotFoundError) throw notFound();
            throw error;
          });
          target = unmask(target, deps.schedules.target(row));
        }
        if (target.kind === 'local' && viewer.role === 'customer') {
          return {
            ok: true as const,
            steps: PROBE_STEPS.map((step) => ({
              step,
              message:
                step === 'reach'
                  ? "Local backups are kept on your hosting provider's backup storage; nothing to test."
                  : 'Taken care of by your hosting provider.',
            })),
          };
        }
        if (hasMask(target)) {
          const field = target.kind === 's3' ? 'target.secretAccessKey' : 'target.password';
          throw new ApiError(400, 'Enter the secret again to test the connection', [
            { field, message: 'Enter the secret again to test the connection' },
          ]);
        }
        if (running >= limit)
          throw new ApiError(
            429,
            'Other connection tests are running. Try again in a moment.',
            undefined,
            { 'retry-after': '5' },
          );
        running++;
        try {
          return await deps.probe(target);
        } finally {
          running--;
        }
      },
    });
  };
}

function hasMask(target: Target): boolean {
  return (
    (target.kind === 's3' && target.secretAccessKey === MASK) ||
    (target.kind === 'ftp' && target.password === MASK)
  );
}

function unmask(target: Target, stored: Target): Target {
  if (target.kind === 's3' && stored.kind === 's3' && target.secretAccessKey === MASK)
    return { ...target, secretAccessKey: stored.secretAccessKey };
  if (target.kind === 'ftp' && stored.kind === 'ftp' && target.password === MASK)
    return { ...target, password: stored.password };
  return target;
}
