/**
 * The service's settings: documented defaults that environment variables override. A config file
 * joins them when the service grows one.
 */
import { join, resolve } from 'node:path';
import { loadNotifySettings, type NotifySettings } from './notify/settings.js';

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
    instanceId: env.HOSTVAULT_INSTANCE_ID,
    notify: loadNotifySettings(env),
  };
}
