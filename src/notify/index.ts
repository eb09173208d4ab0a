export {
  Notifier,
  channelsFrom,
  OVERDUE_CHECK_INTERVAL_MS,
  type NotifierOptions,
} from './notifier.js';
export {
  EmailChannel,
  WebhookChannel,
  SIGNATURE_HEADER,
  WEBHOOK_TIMEOUT_MS,
  signBody,
  redact,
  type Channel,
} from './channels.js';
export { loadNotifySettings, parseSmtpUrl, NotifySettingsError } from './settings.js';
export type { NotifySettings, SmtpSettings } from './settings.js';
export type { NotifyEvent, NotifyEventName, JobInfo, ScheduleInfo } from './message.js';
