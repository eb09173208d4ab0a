/**
 * The schedule form, for New Schedule and for Edit: only the frequencies and retention the
 * package allows are offered, and every field error the API names shows next to its field.
 */
import {
  Alert,
  Button,
  Checkbox,
  Group,
  Modal,
  PasswordInput,
  SegmentedControl,
  NativeSelect,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Input,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../../api/client';
import { api } from '../../api/endpoints';
import type { FieldError, Frequency, PackageInfo, Schedule, TargetKind } from '../../api/types';
import { NumberField } from '../../components/NumberField';
import { messageOf } from '../../components/states';
import { TargetTestResult } from '../../components/TargetTestResult';
import { formatHour, localTimeOfUtcHour } from '../../lib/format';
import { m } from '../../messages';

export const SCOPES = ['full', 'web', 'databases', 'email', 'ssl', 'config'] as const;
export const FREQUENCIES: Frequency[] = ['hourly', 'daily', 'weekly', 'monthly'];
const MASK = '********';

interface Values {
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
}

const str = (value: unknown, fallback = ''): string =>
  typeof value === 'string' ? value : fallback;
const num = (value: unknown, fallback: number): number =>
  typeof value === 'number' ? value : fallback;

function initialValues(schedule: Schedule | undefined, limits: PackageInfo | undefined): Values {
  const t = schedule?.target ?? { kind: 'local' as const };
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
  };
}

/** The request body, in the API's field names (see src/schedule/schedule-schema.ts). */
function bodyOf(v: Values, admin: boolean): Record<string, unknown> & { target: unknown } {
  const target =
    v.targetKind === 'local'
      ? admin
        ? { kind: 'local', path: v.localPath.trim() }
        : { kind: 'local' }
      : v.targetKind === 's3'
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
  return {
    name: v.name,
    scope: v.scope,
    frequency: v.frequency === '' ? undefined : v.frequency,
    hour: v.hour,
    day: v.frequency === 'weekly' ? v.weekday : v.frequency === 'monthly' ? v.monthDay : null,
    retention: v.retention === '' ? undefined : v.retention,
    enabled: v.enabled,
    target,
  };
}

/** Fields the form shows an error next to; others go into the form's own alert. */
const FORM_FIELDS = new Set([
  'name',
  'scope',
  'frequency',
  'hour',
  'day',
  'retention',
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
]);

export interface ScheduleFormProps {
  opened: boolean;
  onClose: () => void;
  schedule?: Schedule;
  limits?: PackageInfo;
  /** Administrators choose the local directory; customers always use the provider's. */
  admin?: boolean;
  title?: string;
  /** Extra fields above the form (the admin's "Back up" choice). */
  extra?: ReactNode;
  submit: (body: Record<string, unknown>) => Promise<Schedule>;
  onSaved: (schedule: Schedule) => void;
}

export function ScheduleForm(props: ScheduleFormProps) {
  // Remounted for each opening, so the values start from the schedule being edited.
  return (
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      title={
        props.title ??
        (props.schedule ? m.scheduleForm.editTitle(props.schedule.name) : m.scheduleForm.newTitle)
      }
      size="lg"
    >
      {props.opened && <FormBody {...props} />}
    </Modal>
  );
}

function FormBody({
  schedule,
  limits,
  admin = false,
  extra,
  title,
  submit,
  onSaved,
  onClose,
}: ScheduleFormProps) {
  const [initial] = useState<Values>(() => initialValues(schedule, limits));
  const [values, setValues] = useState<Values>(initial);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: () => submit(bodyOf(values, admin)),
    onSuccess: (saved) => onSaved(saved),
    onError: (error) => {
      const next: Record<string, string> = {};
      if (error instanceof ApiError)
        for (const f of error.fields) next[f.field] = next[f.field] ?? f.message;
      setFieldErrors(next);
    },
  });

  const set = <K extends keyof Values>(key: K, value: Values[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    clear(fieldKey(key));
  };
  const clear = (field: string) =>
    setFieldErrors((e) => {
      const { [field]: _drop, ...rest } = e;
      return rest;
    });
  const setS3 = (key: keyof Values['s3'], value: string | boolean) => {
    setValues((v) => {
      const s3 = { ...v.s3, [key]: value };
      return {
        ...v,
        s3: { ...s3, secretAccessKey: keptSecret(s3, initial.s3, S3_ACCOUNT, 'secretAccessKey') },
      };
    });
    clear(`target.${key}`);
  };
  const setFtp = (key: keyof Values['ftp'], value: string | number | boolean) => {
    setValues((v) => {
      const ftp = { ...v.ftp, [key]: value };
      return {
        ...v,
        ftp: { ...ftp, password: keptSecret(ftp, initial.ftp, FTP_ACCOUNT, 'password') },
      };
    });
    clear(`target.${key}`);
  };
  /** The stored secret was shown masked and the login it belongs to has changed since. */
  const asksAgain = (secret: string, stored: string) => stored === MASK && secret !== MASK;
  const err = (field: string) => fieldErrors[field];

  const allowed = limits?.frequencies ?? FREQUENCIES;
  const maxRetention = limits && limits.maxRetention > 0 ? limits.maxRetention : null;
  const otherErrors =
    save.error instanceof ApiError
      ? save.error.fields.filter((f: FieldError) => !FORM_FIELDS.has(f.field))
      : [];
  const editing = schedule !== undefined;

  const test = useMutation({
    mutationFn: () => api.testTarget(bodyOf(values, admin).target, schedule?.id),
    onError: (error) => {
      if (error instanceof ApiError)
        setFieldErrors((e) => {
          const next = { ...e };
          for (const f of error.fields) next[f.field] = f.message;
          return next;
        });
    },
  });
  const testable = values.targetKind !== 'local' || admin;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={
        title ?? (schedule ? m.scheduleForm.editTitle(schedule.name) : m.scheduleForm.newTitle)
      }
    >
      <Stack gap="md">
        {extra}
        <TextInput
          label={m.scheduleForm.name}
          description={m.scheduleForm.nameDescription}
          value={values.name}
          onChange={(e) => set('name', e.currentTarget.value)}
          error={err('name')}
          required
          maxLength={100}
          data-autofocus
        />
        <NativeSelect
          label={m.scheduleForm.scope}
          description={m.scheduleForm.scopeDescription}
          data={SCOPES.map((s) => ({
            value: s,
            label: `${m.scope[s]}: ${m.scopeDescription[s]}`,
          }))}
          value={values.scope}
          onChange={(e) => set('scope', e.currentTarget.value)}
          error={err('scope')}
          required
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <NativeSelect
            label={m.scheduleForm.frequency}
            description={
              (values.frequency && m.frequencyDescription[values.frequency]) ||
              m.scheduleForm.frequencyDescription
            }
            data={FREQUENCIES.map((f) => ({
              value: f,
              label: allowed.includes(f)
                ? (m.frequency[f] ?? f)
                : m.scheduleForm.notInPackage(m.frequency[f] ?? f),
              disabled: !allowed.includes(f),
            }))}
            value={values.frequency}
            onChange={(e) => set('frequency', e.currentTarget.value as Frequency)}
            error={err('frequency')}
            required
          />
          <NativeSelect
            label={m.scheduleForm.hour}
            description={m.scheduleForm.hourDescription(localTimeOfUtcHour(values.hour))}
            data={Array.from({ length: 24 }, (_, h) => ({
              value: String(h),
              label: formatHour(h),
            }))}
            value={String(values.hour)}
            onChange={(e) => set('hour', Number(e.currentTarget.value))}
            error={err('hour')}
            disabled={values.frequency === 'hourly'}
          />
        </SimpleGrid>
        {values.frequency === 'weekly' && (
          <NativeSelect
            label={m.scheduleForm.weekday}
            data={m.weekdays.map((d, i) => ({ value: String(i), label: d }))}
            value={String(values.weekday)}
            onChange={(e) => set('weekday', Number(e.currentTarget.value))}
            error={err('day')}
          />
        )}
        {values.frequency === 'monthly' && (
          <NumberField
            label={m.scheduleForm.monthDay}
            description={m.scheduleForm.monthDayDescription}
            min={1}
            max={31}
            value={values.monthDay}
            onChange={(v) => set('monthDay', v === '' ? 1 : v)}
            error={err('day')}
          />
        )}
        <NumberField
          label={m.scheduleForm.retention}
          description={m.scheduleForm.retentionDescription(maxRetention)}
          min={1}
          max={maxRetention ?? undefined}
          value={values.retention}
          onChange={(v) => set('retention', v)}
          error={err('retention')}
          required
        />
        <Input.Wrapper
          label={m.scheduleForm.target}
          description={m.scheduleForm.targetDescription}
          error={err('target') ?? err('target.kind')}
          id="target-kind"
        >
          <SegmentedControl
            mt={4}
            fullWidth
            value={values.targetKind}
            onChange={(v) => set('targetKind', v as TargetKind)}
            data={(['local', 's3', 'ftp'] as const).map((k) => ({ value: k, label: m.target[k] }))}
            aria-labelledby="target-kind-label"
          />
        </Input.Wrapper>
        {values.targetKind === 'local' &&
          (admin ? (
            <TextInput
              label={m.scheduleForm.localPath}
              value={values.localPath}
              onChange={(e) => set('localPath', e.currentTarget.value)}
              error={err('target.path')}
              required
            />
          ) : (
            <Text size="sm" c="dimmed">
              {m.scheduleForm.localHint}
            </Text>
          ))}
        {values.targetKind === 's3' && (
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label={m.scheduleForm.s3.endpoint}
              placeholder={m.scheduleForm.s3.endpointPlaceholder}
              value={values.s3.endpoint}
              onChange={(e) => setS3('endpoint', e.currentTarget.value)}
              error={err('target.endpoint')}
              required
            />
            <TextInput
              label={m.scheduleForm.s3.region}
              value={values.s3.region}
              onChange={(e) => setS3('region', e.currentTarget.value)}
              error={err('target.region')}
            />
            <TextInput
              label={m.scheduleForm.s3.bucket}
              value={values.s3.bucket}
              onChange={(e) => setS3('bucket', e.currentTarget.value)}
              error={err('target.bucket')}
              required
            />
            <TextInput
              label={m.scheduleForm.s3.prefix}
              value={values.s3.prefix}
              onChange={(e) => setS3('prefix', e.currentTarget.value)}
              error={err('target.prefix')}
            />
            <TextInput
              label={m.scheduleForm.s3.accessKeyId}
              value={values.s3.accessKeyId}
              onChange={(e) => setS3('accessKeyId', e.currentTarget.value)}
              error={err('target.accessKeyId')}
              autoComplete="off"
              required
            />
            <PasswordInput
              visibilityToggleButtonProps={{ 'aria-label': m.common.togglePassword }}
              label={m.scheduleForm.s3.secretAccessKey}
              description={
                values.s3.secretAccessKey === MASK
                  ? m.scheduleForm.secretKept
                  : asksAgain(values.s3.secretAccessKey, initial.s3.secretAccessKey)
                    ? m.scheduleForm.secretKeyAgain
                    : undefined
              }
              value={values.s3.secretAccessKey}
              onChange={(e) => setS3('secretAccessKey', e.currentTarget.value)}
              error={err('target.secretAccessKey')}
              autoComplete="new-password"
              required
            />
            <Checkbox
              label={m.scheduleForm.s3.pathStyle}
              checked={values.s3.pathStyle}
              onChange={(e) => setS3('pathStyle', e.currentTarget.checked)}
            />
          </SimpleGrid>
        )}
        {values.targetKind === 'ftp' && (
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label={m.scheduleForm.ftp.host}
              value={values.ftp.host}
              onChange={(e) => setFtp('host', e.currentTarget.value)}
              error={err('target.host')}
              required
            />
            <NumberField
              label={m.scheduleForm.ftp.port}
              min={1}
              max={65535}
              value={values.ftp.port}
              onChange={(v) => setFtp('port', v)}
              error={err('target.port')}
            />
            <TextInput
              label={m.scheduleForm.ftp.user}
              value={values.ftp.user}
              onChange={(e) => setFtp('user', e.currentTarget.value)}
              error={err('target.user')}
              autoComplete="off"
              required
            />
            <PasswordInput
              visibilityToggleButtonProps={{ 'aria-label': m.common.togglePassword }}
              label={m.scheduleForm.ftp.password}
              description={
                values.ftp.password === MASK
                  ? m.scheduleForm.secretKept
                  : asksAgain(values.ftp.password, initial.ftp.password)
                    ? m.scheduleForm.passwordAgain
                    : undefined
              }
              value={values.ftp.password}
              onChange={(e) => setFtp('password', e.currentTarget.value)}
              error={err('target.password')}
              autoComplete="new-password"
              required
            />
            <TextInput
              label={m.scheduleForm.ftp.baseDir}
              value={values.ftp.baseDir}
              onChange={(e) => setFtp('baseDir', e.currentTarget.value)}
              error={err('target.baseDir')}
            />
            <NumberField
              label={m.scheduleForm.ftp.connections}
              min={1}
              max={16}
              value={values.ftp.connections}
              onChange={(v) => setFtp('connections', v)}
              error={err('target.connections')}
            />
            <Checkbox
              label={m.scheduleForm.ftp.explicitTls}
              checked={values.ftp.explicitTls}
              onChange={(e) => setFtp('explicitTls', e.currentTarget.checked)}
            />
          </SimpleGrid>
        )}
        {testable && (
          <Stack gap="xs" align="flex-start">
            <Button
              variant="default"
              size="xs"
              onClick={() => test.mutate()}
              loading={test.isPending}
            >
              {m.scheduleForm.testConnection}
            </Button>
            {test.data && <TargetTestResult result={test.data} />}
            {test.error && (
              <Text size="sm" c="red" role="alert">
                {m.scheduleForm.testError(messageOf(test.error))}
              </Text>
            )}
          </Stack>
        )}
        {editing && (
          <Checkbox
            label={m.scheduleForm.enabled}
            checked={values.enabled}
            onChange={(e) => set('enabled', e.currentTarget.checked)}
          />
        )}
        {save.error && (
          <Alert color="red" variant="light" role="alert">
            <Text size="sm">{messageOf(save.error)}</Text>
            {otherErrors.map((f) => (
              <Text size="sm" key={f.field}>
                {f.message}
              </Text>
            ))}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {m.common.cancel}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {editing ? m.scheduleForm.save : m.scheduleForm.create}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/**
 * The fields that say which login a stored secret belongs to (as the server decides in
 * src/target/masked-secret.ts): change one and the masked secret is cleared, so the form asks
 * for it again rather than the server refusing the save.
 */
const FTP_ACCOUNT = ['host', 'port', 'user', 'explicitTls'] as const;
const S3_ACCOUNT = ['endpoint', 'bucket', 'accessKeyId', 'pathStyle'] as const;

/** The secret field after an edit: cleared when the login changed, the mask again when it is back. */
function keptSecret<T extends Record<string, unknown>>(
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

function fieldKey(key: keyof Values): string {
  if (key === 'weekday' || key === 'monthDay') return 'day';
  if (key === 'targetKind') return 'target.kind';
  return key;
}
