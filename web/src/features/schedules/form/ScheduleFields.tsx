/** The schedule form's first section: what is backed up, when, and how many snapshots are kept. */
import { NativeSelect, SimpleGrid, TextInput } from '@mantine/core';
import type { Frequency } from '../../../api/types';
import { NumberField } from '../../../components/NumberField';
import { formatHour, localTimeOfUtcHour } from '../../../lib/format';
import { m } from '../../../messages';
import { FREQUENCIES, SCOPES, type ErrorOf, type SetValue, type Values } from './values';

export function ScheduleFields({
  values,
  set,
  err,
  allowed,
  maxRetention,
}: {
  values: Values;
  set: SetValue;
  err: ErrorOf;
  /** The frequencies the package allows; the others are shown, disabled. */
  allowed: Frequency[];
  /** The package's most snapshots kept, or null for no limit. */
  maxRetention: number | null;
}) {
  return (
    <>
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
          // Hourly backups have no hour: the field says so instead of explaining one.
          description={
            values.frequency === 'hourly'
              ? m.scheduleForm.hourUnused
              : m.scheduleForm.hourDescription(localTimeOfUtcHour(values.hour))
          }
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
    </>
  );
}
