/**
 * `schedules list [--customer ID]`, `schedules create …` and `schedules delete ID`: the admin's
 * view of schedules, a customer's schedule created with admin rights (no package limits) on a
 * local target, and "delete a schedule" through the service the API's route uses.
 */
import type { Config } from '../config.js';
import { describeTiming as describe } from '../notify/message.js';
import { NotFoundError } from '../errors/index.js';
import { ScheduleBusyError } from '../schedule/schedule-deletion.js';
import { ScheduleInputError, type ScheduleView } from '../schedule/schedule-service.js';
import { CliError, flag, id, numberOrText, parse, text } from './args.js';
import { withApp, type Io } from './context.js';
import { clip, formatTable, time } from './format.js';

export async function schedulesList(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, { customer: { type: 'string' } });
  const customerId = text(parsed, 'customer');
  return withApp(config, async (app) => {
    if (customerId !== undefined && !(await app.inventory.getCustomer(customerId)))
      throw new CliError(`--customer: no customer "${customerId}" in the inventory`);
    const list = await app.schedules.list({ role: 'admin' }, { customerId });
    io.out(schedulesTable(list));
    return 0;
  });
}

/** Command-line options for the schedule fields the service validates. */
const OPTION_OF: Record<string, string> = {
  name: '--name',
  scope: '--scope',
  frequency: '--frequency',
  hour: '--hour',
  day: '--day',
  retention: '--retention',
  enabled: '--disabled',
  target: '--target-dir',
};

export async function schedulesCreate(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, {
    customer: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string' },
    frequency: { type: 'string' },
    hour: { type: 'string' },
    day: { type: 'string' },
    retention: { type: 'string' },
    'target-dir': { type: 'string' },
    disabled: { type: 'boolean' },
  });
  const customerId = text(parsed, 'customer');
  if (customerId === undefined)
    throw new CliError('--customer is required: the id of the customer to back up');
  const input = {
    name: text(parsed, 'name'),
    scope: text(parsed, 'scope'),
    frequency: text(parsed, 'frequency'),
    hour: numberOrText(text(parsed, 'hour')),
    day: numberOrText(text(parsed, 'day')),
    retention: numberOrText(text(parsed, 'retention')),
    enabled: parsed.values.disabled !== true,
    target: { kind: 'local', path: text(parsed, 'target-dir') ?? config.localRepositoryDir },
  };
  return withApp(config, async (app) => {
    let created: ScheduleView;
    try {
      created = await app.schedules.create({ role: 'admin' }, customerId, input);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new CliError(`--customer: no customer "${customerId}" in the inventory`);
      if (error instanceof ScheduleInputError) {
        throw new CliError(
          error.fields
            .map((f) => `${OPTION_OF[f.field.split('.')[0] ?? ''] ?? f.field}: ${f.message}`)
            .join('\nhostvault: '),
        );
      }
      throw error;
    }
    io.out(
      `created schedule ${created.id} "${created.name}" for ${created.customerId}: ` +
        `${describe(created)}, keeping ${created.retention} snapshot(s) in ${targetText(created.target)}\n` +
        `next run: ${created.nextRunAt ? `${time(created.nextRunAt)} UTC` : 'never (disabled)'}\n`,
    );
    return 0;
  });
}

export async function schedulesDelete(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, { 'forget-snapshots': { type: 'boolean' } }, ['schedule id']);
  const scheduleId = id(parsed.positionals[0]!, 'schedule id');
  const snapshots = flag(parsed, 'forget-snapshots') ? 'forget' : 'keep';
  return withApp(config, async (app) => {
    let forgotten: number;
    try {
      ({ forgotten } = await app.scheduleDeletion.delete({ role: 'admin' }, scheduleId, snapshots));
    } catch (error) {
      if (error instanceof NotFoundError) throw new CliError(`no schedule ${scheduleId}`);
      if (error instanceof ScheduleBusyError) {
        io.err(`hostvault: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    io.out(
      snapshots === 'forget'
        ? `deleted schedule ${scheduleId} and forgot its ${forgotten} snapshot(s); the weekly prune frees their space\n`
        : `deleted schedule ${scheduleId}; its snapshots stay and can still be browsed and restored\n`,
    );
    return 0;
  });
}

export function schedulesTable(list: readonly ScheduleView[]): string {
  if (list.length === 0)
    return 'no schedules; create one with: hostvault schedules create --customer ID …\n';
  return formatTable(
    ['ID', 'CUSTOMER', 'NAME', 'WHEN', 'KEEP', 'TARGET', 'ENABLED', 'NEXT RUN (UTC)', 'LAST'],
    list.map((s) => [
      String(s.id),
      s.ownerKind === 'server' ? `${s.customerId ?? 'all'} (server-wide)` : (s.customerId ?? '-'),
      clip(s.name, 40),
      describe(s),
      String(s.retention),
      clip(targetText(s.target), 48),
      s.enabled ? 'yes' : 'no',
      time(s.nextRunAt),
      `${s.lastStatus ?? 'never run'}${s.overdue ? ', OVERDUE' : ''}`,
    ]),
  );
}

function targetText(target: Record<string, unknown>): string {
  switch (target.kind) {
    case 'local':
      return `local ${String(target.path)}`;
    case 's3':
      return `s3 ${String(target.endpoint)}/${String(target.bucket)}`;
    case 'ftp':
      return `ftp ${String(target.host)}`;
    case 'vault':
      return `vault ${String(target.url)}`;
    default:
      return String(target.kind);
  }
}

/** `schedules copy ID --target-dir DIR [--retention N]` or `--none`: the second copy. */
export async function schedulesCopy(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(
    args,
    { 'target-dir': { type: 'string' }, retention: { type: 'string' }, none: { type: 'boolean' } },
    ['schedule id'],
  );
  const scheduleId = id(parsed.positionals[0]!, 'schedule id');
  const dir = text(parsed, 'target-dir');
  if (flag(parsed, 'none') === (dir !== undefined))
    throw new CliError('give either --target-dir DIR (the second copy) or --none (no second copy)');
  const input = flag(parsed, 'none')
    ? { target: null }
    : {
        target: { kind: 'local', path: dir },
        retention: numberOrText(text(parsed, 'retention')),
      };
  return withApp(config, async (app) => {
    let saved: ScheduleView;
    try {
      saved = await app.schedules.setCopy({ role: 'admin' }, scheduleId, input);
    } catch (error) {
      if (error instanceof NotFoundError) throw new CliError(`no schedule ${scheduleId}`);
      if (error instanceof ScheduleInputError)
        throw new CliError(
          error.fields
            .map((f) => `${f.field === 'retention' ? '--retention' : '--target-dir'}: ${f.message}`)
            .join('\nhostvault: '),
        );
      throw error;
    }
    io.out(
      saved.copy
        ? `schedule ${saved.id} "${saved.name}": each new backup is copied to ${targetText(saved.copy.target)}, keeping ${saved.copy.retention} snapshot(s) there\n`
        : `schedule ${saved.id} "${saved.name}": no second copy\n`,
    );
    return 0;
  });
}
