/**
 * The schedule form's target section: where the backups go (local, S3, FTP), that target's
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
import type { ErrorOf, SetValue, Values } from './values';

export function TargetFields({
  values,
  initial,
  set,
  setS3,
  setFtp,
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
  err: ErrorOf;
  /** Administrators choose the local directory; customers always use the provider's. */
  admin: boolean;
  /** Test connection, kept by the form so its answer outlives a switch of target kind. */
  test: UseMutationResult<TargetTest, Error, void>;
}) {
  const testable = values.targetKind !== 'local' || admin;
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
        <S3Fields s3={values.s3} initial={initial.s3} setS3={setS3} err={err} />
      )}
      {values.targetKind === 'ftp' && (
        <FtpFields ftp={values.ftp} initial={initial.ftp} setFtp={setFtp} err={err} />
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
    </>
  );
}
