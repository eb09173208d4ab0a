/** The schedule form's values: from a schedule, to the request body, and kept secrets. */
import type { Frequency, PackageInfo, Schedule, TargetKind } from '../../../api/types';

export const SCOPES = ['full', 'web', 'databases', 'email', 'ssl', 'config'] as const;
export const FREQUENCIES: Frequency[] = ['hourly', 'daily', 'weekly', 'monthly'];
export const MASK = '********';

export interface Values {
  name: string;
  scope: string;
  frequency: Frequency | '';
  hour: number;
  weekday: number;
  monthDay: number;
  retention: number | '';
  enabled: boolean;
  targetKind: TargetKind;
  localPath: string;
  s3: {
    endpoint: string;
    region: string;
    bucket: string;
    prefix: string;
    accessKeyId: string;
    secretAccessKey: string;
    pathStyle: boolean;
  };
  ftp: {
    host: string;
    port: number | '';
    user: string;
    password: string;
    baseDir: string;
    explicitTls: boolean;
    connections: number | '';
  };
  vault: {
    url: string;
    user: string;
    password: string;
    caCert: string;
  };
  /** The second copy (3-2-1): `none`, or the kind of its target with that target's fields. */
  copy: CopyValues;
}

/** What the form's "Second copy" section holds; sent apart (PUT /api/schedules/:id/copy). */
export interface CopyValues {
  kind: 'none' | TargetKind;
  localPath: string;
  s3: Values['s3'];
  ftp: Values['ftp'];
  /** Snapshots the second copy keeps; empty: as many as the schedule. */
  retention: number | '';
}

const str = (value: unknown, fallback = ''): string =>
  typeof value === 'string' ? value : fallback;
const num = (value: unknown, fallback: number): number =>
  typeof value === 'number' ? value : fallback;

export function initialValues(
  schedule: Schedule | undefined,
  limits: PackageInfo | undefined,
): Values {
  const t = schedule?.target ?? { kind: 'local' as const, path: '' };
  const firstAllowed =
    FREQUENCIES.find((f) => f === 'daily' && (limits?.frequencies ?? []).includes(f)) ??
    limits?.frequencies[0] ??
    '';
  const defaultRetention = limits && limits.maxRetention > 0 ? Math.min(7, limits.maxRetention) : 7;
  return {
    name: schedule?.name ?? '',
    scope: schedule?.scope ?? 'full',
    frequency: schedule?.frequency ?? firstAllowed,
    hour: schedule?.hour ?? 2,
    weekday: schedule?.frequency === 'weekly' ? (schedule.day ?? 0) : 0,
    monthDay: schedule?.frequency === 'monthly' ? (schedule.day ?? 1) : 1,
    retention: schedule?.retention ?? defaultRetention,
    enabled: schedule?.enabled ?? true,
    targetKind: t.kind,
    ...targetParts(t),
    copy: copyValues(schedule),
  };
}

/** A target's fields as the form holds them; those of other kinds empty. */
function targetParts(t: NonNullable<Schedule['copy']>['target']) {
  return {
    localPath: t.kind === 'local' ? str(t.path) : '',
    s3: {
      endpoint: t.kind === 's3' ? str(t.endpoint) : '',
      region: t.kind === 's3' ? str(t.region) : '',
      bucket: t.kind === 's3' ? str(t.bucket) : '',
      prefix: t.kind === 's3' ? str(t.prefix) : '',
      accessKeyId: t.kind === 's3' ? str(t.accessKeyId) : '',
      secretAccessKey: t.kind === 's3' ? str(t.secretAccessKey) : '',
      pathStyle: t.kind === 's3' ? t.pathStyle === true : false,
    },
    ftp: {
      host: t.kind === 'ftp' ? str(t.host) : '',
      port: t.kind === 'ftp' ? num(t.port, 21) : 21,
      user: t.kind === 'ftp' ? str(t.user) : '',
      password: t.kind === 'ftp' ? str(t.password) : '',
      baseDir: t.kind === 'ftp' ? str(t.baseDir) : '',
      explicitTls: t.kind === 'ftp' ? t.explicitTls === true : false,
      connections: t.kind === 'ftp' ? num(t.connections, 2) : 2,
    },
    vault: {
      url: t.kind === 'vault' ? str(t.url) : '',
      user: t.kind === 'vault' ? str(t.user) : '',
      password: t.kind === 'vault' ? str(t.password) : '',
      caCert: t.kind === 'vault' ? str(t.caCert) : '',
    },
  };
}

function copyValues(schedule: Schedule | undefined): CopyValues {
  const copy = schedule?.copy;
  const parts = targetParts(copy?.target ?? { kind: 'local', path: '' });
  return {
    kind: copy ? copy.target.kind : 'none',
    localPath: parts.localPath,
    s3: parts.s3,
    ftp: parts.ftp,
    retention: copy ? copy.retention : '',
  };
}

/** The request body, in the API's field names (see src/schedule/schedule-schema.ts). */
export function bodyOf(v: Values, admin: boolean): Record<string, unknown> & { target: unknown } {
  return {
    name: v.name,
    scope: v.scope,
    frequency: v.frequency === '' ? undefined : v.frequency,
    hour: v.hour,
    day: v.frequency === 'weekly' ? v.weekday : v.frequency === 'monthly' ? v.monthDay : null,
    retention: v.retention === '' ? undefined : v.retention,
    enabled: v.enabled,
    target: targetBody(v.targetKind, v, admin),
  };
}

/**
 * The second copy's request (src/schedule/schedule-schema.ts, copyInputSchema), or undefined when
 * there is nothing to send: no second copy before and none now.
 */
export function copyBodyOf(
  v: Values,
  initial: Values,
  admin: boolean,
): { target: unknown; retention?: number } | undefined {
  if (v.copy.kind === 'none') return initial.copy.kind === 'none' ? undefined : { target: null };
  // A vault as second copy is set up through the API; the form only keeps or ends it.
  if (v.copy.kind === 'vault') return undefined;
  return {
    target: targetBody(v.copy.kind, v.copy, admin),
    ...(v.copy.retention === '' ? {} : { retention: v.copy.retention }),
  };
}

function targetBody(
  kind: TargetKind,
  v: Pick<Values, 'localPath' | 's3' | 'ftp'> & Partial<Pick<Values, 'vault'>>,
  admin: boolean,
): unknown {
  return kind === 'local'
    ? admin
      ? { kind: 'local', path: v.localPath.trim() }
      : { kind: 'local' }
    : kind === 's3'
      ? {
          kind: 's3',
          endpoint: v.s3.endpoint.trim(),
          region: v.s3.region.trim(),
          bucket: v.s3.bucket.trim(),
          prefix: v.s3.prefix.trim(),
          accessKeyId: v.s3.accessKeyId.trim(),
          secretAccessKey: v.s3.secretAccessKey,
          pathStyle: v.s3.pathStyle,
        }
      : kind === 'vault' && v.vault
        ? {
            kind: 'vault',
            url: v.vault.url.trim(),
            user: v.vault.user.trim(),
            password: v.vault.password,
            ...(v.vault.caCert.trim() ? { caCert: v.vault.caCert } : {}),
          }
        : {
            kind: 'ftp',
            host: v.ftp.host.trim(),
            port: v.ftp.port === '' ? undefined : v.ftp.port,
            user: v.ftp.user.trim(),
            password: v.ftp.password,
            baseDir: v.ftp.baseDir.trim(),
            explicitTls: v.ftp.explicitTls,
            connections: v.ftp.connections === '' ? undefined : v.ftp.connections,
          };
}

/** Fields the form shows an error next to; others go into the form's own alert. */
const TARGET_FIELDS = [
  'target',
  'target.kind',
  'target.path',
  'target.endpoint',
  'target.region',
  'target.bucket',
  'target.prefix',
  'target.accessKeyId',
  'target.secretAccessKey',
  'target.host',
  'target.port',
  'target.user',
  'target.password',
  'target.baseDir',
  'target.connections',
];

export const FORM_FIELDS = new Set([
  'name',
  'scope',
  'frequency',
  'hour',
  'day',
  'retention',
  ...TARGET_FIELDS,
  'target.url',
  'target.caCert',
  // The second copy's target and retention (PUT /api/schedules/:id/copy), beside its own fields.
  ...[...TARGET_FIELDS, 'retention'].map((f) => `copy.${f}`),
]);

/**
 * The fields that say which login a stored secret belongs to (as the server decides in
 * src/target/masked-secret.ts): change one and the masked secret is cleared, so the form asks
 * for it again rather than the server refusing the save.
 */
export const FTP_ACCOUNT = ['host', 'port', 'user', 'explicitTls'] as const;
export const S3_ACCOUNT = ['endpoint', 'bucket', 'accessKeyId', 'pathStyle'] as const;
export const VAULT_ACCOUNT = ['url', 'user'] as const;

/** The secret field after an edit: cleared when the login changed, the mask again when it is back. */
export function keptSecret<T extends Record<string, unknown>>(
  next: T,
  initial: T,
  account: readonly (keyof T)[],
  secret: keyof T,
): string {
  const value = String(next[secret]);
  if (initial[secret] !== MASK) return value;
  const same = account.every((k) => next[k] === initial[k]);
  if (!same && value === MASK) return '';
  if (same && value === '') return MASK;
  return value;
}

export function fieldKey(key: keyof Values): string {
  if (key === 'weekday' || key === 'monthDay') return 'day';
  if (key === 'targetKind') return 'target.kind';
  return key;
}

/** Sets one value and clears the error shown next to its field. */
export type SetValue = <K extends keyof Values>(key: K, value: Values[K]) => void;
/** The error the API named for a field, if any. */
export type ErrorOf = (field: string) => string | undefined;

/** The stored secret was shown masked and the login it belongs to has changed since. */
export const asksAgain = (secret: string, stored: string): boolean =>
  stored === MASK && secret !== MASK;
