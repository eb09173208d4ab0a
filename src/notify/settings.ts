/**
 * Notification settings from the environment. Nothing is sent unless configured: e-mail needs
 * both HOSTVAULT_SMTP_URL and HOSTVAULT_NOTIFY_EMAIL, the webhook needs HOSTVAULT_WEBHOOK_URL.
 */
import { hostname } from 'node:os';

export interface SmtpSettings {
  host: string;
  /** Default 587 for smtp://, 465 for smtps://. */
  port: number;
  /** smtps://: TLS from the first byte. smtp://: STARTTLS when the server offers it. */
  secure: boolean;
  /** smtp://…?starttls=required: refuse to send unless STARTTLS succeeds. */
  requireTls: boolean;
  /** smtp://…?starttls=never: never upgrade (a local relay without certificates). */
  ignoreTls: boolean;
  user?: string;
  /** Never logged, never part of an error message. */
  password?: string;
}

export interface NotifySettings {
  /** HOSTVAULT_SMTP_URL: `smtp://user:pass@host:port` or `smtps://…`; unset = no e-mail. */
  smtp?: SmtpSettings;
  /** HOSTVAULT_SMTP_FROM; default `hostvault@<this host's name>`. */
  from: string;
  /** HOSTVAULT_NOTIFY_EMAIL: the provider's address(es), comma-separated; unset = no e-mail. */
  to: string[];
  /** HOSTVAULT_NOTIFY_ON_SUCCESS=1: also notify on successful backups; default off. */
  onSuccess: boolean;
  /** HOSTVAULT_WEBHOOK_URL: http(s) URL that receives a JSON POST per event; unset = none. */
  webhookUrl?: string;
  /** HOSTVAULT_WEBHOOK_SECRET: HMAC-SHA256 key of the X-Hostvault-Signature header; unset = unsigned. */
  webhookSecret?: string;
}

export class NotifySettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotifySettingsError';
  }
}

export function loadNotifySettings(env: NodeJS.ProcessEnv): NotifySettings {
  const smtp = env.HOSTVAULT_SMTP_URL ? parseSmtpUrl(env.HOSTVAULT_SMTP_URL) : undefined;
  const webhookUrl = env.HOSTVAULT_WEBHOOK_URL || undefined;
  if (webhookUrl !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(webhookUrl).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'http:' && protocol !== 'https:')
      throw new NotifySettingsError('HOSTVAULT_WEBHOOK_URL must be an http:// or https:// URL');
  }
  return {
    smtp,
    from: env.HOSTVAULT_SMTP_FROM || `hostvault@${hostname()}`,
    to: (env.HOSTVAULT_NOTIFY_EMAIL ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
    onSuccess: ['1', 'true', 'yes'].includes((env.HOSTVAULT_NOTIFY_ON_SUCCESS ?? '').toLowerCase()),
    webhookUrl,
    webhookSecret: env.HOSTVAULT_WEBHOOK_SECRET || undefined,
  };
}

/**
 * `smtp://user:pass@host:port` (STARTTLS when offered), `smtps://…` (implicit TLS). User and
 * password are percent-decoded, so a password with `@` or `:` is written `%40`, `%3A`. Errors never
 * repeat the URL: it holds the password.
 */
export function parseSmtpUrl(text: string): SmtpSettings {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new NotifySettingsError(
      'HOSTVAULT_SMTP_URL is not a URL; write it as smtp://user:password@host:port',
    );
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw new NotifySettingsError('HOSTVAULT_SMTP_URL must start with smtp:// or smtps://');
  if (!url.hostname) throw new NotifySettingsError('HOSTVAULT_SMTP_URL names no host');
  const secure = url.protocol === 'smtps:';
  const starttls = url.searchParams.get('starttls') ?? 'auto';
  if (!['auto', 'required', 'never'].includes(starttls))
    throw new NotifySettingsError('HOSTVAULT_SMTP_URL: starttls must be auto, required or never');
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTls: !secure && starttls === 'required',
    ignoreTls: !secure && starttls === 'never',
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}
