/**
 * The service's settings: documented defaults that environment variables override. A config file
 * joins them when the service grows one.
 */
import { DEFAULT_DRILL_POLICY, type DrillPolicy } from './drill/drill-policy.js';
import { DEFAULT_TERMINATED_KEEP_DAYS } from './lifecycle/lifecycle-service.js';
import { join, resolve } from 'node:path';
import { loadNotifySettings, type NotifySettings } from './notify/settings.js';
import { loadProxySettings, type ProxySettings } from './api/proxy-settings.js';
import { parseNetworks, type AddressPolicySettings } from './target/address-policy.js';
import { DEFAULT_LEASE_TTL_MS } from './schedule/planner-lease.js';
import { DEFAULT_JOB_LEASE_MS } from './job/job-store.js';

export interface Config {
  /** Store, cache, certificates and local repositories live here. */
  dataDir: string;
  /** The master key that seals every repository password; kept apart from the store. */
  keyFile: string;
  /** Default local target directory for repositories. */
  localRepositoryDir: string;
  resticBinary: string;
  /** Address and port the HTTP API listens on. */
  listen: { host: string; port: number };
  /** Jobs running at once over all customers. */
  concurrency: number;
  /**
   * Restores one customer may have waiting or running at once; a further request is refused
   * until one has finished (each restore takes a safety snapshot first, so an unlimited queue
   * would fill the repository). HOSTVAULT_RESTORES_PER_CUSTOMER, default 2.
   */
  restoresPerCustomer: number;
  /**
   * Restore drills (src/drill/drill-policy.ts): HOSTVAULT_DRILL_RATE, the share of backups
   * followed by a drill (0 to 1, default 0.03: every 33rd backup of the server; 0: only the weekly ones), and
   * HOSTVAULT_DRILLS_PER_HOUR, the most of those per server and hour (default 4).
   */
  drills?: DrillPolicy;
  /**
   * Days a terminated customer's backups are kept before they are purged (src/lifecycle):
   * HOSTVAULT_TERMINATED_KEEP_DAYS, default 30; 0 purges at the next planning after the final
   * backup.
   */
  terminatedKeepDays: number;
  /**
   * Names this service's MariaDB accounts (src/database/instance.ts); HOSTVAULT_INSTANCE_ID,
   * default: made once and kept in `<dataDir>/instance-id`.
   */
  instanceId?: string;
  /**
   * Notifications of failed (and, if asked, successful) backups and of overdue schedules; see
   * src/notify/settings.ts. HOSTVAULT_SMTP_URL (unset: no e-mail), HOSTVAULT_SMTP_FROM (default
   * hostvault@<host name>), HOSTVAULT_NOTIFY_EMAIL (unset: no e-mail), HOSTVAULT_NOTIFY_ON_SUCCESS
   * (default off), HOSTVAULT_WEBHOOK_URL (unset: no webhook), HOSTVAULT_WEBHOOK_SECRET (unset:
   * unsigned).
   */
  notify: NotifySettings;
  /**
   * Where customers' S3 and FTP targets may point (src/target/address-policy.ts). By default not
   * to loopback, link-local, private (RFC 1918, CGNAT 100.64/10, IPv6 ULA), unspecified,
   * multicast or broadcast addresses, nor to this server's own addresses.
   * HOSTVAULT_TARGET_ALLOW (default empty): addresses and networks allowed all the same, e.g.
   * "127.0.0.1/32,10.0.5.0/24" for a MinIO on this host and a backup network. HOSTVAULT_TARGET_DENY
   * (default empty): further networks never allowed, whatever the allowance says. Targets the
   * provider enters in the admin area are not held to either.
   */
  targetAddresses: AddressPolicySettings;
  /**
   * Reverse proxies in front of the API and the address customers open; see
   * src/api/proxy-settings.ts. HOSTVAULT_TRUST_PROXY (default none: X-Forwarded-* ignored),
   * HOSTVAULT_PUBLIC_URL (unset: signed links are relative, cookies Secure over https only).
   */
  proxy: ProxySettings;
  /**
   * How long the planner lease lasts from each renewal, in ms (src/schedule/planner-lease.ts):
   * with several controllers on one PostgreSQL store, a dead planner is replaced about this long
   * (plus a fifth) after its last renewal. HOSTVAULT_PLANNER_LEASE_MS, default 15000; tests
   * shorten it.
   */
  plannerLeaseMs: number;
  /**
   * HOSTVAULT_JOB_LEASE_MS: how long a worker's claim on a running job holds without renewal
   * (src/job/worker.ts renews it every third of this). A controller that stops renewing (it died)
   * loses its running jobs to another controller after this long. Default 30 s.
   */
  jobLeaseMs: number;
  /**
   * HOSTVAULT_DATABASE_URL: the PostgreSQL store a fleet's controllers share
   * (`postgresql://user@host/db`); unset: SQLite in the data directory. `hostvault serve` always
   * uses SQLite. The fleet's NATS settings are read by the roles that use them
   * (src/fleet/settings.ts), so `serve` never fails on them.
   */
  databaseUrl?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.HOSTVAULT_DATA_DIR ?? '/var/lib/hostvault');
  return {
    dataDir,
    keyFile: resolve(env.HOSTVAULT_KEY_FILE ?? '/etc/hostvault/master.key'),
    localRepositoryDir: resolve(env.HOSTVAULT_LOCAL_REPOSITORIES ?? join(dataDir, 'repositories')),
    resticBinary: env.HOSTVAULT_RESTIC ?? 'restic',
    listen: { host: env.HOSTVAULT_HOST ?? '127.0.0.1', port: Number(env.HOSTVAULT_PORT ?? 8420) },
    concurrency: Number(env.HOSTVAULT_CONCURRENCY ?? 2),
    restoresPerCustomer: positiveInteger(env, 'HOSTVAULT_RESTORES_PER_CUSTOMER', 2),
    instanceId: env.HOSTVAULT_INSTANCE_ID,
    drills: {
      ...DEFAULT_DRILL_POLICY,
      afterBackupRate: fraction(env, 'HOSTVAULT_DRILL_RATE', DEFAULT_DRILL_POLICY.afterBackupRate),
      perServerPerHour: positiveInteger(
        env,
        'HOSTVAULT_DRILLS_PER_HOUR',
        DEFAULT_DRILL_POLICY.perServerPerHour,
      ),
    },
    terminatedKeepDays: wholeNumber(
      env,
      'HOSTVAULT_TERMINATED_KEEP_DAYS',
      DEFAULT_TERMINATED_KEEP_DAYS,
    ),
    notify: loadNotifySettings(env),
    targetAddresses: {
      allow: parseNetworks(env.HOSTVAULT_TARGET_ALLOW, 'HOSTVAULT_TARGET_ALLOW'),
      deny: parseNetworks(env.HOSTVAULT_TARGET_DENY, 'HOSTVAULT_TARGET_DENY'),
    },
    proxy: loadProxySettings(env),
    plannerLeaseMs: positiveInteger(env, 'HOSTVAULT_PLANNER_LEASE_MS', DEFAULT_LEASE_TTL_MS),
    jobLeaseMs: positiveInteger(env, 'HOSTVAULT_JOB_LEASE_MS', DEFAULT_JOB_LEASE_MS),
    databaseUrl: env.HOSTVAULT_DATABASE_URL?.trim() || undefined,
  };
}

function fraction(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!/^\s*[\d.]+\s*$/.test(text) || !(value >= 0 && value <= 1))
    throw new Error(`${name} must be a number from 0 to 1, not "${text}"`);
  return value;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new Error(`${name} must be a whole number of days (0 or more), not "${text}"`);
  return Number(text);
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text)))
    throw new Error(`${name} must be a whole number of at least 1, not "${text}"`);
  return Number(text);
}
