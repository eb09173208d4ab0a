/**
 * "Test connection" for a schedule's target, before it is saved: reach, authenticate, write,
 * delete (see src/host/probe.ts), run by the agent. Customers test S3 and FTP targets; their "Local" target is
 * always the provider's directory, which the provider looks after, so it answers at once.
 *
 * A customer's server must pass the address policy (src/target/address-policy.ts) before any
 * connection is made, each customer runs at most a few tests a minute, and a customer reads one
 * text for every connection that did not open: the test is no port scanner.
 */
import { z } from 'zod';
import {
  PROBE_STEPS,
  type TestConnectionAnswer,
  type TestConnectionRequest,
} from '../agent/protocol.js';
import { RateLimiter } from '../auth/rate-limit.js';
import type { ScheduleRow } from '../store/index.js';
import type { AddressPolicy } from '../target/address-policy.js';
import { MASK, unmask } from '../target/masked-secret.js';
import { chosenByProvider, originAfterEdit } from '../target/origin.js';
import { scheduleTargetSchema, type Target } from '../target/schema.js';
import type { Viewer } from '../auth/viewer.js';
import { HostvaultError, ValidationError } from '../errors/index.js';
import { ErrorBodySchema } from './errors.js';
import type { RouteRegistry } from './registry.js';

export interface TargetRouteDeps {
  /** Runs the bounded probe: the agent's Test connection. */
  probe(target: Target, opts: Omit<TestConnectionRequest, 'target'>): Promise<TestConnectionAnswer>;
  /** For masked secrets of a saved schedule's target: ScheduleService provides both. */
  schedules: {
    getRow(viewer: Viewer, id: number): Promise<ScheduleRow>;
    target(row: ScheduleRow): Promise<Target>;
  };
  /** Where a customer's target may point. */
  addresses: Pick<AddressPolicy, 'check'>;
  /** Probes running at once over all callers; more answer 429. Default 2. */
  maxConcurrent?: number;
  /** Tests one customer (all of its sessions together) may start per minute. Default 10. */
  perMinute?: number;
  now?: () => number;
}

const TestBody = z.strictObject({
  // The kind first, so an unknown one gets a message that lists the known ones.
  target: z
    .object({
      kind: z.enum(['local', 's3', 'ftp', 'vault'], {
        error: 'Target type must be one of: local, s3, ftp, vault',
      }),
    })
    .loose()
    .pipe(scheduleTargetSchema)
    .describe("The schedule form's target: kind local, s3, ftp or vault with that kind's fields."),
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
const TestResult = z
  .union([
    z.object({ ok: z.literal(true), steps: z.array(StepSchema) }),
    z.object({
      ok: z.literal(false),
      step: z.enum(PROBE_STEPS).describe('The step that failed.'),
      message: z.string().describe('What went wrong, in words for the person at the form.'),
      steps: z.array(StepSchema).describe('The steps that passed before it.'),
    }),
  ])
  .meta({ id: 'TargetTest' });

export function targetRoutes(deps: TargetRouteDeps) {
  const limit = deps.maxConcurrent ?? 2;
  const perMinute = deps.perMinute ?? 10;
  const limiter = new RateLimiter({ maxFailures: perMinute, windowMs: 60_000, now: deps.now });
  let running = 0;

  return (api: RouteRegistry): void => {
    api.route({
      method: 'POST',
      path: '/api/targets/test',
      operationId: 'testTarget',
      summary: 'Test connection: reach, authenticate, write and delete on a target',
      description: `Creates a throw-away repository under the target, reads it back and deletes it, within 20 s. A target that fails answers 200 with ok false and the step that failed; 400 is for a form that is not filled in correctly, a customer's server on a local or private network, or a secret sent as ${MASK} for a changed server. Each step's message says what it proved.`,
      tags: ['schedules'],
      access: 'signed-in',
      body: TestBody,
      responses: {
        200: { description: 'The outcome of the test.', schema: TestResult },
        429: {
          description: `Too many connection tests at once, or more than ${perMinute} by one customer within a minute.`,
          schema: ErrorBodySchema,
        },
      },
      async handler({ principal, body }) {
        const viewer: Viewer =
          principal.role === 'customer' && principal.customerId
            ? { role: 'customer', customerId: principal.customerId }
            : { role: 'admin' };
        let stored: Target | undefined;
        if (body.scheduleId !== undefined) {
          const row = await deps.schedules.getRow(viewer, body.scheduleId);
          stored = await deps.schedules.target(row);
        }
        if (body.target.kind === 'local' && viewer.role === 'customer') {
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
        const unmasked = unmask(body.target, stored);
        if (!unmasked.ok)
          throw new ValidationError([
            {
              field: `target.${unmasked.field}`,
              code: 'target.secret_required',
              message: unmasked.message,
              params: { secret: unmasked.field },
            },
          ]);
        const target = unmasked.target;

        // Customers only: the provider's own tests scan nobody's network.
        const attempt =
          viewer.role === 'customer'
            ? limiter.attempt(viewer.customerId)
            : { allowed: true as const };
        if (!attempt.allowed)
          throw new HostvaultError(
            'target.test_rate_limited',
            `You have started ${perMinute} connection tests within a minute. Try again in ${attempt.retryAfterSeconds} s.`,
            { params: { limit: perMinute, retryAfterSeconds: attempt.retryAfterSeconds } },
          );

        const origin = originAfterEdit(
          target,
          stored && { target: stored, origin: chosenByProvider(stored) ? 'provider' : 'customer' },
          viewer.role === 'admin' ? 'provider' : 'customer',
        );
        // A customer keeps the provider's vault but never chooses one (ScheduleService): a
        // customer's own "vault" would be one more server of their choosing to test against.
        if (origin === 'customer' && target.kind === 'vault')
          throw new ValidationError([
            {
              field: 'target.url',
              code: 'target.vault_provider_only',
              message: 'A vault is set up by your hosting provider; a customer cannot enter one.',
            },
          ]);
        let reachAddress: string | undefined;
        if (origin === 'customer' && target.kind !== 'local') {
          const verdict = await deps.addresses.check(target);
          if (!verdict.ok && verdict.reason === 'not-found')
            return {
              ok: false as const,
              step: 'reach' as const,
              message: verdict.message,
              steps: [],
            };
          if (!verdict.ok)
            throw new ValidationError([
              {
                field: `target.${verdict.field}`,
                code: 'target.address_refused',
                message: verdict.message,
              },
            ]);
          reachAddress = verdict.addresses[0];
        }

        if (running >= limit)
          throw new HostvaultError(
            'target.tests_busy',
            'Other connection tests are running. Try again in a moment.',
            { params: { retryAfterSeconds: 5 } },
          );
        running++;
        try {
          return await deps.probe(target, {
            audience: viewer.role === 'customer' ? 'customer' : 'provider',
            reachAddress,
          });
        } finally {
          running--;
        }
      },
    });
  };
}
