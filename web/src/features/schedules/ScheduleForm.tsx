/**
 * The schedule form, for New Schedule and for Edit: only the frequencies and retention the
 * package allows are offered, and every field error the API names shows next to its field.
 * Its sections live in ./form: what and when, the target, and the values behind them.
 */
import { Alert, Button, Checkbox, Group, Modal, Stack, Text } from '@mantine/core';
import { useMutation } from '../../api/mutation';
import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, type FieldError } from '../../api/client';
import { api } from '../../api/endpoints';
import type { PackageInfo, Schedule } from '../../api/types';
import { messageOf } from '../../components/states';
import { m } from '../../messages';
import { CopyFields } from './form/CopyFields';
import { ScheduleFields } from './form/ScheduleFields';
import { TargetFields } from './form/TargetFields';
import {
  bodyOf,
  copyBodyOf,
  fieldKey,
  FORM_FIELDS,
  FREQUENCIES,
  FTP_ACCOUNT,
  initialValues,
  keptSecret,
  S3_ACCOUNT,
  VAULT_ACCOUNT,
  type CopyValues,
  type ErrorOf,
  type SetValue,
  type Values,
} from './form/values';

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

/** The fields whose number could not be read, by the API's field names. */
function unreadableNumbers(v: Values): string[] {
  const nan = (n: number | '') => typeof n === 'number' && Number.isNaN(n);
  const fields: string[] = [];
  if (nan(v.retention)) fields.push('retention');
  if (v.frequency === 'monthly' && nan(v.monthDay)) fields.push('day');
  if (v.targetKind === 'ftp') {
    if (nan(v.ftp.port)) fields.push('target.port');
    if (nan(v.ftp.connections)) fields.push('target.connections');
  }
  if (v.copy.kind !== 'none' && nan(v.copy.retention)) fields.push('copy.retention');
  if (v.copy.kind === 'ftp') {
    if (nan(v.copy.ftp.port)) fields.push('copy.target.port');
    if (nan(v.copy.ftp.connections)) fields.push('copy.target.connections');
  }
  return fields;
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
  const [unsent, setUnsent] = useState(false);
  // A new schedule whose second copy was refused is saved already: the next try edits it.
  const [created, setCreated] = useState<Schedule | undefined>(undefined);
  const save = useMutation({
    mutationFn: async () => {
      const saved = created
        ? await api.updateSchedule(created.id, bodyOf(values, admin))
        : await submit(bodyOf(values, admin));
      const copy = copyBodyOf(values, initial, admin);
      if (!copy) return saved;
      try {
        return await api.setScheduleCopy(saved.id, copy);
      } catch (error) {
        if (!schedule) setCreated(saved);
        // The second copy's fields are named as the form names them.
        throw error instanceof ApiError
          ? new ApiError(
              error.status,
              error.message,
              error.fields.map((f) => ({ ...f, field: `copy.${f.field}` })),
              error.code,
              error.params,
            )
          : error;
      }
    },
    onSuccess: (saved) => onSaved(saved),
    onError: (error) => {
      const next: Record<string, string> = {};
      if (error instanceof ApiError)
        for (const f of error.fields) next[f.field] = next[f.field] ?? f.message;
      setFieldErrors(next);
    },
  });

  const set: SetValue = (key, value) => {
    setValues((v) => ({ ...v, [key]: value }));
    clear(fieldKey(key));
  };
  const clear = (field: string) => {
    setUnsent(false);
    setFieldErrors((e) => {
      const { [field]: _drop, ...rest } = e;
      return rest;
    });
  };
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
  const setVault = (key: keyof Values['vault'], value: string) => {
    setValues((v) => {
      const vault = { ...v.vault, [key]: value };
      return {
        ...v,
        vault: { ...vault, password: keptSecret(vault, initial.vault, VAULT_ACCOUNT, 'password') },
      };
    });
    clear(`target.${key}`);
  };
  const setCopy = (next: Partial<CopyValues>, field?: string) => {
    setValues((v) => {
      const copy = { ...v.copy, ...next };
      const kept = initial.copy.kind === copy.kind;
      return {
        ...v,
        copy: {
          ...copy,
          s3: {
            ...copy.s3,
            secretAccessKey: kept
              ? keptSecret(copy.s3, initial.copy.s3, S3_ACCOUNT, 'secretAccessKey')
              : copy.s3.secretAccessKey,
          },
          ftp: {
            ...copy.ftp,
            password: kept
              ? keptSecret(copy.ftp, initial.copy.ftp, FTP_ACCOUNT, 'password')
              : copy.ftp.password,
          },
        },
      };
    });
    if (field) clear(`copy.${field}`);
  };
  const err: ErrorOf = (field) => fieldErrors[field];

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

  // Numbers the fields could not read ("2.5" as a retention) are refused here, before anything
  // is sent: the field stays as typed and marked, and the form says why it did not go.
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const unreadable = unreadableNumbers(values);
    if (unreadable.length > 0) {
      setUnsent(true);
      setFieldErrors((e) => {
        const next = { ...e };
        for (const field of unreadable) next[field] = m.errors.wholeNumber;
        return next;
      });
      return;
    }
    setUnsent(false);
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
        <ScheduleFields
          values={values}
          set={set}
          err={err}
          allowed={allowed}
          maxRetention={maxRetention}
        />
        <TargetFields
          values={values}
          initial={initial}
          set={set}
          setS3={setS3}
          setFtp={setFtp}
          setVault={setVault}
          err={err}
          admin={admin}
          test={test}
        />
        <CopyFields
          values={values}
          initial={initial}
          setCopy={setCopy}
          err={err}
          admin={admin}
          maxRetention={maxRetention}
        />
        {editing && (
          <Checkbox
            label={m.scheduleForm.enabled}
            checked={values.enabled}
            onChange={(e) => set('enabled', e.currentTarget.checked)}
          />
        )}
        {unsent && (
          <Alert color="red" variant="light" role="alert">
            <Text size="sm">{m.errors.checkFields}</Text>
          </Alert>
        )}
        {save.error && !unsent && (
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
