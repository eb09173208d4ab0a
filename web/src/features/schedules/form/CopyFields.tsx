/**
 * The schedule form's "Second copy" section (3-2-1, issue 14): another target each new backup is
 * copied to by a job of its own, with its own number of snapshots kept. The target's own fields
 * are those of the first target (S3Fields, FtpFields), inside a group of their own so that each
 * field is named with its section; the service's errors for them arrive as `copy.<field>`.
 */
import { Fieldset, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import type { TargetKind } from '../../../api/types';
import { NumberField } from '../../../components/NumberField';
import { m } from '../../../messages';
import { FtpFields } from './FtpFields';
import { S3Fields } from './S3Fields';
import type { CopyValues, ErrorOf, Values } from './values';

export function CopyFields({
  values,
  initial,
  setCopy,
  err,
  admin,
  maxRetention,
}: {
  values: Values;
  /** As the form opened: tells whether a masked secret was stored. */
  initial: Values;
  setCopy: (next: Partial<CopyValues>, field?: string) => void;
  err: ErrorOf;
  /** Administrators choose the local directory; customers always use the provider's. */
  admin: boolean;
  maxRetention: number | null;
}) {
  const copy = values.copy;
  // A customer's "local" is the provider's storage, the same place as a local first target: it
  // is offered only when the first target is elsewhere. An administrator names a directory.
  const kinds: TargetKind[] = [
    ...(admin || values.targetKind !== 'local' || copy.kind === 'local' ? ['local' as const] : []),
    's3',
    'ftp',
    ...(copy.kind === 'vault' ? ['vault' as const] : []),
  ];
  const copyErr: ErrorOf = (field) => err(`copy.${field}`);
  const s3Initial =
    initial.copy.kind === 's3' ? initial.copy.s3 : { ...copy.s3, secretAccessKey: '' };
  const ftpInitial = initial.copy.kind === 'ftp' ? initial.copy.ftp : { ...copy.ftp, password: '' };
  return (
    <Fieldset
      legend={m.scheduleForm.copy.legend}
      variant="unstyled"
      aria-label={m.scheduleForm.copy.legend}
      // Set apart like a section, its title as strong as the first target's label.
      styles={{ legend: { fontWeight: 600, fontSize: 'var(--mantine-font-size-sm)' } }}
    >
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {m.scheduleForm.copy.description}
        </Text>
        <NativeSelect
          label={m.scheduleForm.copy.target}
          data={[
            { value: 'none', label: m.scheduleForm.copy.none },
            ...kinds.map((k) => ({
              value: k,
              label: k === 'local' && !admin ? m.scheduleForm.copy.providerStorage : m.target[k],
            })),
          ]}
          value={copy.kind}
          onChange={(e) => setCopy({ kind: e.currentTarget.value as CopyValues['kind'] }, 'target')}
          error={copyErr('target') ?? copyErr('target.kind')}
        />
        {copy.kind === 'local' &&
          (admin ? (
            <TextInput
              label={m.scheduleForm.copy.localPath}
              value={copy.localPath}
              onChange={(e) => setCopy({ localPath: e.currentTarget.value }, 'target.path')}
              error={copyErr('target.path')}
              required
            />
          ) : (
            <Text size="sm" c="dimmed">
              {m.scheduleForm.localHint}
            </Text>
          ))}
        {copy.kind === 's3' && (
          <S3Fields
            s3={copy.s3}
            initial={s3Initial}
            setS3={(key, value) => setCopy({ s3: { ...copy.s3, [key]: value } }, `target.${key}`)}
            err={copyErr}
          />
        )}
        {copy.kind === 'ftp' && (
          <FtpFields
            ftp={copy.ftp}
            initial={ftpInitial}
            setFtp={(key, value) =>
              setCopy({ ftp: { ...copy.ftp, [key]: value } }, `target.${key}`)
            }
            err={copyErr}
          />
        )}
        {copy.kind === 'vault' && (
          <Text size="sm" c="dimmed">
            {m.scheduleForm.vault.customerHint}
          </Text>
        )}
        {copy.kind !== 'none' && (
          <NumberField
            label={m.scheduleForm.copy.retention}
            description={m.scheduleForm.copy.retentionDescription(maxRetention)}
            min={1}
            max={maxRetention ?? undefined}
            value={copy.retention}
            onChange={(v) => setCopy({ retention: v }, 'retention')}
            error={copyErr('retention')}
          />
        )}
      </Stack>
    </Fieldset>
  );
}
