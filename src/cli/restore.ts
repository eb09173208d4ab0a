/**
 * `restore <repository-id> <snapshot-id> --what …`: the same checks as the API's restore, then a
 * restore job; `--wait` runs it here and prints its log.
 */
import type { Config } from '../config.js';
import {
  checkRestoreRequest,
  RESTORE_WHAT,
  restoreRequestSchema,
  RestoreRequestError,
} from '../restore/restore-job.js';
import type { SnapshotRow } from '../store/index.js';
import { CliError, flag, id, parse, text } from './args.js';
import { withApp, type Io } from './context.js';
import { runAndFollow } from './wait.js';

const OPTION_OF: Record<string, string> = {
  what: '--what',
  path: '--path',
  database: '--database',
  mailbox: '--mailbox',
  keepNewerMail: '--replace-mail',
};

export async function restoreCommand(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(
    args,
    {
      what: { type: 'string' },
      path: { type: 'string' },
      database: { type: 'string' },
      mailbox: { type: 'string' },
      'replace-mail': { type: 'boolean' },
      wait: { type: 'boolean' },
    },
    ['repository id', 'snapshot id'],
  );
  const repositoryId = id(parsed.positionals[0]!, 'repository id');
  const snapshotId = parsed.positionals[1]!;
  if (!/^[0-9a-f]{4,64}$/.test(snapshotId))
    throw new CliError(
      `snapshot id must be hexadecimal (as "hostvault snapshots" shows it), got "${snapshotId}"`,
    );
  if (text(parsed, 'what') === undefined)
    throw new CliError(`--what is required: one of ${RESTORE_WHAT.join(', ')}`);
  const request = restoreRequestSchema.safeParse({
    what: text(parsed, 'what'),
    path: text(parsed, 'path'),
    database: text(parsed, 'database'),
    mailbox: text(parsed, 'mailbox'),
    keepNewerMail: !flag(parsed, 'replace-mail'),
  });
  if (!request.success) {
    const issue = request.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    throw new CliError(`${OPTION_OF[field] ?? field}: ${issue.message}`);
  }

  return withApp(config, async (app) => {
    const snapshot = await findSnapshot(app.store, repositoryId, snapshotId);
    if (snapshot.schedule_id == null)
      throw new CliError('this snapshot has no schedule, so its target is unknown');
    const schedule = await app.schedules
      .getRow({ role: 'admin' }, snapshot.schedule_id)
      .catch(() => undefined);
    if (!schedule)
      throw new CliError('the schedule of this snapshot was deleted, so its target is unknown');
    const customer = await app.inventory.getCustomer(snapshot.customer_id);
    if (!customer)
      throw new CliError(
        `the customer of this snapshot (${snapshot.customer_id}) is no longer in the inventory`,
      );
    try {
      checkRestoreRequest(snapshot, customer, request.data);
    } catch (error) {
      if (error instanceof RestoreRequestError)
        throw new CliError(`${OPTION_OF[error.field] ?? error.field}: ${error.message}`);
      throw error;
    }
    const created = await app.jobs.create({
      type: 'restore',
      trigger: 'manual',
      customerId: snapshot.customer_id,
      scheduleName: `Restore ${request.data.what}`,
      scope: snapshot.scope,
      params: {
        repositoryId: snapshot.repository_id,
        snapshotId: snapshot.id,
        request: request.data,
      },
    });
    const jobId = created.created ? created.id : created.existingId;
    io.out(`queued restore job ${jobId} of snapshot ${snapshot.id} for ${customer.id}\n`);
    if (!flag(parsed, 'wait')) {
      io.out(`follow it with: hostvault jobs show ${jobId}\n`);
      return 0;
    }
    return runAndFollow(app, jobId, io);
  });
}

/** The snapshot by its full id or a prefix that names exactly one (as restic does). */
async function findSnapshot(
  store: import('../store/index.js').Store,
  repositoryId: number,
  snapshotId: string,
): Promise<SnapshotRow> {
  const rows = await store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('repository_id', '=', repositoryId)
    .where('id', 'like', `${snapshotId}%`)
    .limit(2)
    .execute();
  if (rows.length === 0)
    throw new CliError(`no snapshot ${snapshotId} in repository ${repositoryId}`);
  const exact = rows.find((r) => r.id === snapshotId);
  if (exact) return exact;
  if (rows.length > 1)
    throw new CliError(
      `snapshot id ${snapshotId} is ambiguous in repository ${repositoryId}; give more of it`,
    );
  return rows[0]!;
}
