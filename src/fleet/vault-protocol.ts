// What the controller asks the fleet's vault (`hostvault vault` on NATS) to do with full rights on
// its backing target, and what it answers: the one vocabulary of the vault's maintenance, used by
// the control plane (src/maintenance, src/schedule/schedule-deletion.ts), the in-process vault of
// `hostvault serve` (src/vault/maintenance.ts) and the vault's jobs over NATS alike.
import { z } from 'zod';

const snapshotId = z.string().regex(/^[0-9a-f]{8,64}$/);
const held = z.array(snapshotId).max(10_000);

/** A vault-fronted repository as the vault finds it. NEVER LOG: holds the password. */
export const vaultRepositorySchema = z.strictObject({
  /** The repository's URL as recorded (the agent's `rest:` one): the key of its mutex. */
  url: z.string().min(1),
  /** The agent whose repository it is: its vault user, the first part of its path. */
  agent: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/),
  owner: z.string().min(1).max(200),
  /** SECRET: the repository's password, opened from the store for this run. */
  password: z.string().min(1),
});
export type VaultRepository = z.infer<typeof vaultRepositorySchema>;

export const vaultTaskSchema = z.discriminatedUnion('task', [
  /**
   * One schedule's retention: keep-last over that schedule's backups of each customer, their
   * dumps' snapshots with them, held snapshots kept beyond it.
   */
  z.strictObject({
    task: z.literal('retention'),
    schedule: z.number().int().positive(),
    keepLast: z.number().int().min(0),
    held: held.default([]),
  }),
  /**
   * Prune; first the safety snapshots of restores this retention lets go (per customer the last
   * `keepLast` and every one younger than `keepDays` at `now` stay, held ones too).
   */
  z.strictObject({
    task: z.literal('prune'),
    safetyRetention: z
      .strictObject({
        keepLast: z.number().int().min(0),
        keepDays: z.number().min(0),
        now: z.string(),
        held: held.optional(),
      })
      .optional(),
  }),
  z.strictObject({ task: z.literal('check'), readDataSubset: z.string().max(20) }),
  /**
   * A deleted schedule's snapshots of one customer, and the safety snapshots of restores from
   * them (`also`); held ones stay, with the dumps' snapshots they name.
   */
  z.strictObject({
    task: z.literal('forget'),
    schedule: z.number().int().positive(),
    customerId: z.string().min(1).max(200),
    also: z.array(snapshotId).max(10_000).default([]),
    held: held.default([]),
  }),
]);
export type VaultTask = z.infer<typeof vaultTaskSchema>;
/** A task as a caller may write it: lists it leaves out are empty. */
export type VaultTaskInput = z.input<typeof vaultTaskSchema>;

/** A job of the fleet's vault (`hv._vault.jobs`). NEVER LOG: holds the repository's password. */
export const vaultRequestSchema = z.strictObject({
  /** The store's job it belongs to (a schedule's deletion has none). */
  jobId: z.number().int().positive().optional(),
  repository: vaultRepositorySchema,
  task: vaultTaskSchema,
});
export type VaultRequest = z.infer<typeof vaultRequestSchema>;

export const vaultAnswerSchema = z.strictObject({
  task: z.enum(['retention', 'prune', 'check', 'forget']),
  /** Snapshots forgotten: by retention, by forget, or safety snapshots before a prune. */
  removed: z.array(z.string()).optional(),
});
export type VaultAnswer = z.infer<typeof vaultAnswerSchema>;

/**
 * The vault's maintenance as the control plane calls it: in the process that runs the vault
 * (`hostvault serve` with HOSTVAULT_VAULT_CERT), or the fleet's vault over NATS.
 */
export interface VaultMaintainer {
  maintain(
    repo: VaultRepository,
    task: VaultTaskInput,
    opts: { jobId?: number; signal?: AbortSignal; onLog?: (line: string) => void },
  ): Promise<{ removed?: string[] }>;
}
