/**
 * `lifecycle …`: the customer life cycle from the command line, over the same service as the
 * panel's API (src/lifecycle/lifecycle-service.ts). `suspend` and `terminate` queue a final
 * backup of each schedule first (`--wait` runs them here and prints their logs); `purge-path`
 * queues the removal of one path from every snapshot of the customer; `purge-due` queues the
 * purges whose kept days are over now (the service's planner does so hourly); `show` prints the
 * state and the audit.
 */
import type { App } from '../app.js';
import type { Config } from '../config.js';
import { HostvaultError } from '../errors/index.js';
import { CliError, flag, parse } from './args.js';
import { withApp, type Io } from './context.js';
import { formatTable, time } from './format.js';
import { runAndFollow } from './wait.js';

export const LIFECYCLE_USAGE = `  lifecycle show <customer-id>
                              the customer's life-cycle state and its audit
  lifecycle suspend|terminate <customer-id> [--wait]
                              a final backup of each schedule, then suspend or terminate
                              (terminated: schedules stop, backups kept for
                              HOSTVAULT_TERMINATED_KEEP_DAYS days, then purged); --wait runs the
                              final backups here
  lifecycle reactivate <customer-id>
                              lift a suspension
  lifecycle purge-path <customer-id> <path> [--wait]
                              remove a path from every snapshot of the customer (restic 0.15+)
  lifecycle purge-due [--wait]
                              queue the purges of terminated customers whose kept days are over
`;

async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HostvaultError && error.code !== 'internal')
      throw new CliError(error.message);
    throw error;
  }
}

async function follow(app: App, jobs: number[], io: Io): Promise<number> {
  let code = 0;
  for (const job of jobs) code = Math.max(code, await runAndFollow(app, job, io));
  return code;
}

export async function lifecycleCommand(config: Config, args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const actor = 'cli';
  switch (sub) {
    case 'show': {
      const parsed = parse(rest, {}, ['customer id']);
      const customerId = parsed.positionals[0]!;
      return withApp(config, async (app) => {
        const status = await refusing(() => app.lifecycle.status(customerId));
        io.out(
          `${customerId}: ${status.state}` +
            (status.purgeAfter ? `, backups kept until ${time(status.purgeAfter)}` : '') +
            (status.purgedAt ? `, purged ${time(status.purgedAt)}` : '') +
            '\n',
        );
        const entries = await app.lifecycle.audit(customerId);
        if (entries.length > 0)
          io.out(
            formatTable(
              ['WHEN (UTC)', 'ACTION', 'BY', 'DETAIL'],
              entries.map((e) => [time(e.at), e.action, e.actor, JSON.stringify(e.detail)]),
            ),
          );
        return 0;
      });
    }
    case 'suspend':
    case 'terminate': {
      const parsed = parse(rest, { wait: { type: 'boolean' } }, ['customer id']);
      const customerId = parsed.positionals[0]!;
      return withApp(config, async (app) => {
        const answer = await refusing(() =>
          sub === 'suspend'
            ? app.lifecycle.suspend(customerId, { actor })
            : app.lifecycle.terminate(customerId, { actor }),
        );
        io.out(
          `${customerId} is ${answer.state}; final backup jobs: ${answer.finalBackupJobs.join(', ') || 'none (no schedule)'}\n`,
        );
        if (answer.purgeAfter) io.out(`backups kept until ${time(answer.purgeAfter)}\n`);
        return flag(parsed, 'wait') ? follow(app, answer.finalBackupJobs, io) : 0;
      });
    }
    case 'reactivate': {
      const parsed = parse(rest, {}, ['customer id']);
      const customerId = parsed.positionals[0]!;
      return withApp(config, async (app) => {
        const status = await refusing(() => app.lifecycle.reactivate(customerId, { actor }));
        io.out(`${customerId} is ${status.state}\n`);
        return 0;
      });
    }
    case 'purge-path': {
      const parsed = parse(rest, { wait: { type: 'boolean' } }, ['customer id', 'path']);
      const [customerId, path] = parsed.positionals as [string, string];
      return withApp(config, async (app) => {
        const { jobId } = await refusing(() =>
          app.lifecycle.purgePath(customerId, path, { actor }),
        );
        io.out(`queued job ${jobId}: remove ${path} from ${customerId}'s snapshots\n`);
        return flag(parsed, 'wait') ? runAndFollow(app, jobId, io) : 0;
      });
    }
    case 'purge-due': {
      const parsed = parse(rest, { wait: { type: 'boolean' } });
      return withApp(config, async (app) => {
        const jobs = await app.lifecycle.planPurges();
        io.out(jobs.length === 0 ? 'no purge is due\n' : `queued purge jobs: ${jobs.join(', ')}\n`);
        return flag(parsed, 'wait') ? follow(app, jobs, io) : 0;
      });
    }
    default:
      throw new CliError(`unknown lifecycle command; usage:\n${LIFECYCLE_USAGE}`);
  }
}
