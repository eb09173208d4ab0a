/**
 * The fleet's servers from the command line, the same service as the admin area's Servers page
 * (src/fleet/server-admin.ts), on the store the controllers share:
 *   hostvault fleet enroll-token --server web1 [--ttl-minutes 60]
 *   hostvault fleet servers
 *   hostvault fleet revoke web1
 *   hostvault fleet drain web1 | undrain web1
 *   hostvault fleet move CUSTOMER --to web2      (src/fleet/customer-move.ts)
 *   hostvault fleet recover web1 --to web2       (src/fleet/server-recovery.ts)
 * Revoke rewrites nats-server's authorization file and reloads it, as the controller does: run it
 * with the controller's environment (HOSTVAULT_NATS_AUTH_FILE, HOSTVAULT_NATS_SEED_FILE, ...).
 */
import { join } from 'node:path';
import { openApp } from '../app.js';
import type { Config } from '../config.js';
import { CustomerMove } from '../fleet/customer-move.js';
import { fleetAuthorizationFromEnv } from '../fleet/fleet-authorization.js';
import { ServerAdmin, type ServerView } from '../fleet/server-admin.js';
import { ServerRecords } from '../fleet/server-records.js';
import { ServerRecovery, type RecoveryReport } from '../fleet/server-recovery.js';
import { InventoryService } from '../inventory/inventory-service.js';
import { JobStore } from '../job/job-store.js';
import { openStore, type StoreOptions } from '../store/index.js';

export const FLEET_SERVERS_USAGE = `  fleet enroll-token --server NAME [--ttl-minutes N]
                              make a one-time token for hosting server NAME (shown once); on
                              that server: hostvault agent enroll --controller URL --token T
  fleet servers               list the hosting servers: state, online, versions, jobs
  fleet revoke NAME           take server NAME out of the fleet: its agent is disconnected
                              (needs the controller's HOSTVAULT_NATS_AUTH_FILE settings)
  fleet drain NAME | fleet undrain NAME
                              stop starting new jobs on NAME (queued ones wait), or go on
  fleet move CUSTOMER --to NAME
                              put CUSTOMER on server NAME: its next backup runs there, into the
                              same S3/FTP repository; copy its files there first (hosting panel)
  fleet recover NAME --to NAME2
                              restore every customer of lost server NAME onto NAME2 from their
                              S3/FTP repositories; prints a report per customer
`;

export async function runFleetServersCommand(
  config: Config,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number | undefined> {
  const [sub, ...rest] = args;
  if (
    !['enroll-token', 'servers', 'revoke', 'drain', 'undrain', 'move', 'recover'].includes(
      sub ?? '',
    )
  )
    return undefined;
  const storeOptions: StoreOptions = config.databaseUrl
    ? { url: config.databaseUrl }
    : { file: join(config.dataDir, 'store.db') };
  // The controller's default server takes customers without an enrollment of its own.
  const implicitServers = env.HOSTVAULT_SERVER_ID
    ? [env.HOSTVAULT_SERVER_ID]
    : config.databaseUrl
      ? []
      : ['local'];
  if (sub === 'move') {
    const [customer] = rest;
    const to = option(rest, '--to');
    if (!customer || customer.startsWith('--') || !to) return undefined;
    const store = await openStore(storeOptions);
    try {
      const moves = new CustomerMove({
        store,
        records: new ServerRecords(store),
        inventory: new InventoryService({ store }),
        implicitServers,
      });
      const moved = await moves.move(customer, to);
      out(`moved customer ${moved.customer} from ${moved.from} to ${moved.to}\n`);
      return 0;
    } finally {
      await store.close();
    }
  }
  if (sub === 'recover') {
    const [from] = rest;
    const to = option(rest, '--to');
    if (!from || from.startsWith('--') || !to) return undefined;
    // The restore service unseals targets: the whole app (master key), not only the store. The
    // controllers' workers run the queued restores; this process only queues them.
    const app = await openApp(config, {
      log: (line) => process.stderr.write(`hostvault: ${line}\n`),
      store: storeOptions,
    });
    try {
      const records = new ServerRecords(app.store);
      const moves = new CustomerMove({
        store: app.store,
        records,
        inventory: app.inventory,
        implicitServers,
      });
      const recovery = new ServerRecovery({
        store: app.store,
        records,
        inventory: app.inventory,
        moves,
        restores: app.restores,
      });
      const report = await recovery.recover(from, to);
      out(formatRecovery(report));
      return report.customers.some((c) => c.status === 'skipped' || c.failed.length > 0) ? 1 : 0;
    } finally {
      await app.close();
    }
  }
  const store = await openStore(storeOptions);
  try {
    const records = new ServerRecords(store);
    const jobs = new JobStore(store);
    const authorization =
      sub === 'revoke' ? await fleetAuthorizationFromEnv(records, env) : undefined;
    const admin = new ServerAdmin({
      records,
      activeJobs: () => jobs.activeByServer(),
      ...(authorization ? { authorization } : {}),
    });
    switch (sub) {
      case 'enroll-token': {
        const server = option(rest, '--server');
        if (!server) return undefined;
        const ttl = option(rest, '--ttl-minutes');
        const ttlMinutes = ttl === undefined ? undefined : Number(ttl);
        if (ttlMinutes !== undefined && !(Number.isInteger(ttlMinutes) && ttlMinutes > 0))
          throw new Error('--ttl-minutes must be a whole number of minutes');
        const made = await admin.createEnrollment({
          server,
          createdBy: 'cli',
          ...(ttlMinutes ? { ttlMs: ttlMinutes * 60_000 } : {}),
        });
        out(`${made.token}\n`);
        process.stderr.write(
          `# one-time token for server ${made.server}, valid until ${made.expiresAt}; on that server:\n` +
            `#   hostvault agent enroll --controller <controller URL> --token <token>\n`,
        );
        return 0;
      }
      case 'servers': {
        out(formatServers(await admin.list()));
        return 0;
      }
      case 'revoke':
      case 'drain':
      case 'undrain': {
        const [name] = rest;
        if (!name) return undefined;
        const view =
          sub === 'revoke' ? await admin.revoke(name) : await admin.drain(name, sub === 'drain');
        out(formatServers([view]));
        return 0;
      }
    }
    return undefined;
  } finally {
    await store.close();
  }
}

function formatServers(servers: ServerView[]): string {
  if (servers.length === 0) return 'no servers\n';
  const rows = servers.map((s) => [
    s.id,
    // Unsealed: its requests, passwords included, wait in NATS in plain text (enroll it again).
    s.sealed || s.state === 'revoked' || s.state === 'awaiting' ? s.state : `${s.state}, unsealed`,
    s.online ? 'online' : 'offline',
    s.lastSeenAt ?? '-',
    s.resticVersion ?? '-',
    s.mariadbVersion ?? '-',
    s.freeBytes === null ? '-' : `${Math.round(s.freeBytes / 2 ** 30)} GiB`,
    `${s.runningJobs} running, ${s.queuedJobs} queued`,
  ]);
  const head = ['SERVER', 'STATE', 'AGENT', 'LAST HEARD', 'RESTIC', 'MARIADB', 'FREE', 'JOBS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

function formatRecovery(report: RecoveryReport): string {
  const lines = [`recovery of server ${report.from} onto ${report.to}:`];
  if (report.customers.length === 0) lines.push('  no customers');
  for (const c of report.customers) {
    if (c.status === 'skipped') {
      lines.push(`  ${c.customer}: skipped: ${c.reason?.message ?? ''}`);
      continue;
    }
    const jobs = c.restores.map(
      (r) => `job ${r.jobId} (${r.what} from ${r.snapshotId.slice(0, 8)})`,
    );
    lines.push(`  ${c.customer}: moved; restores queued: ${jobs.join(', ') || 'none'}`);
    for (const f of c.failed)
      lines.push(`    not queued: ${f.what} from ${f.snapshotId.slice(0, 8)}: ${f.message}`);
  }
  return `${lines.join('\n')}\n`;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}
