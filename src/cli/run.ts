/** `run <schedule-id> [--wait]`: Run now, as the admin; `--wait` runs the backup here. */
import type { Config } from '../config.js';
import { NotFoundError } from '../errors/index.js';
import { CliError, flag, id, parse } from './args.js';
import { withApp, type Io } from './context.js';
import { runAndFollow } from './wait.js';

export async function runCommand(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, { wait: { type: 'boolean' } }, ['schedule id']);
  const scheduleId = id(parsed.positionals[0]!, 'schedule id');
  return withApp(config, async (app) => {
    const schedule = await app.schedules.get({ role: 'admin' }, scheduleId).catch((error) => {
      if (error instanceof NotFoundError) throw new CliError(`no schedule ${scheduleId}`);
      throw error;
    });
    const { jobId, alreadyRunning } = await app.schedules.runNow({ role: 'admin' }, scheduleId);
    io.out(
      alreadyRunning
        ? `schedule ${scheduleId} "${schedule.name}" is already running as job ${jobId}\n`
        : `queued backup job ${jobId} of schedule ${scheduleId} "${schedule.name}"\n`,
    );
    if (!flag(parsed, 'wait')) {
      io.out(`follow it with: hostvault jobs show ${jobId}\n`);
      return 0;
    }
    return runAndFollow(app, jobId, io);
  });
}
