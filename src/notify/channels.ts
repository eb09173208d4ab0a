/**
 * Where notifications go: an e-mail through the provider's SMTP server, and a webhook that
 * receives the event as JSON, signed with HMAC-SHA256 when a secret is set.
 */
import { createHmac } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import nodemailer, { type Transporter } from 'nodemailer';
import { bodyOf, type NotifyEvent } from './message.js';
import type { SmtpSettings } from './settings.js';

export interface Channel {
  /** For the log: never holds a secret. */
  readonly name: string;
  send(event: NotifyEvent): Promise<void>;
  /** Secrets the channel holds: removed from any error text before it is logged. */
  readonly secrets: readonly string[];
  close?(): void;
}

/** The webhook's header: `sha256=<hex HMAC-SHA256 of the raw body>`, keyed by the secret. */
export const SIGNATURE_HEADER = 'X-Hostvault-Signature';
export const WEBHOOK_TIMEOUT_MS = 10_000;

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class EmailChannel implements Channel {
  readonly name: string;
  readonly secrets: readonly string[];
  private readonly transport: Transporter;

  constructor(
    smtp: SmtpSettings,
    private readonly from: string,
    private readonly to: readonly string[],
    /** TLS options for the SMTP connection (a private CA); tests use it for self-signed servers. */
    tls?: ConnectionOptions,
  ) {
    this.name = `e-mail to ${to.join(', ')} via ${smtp.host}:${smtp.port}`;
    this.secrets = secretsOf(smtp);
    this.transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: smtp.requireTls,
      ignoreTLS: smtp.ignoreTls,
      auth: smtp.user !== undefined ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      logger: false,
      debug: false,
      ...(tls ? { tls } : {}),
    });
  }

  async send(event: NotifyEvent): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: [...this.to],
      subject: event.text,
      text: bodyOf(event),
      headers: { 'X-Hostvault-Event': event.event },
    });
  }

  close(): void {
    this.transport.close();
  }
}

export class WebhookChannel implements Channel {
  readonly name: string;
  readonly secrets: readonly string[];
  private readonly url: string;
  /** `https://user:pass@host/…` signs in with HTTP Basic (fetch refuses credentials in a URL). */
  private readonly authorization: string | undefined;

  constructor(
    url: string,
    private readonly secret: string | undefined,
    private readonly timeoutMs = WEBHOOK_TIMEOUT_MS,
  ) {
    const parsed = new URL(url);
    this.authorization =
      parsed.username || parsed.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`
        : undefined;
    const bare = new URL(url);
    bare.username = '';
    bare.password = '';
    this.url = bare.href;
    // The URL may carry credentials (user:pass@ or a token in the query): log only where it goes.
    this.name = `webhook ${parsed.origin}${parsed.pathname}`;
    this.secrets = [
      ...(secret ? [secret] : []),
      ...(parsed.password ? [parsed.password, decodeURIComponent(parsed.password)] : []),
      ...(this.authorization ? [this.authorization.slice('Basic '.length)] : []),
    ];
  }

  async send(event: NotifyEvent): Promise<void> {
    const body = JSON.stringify(event);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'hostvault',
      'x-hostvault-event': event.event,
    };
    if (this.secret) headers[SIGNATURE_HEADER.toLowerCase()] = signBody(this.secret, body);
    if (this.authorization) headers.authorization = this.authorization;
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError')
        throw new Error(`no answer within ${Math.round(this.timeoutMs / 100) / 10} s`);
      throw new Error(describeFetchError(error));
    }
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok)
      throw new Error(
        `answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
      );
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause ? `${error.message}: ${cause}` : error.message;
}

/** The password as it is and as SMTP AUTH PLAIN/LOGIN would carry it (base64). */
function secretsOf(smtp: SmtpSettings): string[] {
  if (!smtp.password) return [];
  const user = smtp.user ?? '';
  return [
    smtp.password,
    Buffer.from(smtp.password).toString('base64'),
    Buffer.from(`\0${user}\0${smtp.password}`).toString('base64'),
  ];
}

/** Replaces every secret in a text before it reaches a log. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join('********');
  }
  return out;
}
