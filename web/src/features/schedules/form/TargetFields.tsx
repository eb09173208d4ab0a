/**
 * The schedule form's target section: where the backups go (local, S3, FTP, a vault), that target's
 * fields, and Test connection.
 */
import { Button, Input, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import type { UseMutationResult } from '@tanstack/react-query';
import type { TargetKind, TargetTest } from '../../../api/types';
import { messageOf } from '../../../components/states';
import { TargetTestResult } from '../../../components/TargetTestResult';
import { m } from '../../../messages';
import { FtpFields } from './FtpFields';
import { S3Fields } from './S3Fields';
import { VaultFields } from './VaultFields';
import type { ErrorOf, SetValue, Values } from './values';

export function TargetFields({
  values,
  initial,
  set,
  setS3,
  setFtp,
  setVault,
  err,
  admin,
  test,
}: {
  values: Values;
  /** As the form opened: tells whether a masked secret was stored. */
  initial: Values;
  set: SetValue;
  setS3: (key: keyof Values['s3'], value: string | boolean) => void;
  setFtp: (key: keyof Values['ftp'], value: string | number | boolean) => void;
  setVault: (key: keyof Values['vault'], value: string) => void;
  err: ErrorOf;
  /** Administrators choose the local directory; customers always use the provider's. */
  admin: boolean;
  /** Test connection, kept by the form so its answer outlives a switch of target kind. */
  test: UseMutationResult<TargetTest, Error, void>;
}) {
  const testable = values.targetKind !== 'local' || admin;
  // A vault is the provider's to choose (the server refuses one a customer enters): customers
  // see it only on a schedule the provider pointed at one, and cannot change its settings.
  const customerVault = !admin && initial.targetKind === 'vault';
  const kinds: TargetKind[] =
    admin || customerVault ? ['local', 's3', 'ftp', 'vault'] : ['local', 's3', 'ftp'];
  return (
    <>
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
          data={kinds.map((k) => ({ value: k, label: m.target[k] }))}
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
        <S3Fields s3={values.s3} initial={initial.s3} setS3={setS3} err={err} />
      )}
      {values.targetKind === 'ftp' && (
        <FtpFields ftp={values.ftp} initial={initial.ftp} setFtp={setFtp} err={err} />
      )}
      {values.targetKind === 'vault' &&
        (admin ? (
          <VaultFields vault={values.vault} initial={initial.vault} setVault={setVault} err={err} />
        ) : (
          <Text size="sm" c="dimmed">
            {m.scheduleForm.vault.customerHint}
          </Text>
        ))}
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
    </>
  );
}
