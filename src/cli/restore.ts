/**
 * `restore <repository-id> <snapshot-id> --what …`: a restore job through the restore service, as
 * the API's restore asks for one; `--wait` runs it here and prints its log.
 */
import type { Config } from '../config.js';
import {
  RESTORE_WHAT,
  restoreRequestSchema,
  RestoreRequestError,
} from '../restore-job/restore-request.js';
import { RestoreLimitError, SnapshotUnavailableError } from '../restore-job/restore-service.js';
import { AmbiguousSnapshotError } from '../repository/snapshot-records.js';
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
    let queued;
    try {
      queued = await app.restores.request(
        { role: 'admin' },
        { repositoryId, snapshotId },
        request.data,
      );
    } catch (error) {
      if (error instanceof RestoreRequestError)
        throw new CliError(`${OPTION_OF[error.field] ?? error.field}: ${error.message}`);
      if (error instanceof RestoreLimitError)
        throw new CliError(
          `customer ${error.customerId} already has ${error.limit} restore(s) waiting or running, the most allowed (HOSTVAULT_RESTORES_PER_CUSTOMER); wait until one has finished`,
        );
      if (error instanceof SnapshotUnavailableError || error instanceof AmbiguousSnapshotError)
        throw new CliError(error.message);
      throw error;
    }
    const { jobId, snapshot, customer } = queued;
    io.out(`queued restore job ${jobId} of snapshot ${snapshot.id} for ${customer.id}\n`);
    if (!flag(parsed, 'wait')) {
      io.out(`follow it with: hostvault jobs show ${jobId}\n`);
      return 0;
    }
    return runAndFollow(app, jobId, io);
  });
}
