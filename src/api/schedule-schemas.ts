/** A schedule as the API answers it, for customers' and admins' routes alike. */
import { z } from 'zod';
import { FREQUENCIES } from '../inventory/schema.js';
import { SCOPES } from '../scope/scope.js';
import { MASK } from '../target/masked-secret.js';

const Masked = z.literal(MASK).describe('The stored secret is never shown; send it back as it is.');

/** A target as publicTarget() shows it: every field of the target schema, secrets masked. */
export const PublicTargetSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('local'),
      path: z
        .string()
        .optional()
        .describe(
          "Repositories go to `<path>/<owner>`. Answered to the provider only: a customer's local target is the server's own directory.",
        ),
    }),
    z.object({
      kind: z.literal('s3'),
      endpoint: z.string(),
      region: z.string(),
      bucket: z.string(),
      prefix: z.string(),
      accessKeyId: z.string(),
      secretAccessKey: Masked,
      pathStyle: z.boolean(),
      caCert: z.string().optional(),
    }),
    z.object({
      kind: z.literal('ftp'),
      host: z.string(),
      port: z.number().int(),
      user: z.string(),
      password: Masked,
      baseDir: z.string(),
      explicitTls: z.boolean(),
      connections: z.number().int(),
    }),
    z.object({
      kind: z.literal('vault'),
      url: z.string().describe("The vault's https address; only the provider chooses one."),
      user: z.string().describe("The agent's user on the vault."),
      password: Masked,
      caCert: z.string().optional(),
    }),
  ])
  .meta({ id: 'PublicTarget' });

export const ScheduleSchema = z
  .object({
    id: z.number().int(),
    ownerKind: z.enum(['customer', 'server']),
    customerId: z.string().nullable(),
    server: z
      .string()
      .nullable()
      .describe(
        "An entire-server schedule's hosting server: only its customers, on its agent. Null: every customer on its own server (a customer's schedule follows its customer).",
      ),
    name: z.string(),
    scope: z.enum(SCOPES),
    frequency: z.enum(FREQUENCIES),
    hour: z.number().int().describe('UTC, 0–23.'),
    day: z
      .number()
      .int()
      .nullable()
      .describe('Weekly: 0 = Sunday … 6; monthly: 1–31; null for hourly and daily.'),
    startMinute: z
      .number()
      .int()
      .describe(
        'Minute of the hour its runs start at (0–59), stable per customer so that many schedules at one hour spread over it; nextRunAt is the real start.',
      ),
    retention: z.number().int(),
    target: PublicTargetSchema,
    enabled: z.boolean(),
    nextRunAt: z.string().nullable(),
    lastStatus: z.string().nullable(),
    lastJobId: z.number().int().nullable(),
    lastSuccessAt: z.string().nullable(),
    overdue: z.boolean().describe('No success for twice the interval.'),
    copy: z
      .object({
        target: PublicTargetSchema,
        retention: z.number().int().describe('Snapshots the second copy keeps.'),
        lastStatus: z.string().nullable().describe("The last copy job's outcome."),
        lastAt: z.string().nullable(),
      })
      .nullable()
      .describe('The second copy (3-2-1); null: none.'),
  })
  .meta({ id: 'Schedule' });
