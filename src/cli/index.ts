/**
 * The operator's commands over the same services as the API, as an admin: schedules, run, jobs,
 * snapshots, restore. Each parses its arguments before it opens anything, so a typo never creates
 * a store. Mistakes exit 2 with a message naming the option; a failed job exits 1.
 */
import type { Config } from '../config.js';
import { CliError } from './args.js';
import { processIo, type Io } from './context.js';
import { holdsAdd, holdsKeep, holdsList, holdsRelease, holdsUnkeep } from './holds.js';
import { LIFECYCLE_USAGE, lifecycleCommand } from './lifecycle.js';
import { jobsList, jobsShow } from './jobs.js';
import { restoreCommand } from './restore.js';
import { runCommand } from './run.js';
import { schedulesCreate, schedulesCopy, schedulesDelete, schedulesList } from './schedules.js';
import { snapshotsList } from './snapshots.js';

type Command = (config: Config, args: string[], io: Io) => Promise<number>;

export const OPERATOR_USAGE = `  schedules list [--customer ID]
                              list schedules (all customers, server-wide ones too)
  schedules create --customer ID --name N --scope S --frequency F [--hour H] [--day D]
                   --retention R [--target-dir DIR] [--disabled]
                              create a customer's schedule on a local target (admin: no package
                              limits); scope full|web|databases|email|ssl|config, frequency
                              hourly|daily|weekly|monthly, hour 0-23 UTC, day 0-6 (weekly, 0 =
                              Sunday) or 1-31 (monthly)
  schedules delete <schedule-id> [--forget-snapshots]
                              delete a schedule; its snapshots stay (browse and restore them as
                              before) unless --forget-snapshots, which forgets them first
  run <schedule-id> [--wait]  queue a backup now; --wait runs it here and prints its log
  jobs list [--customer ID] [--status S] [--type T] [--limit N]
                              job history, newest first
  jobs show <job-id>          one job with its log
  snapshots <schedule-id>     a schedule's snapshots with their repository and snapshot ids
  holds list [--customer ID]  snapshots held (provider's hold, customers' keep, the guard's)
  holds add <repository-id> <snapshot-id> --reason R [--until ISO-TIME]
                              the provider's hold: retention and deletion leave the snapshot
                              alone until --until, or until released
  holds release <repository-id> <snapshot-id> [--guard]
                              end the provider's hold (--guard: the mass-change guard's)
  holds keep|unkeep <repository-id> <snapshot-id>
                              mark a snapshot "keep" for its customer (within the package's keep
                              limit), or stop keeping it
  restore <repository-id> <snapshot-id> --what WHAT [--path P] [--database D] [--mailbox M]
          [--replace-mail] [--wait]
                              restore web|databases|email|everything|file|database|mailbox;
                              --wait runs it here and prints its log
  schedules copy <schedule-id> (--target-dir DIR [--retention N] | --none)
                              copy each new backup to a second local target, keeping N snapshots
                              there (default: the schedule's retention); --none ends it
${LIFECYCLE_USAGE}`;

function resolveCommand(command: string, args: string[]): [Command, string[]] | undefined {
  const [sub, ...rest] = args;
  switch (command) {
    case 'schedules':
      if (sub === 'list') return [schedulesList, rest];
      if (sub === 'create') return [schedulesCreate, rest];
      if (sub === 'delete') return [schedulesDelete, rest];
      if (sub === 'copy') return [schedulesCopy, rest];
      return undefined;
    case 'jobs':
      if (sub === 'list') return [jobsList, rest];
      if (sub === 'show') return [jobsShow, rest];
      return undefined;
    case 'holds':
      if (sub === 'list') return [holdsList, rest];
      if (sub === 'add') return [holdsAdd, rest];
      if (sub === 'release') return [holdsRelease, rest];
      if (sub === 'keep') return [holdsKeep, rest];
      if (sub === 'unkeep') return [holdsUnkeep, rest];
      return undefined;
    case 'lifecycle':
      return [lifecycleCommand, args];
    case 'run':
      return [runCommand, args];
    case 'snapshots':
      return [snapshotsList, args];
    case 'restore':
      return [restoreCommand, args];
    default:
      return undefined;
  }
}

/** The exit code, or undefined when `command` is not one of these (the caller prints usage). */
export async function runOperatorCommand(
  config: Config,
  command: string,
  args: string[],
  io: Io = processIo,
): Promise<number | undefined> {
  const resolved = resolveCommand(command, args);
  if (!resolved) return undefined;
  const [run, rest] = resolved;
  try {
    return await run(config, rest, io);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.err(`hostvault: ${error.message}\n`);
    return 2;
  }
}
