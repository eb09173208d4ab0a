/** The schedule form's S3 target fields; a stored secret key is shown masked and kept. */
import { Checkbox, PasswordInput, SimpleGrid, TextInput } from '@mantine/core';
import { m } from '../../../messages';
import { asksAgain, MASK, type ErrorOf, type Values } from './values';

export function S3Fields({
  s3,
  initial,
  setS3,
  err,
}: {
  s3: Values['s3'];
  /** As the form opened: tells whether the masked secret was stored. */
  initial: Values['s3'];
  setS3: (key: keyof Values['s3'], value: string | boolean) => void;
  err: ErrorOf;
}) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }}>
      <TextInput
        label={m.scheduleForm.s3.endpoint}
        placeholder={m.scheduleForm.s3.endpointPlaceholder}
        value={s3.endpoint}
        onChange={(e) => setS3('endpoint', e.currentTarget.value)}
        error={err('target.endpoint')}
        required
      />
      <TextInput
        label={m.scheduleForm.s3.region}
        value={s3.region}
        onChange={(e) => setS3('region', e.currentTarget.value)}
        error={err('target.region')}
      />
      <TextInput
        label={m.scheduleForm.s3.bucket}
        value={s3.bucket}
        onChange={(e) => setS3('bucket', e.currentTarget.value)}
        error={err('target.bucket')}
        required
      />
      <TextInput
        label={m.scheduleForm.s3.prefix}
        value={s3.prefix}
        onChange={(e) => setS3('prefix', e.currentTarget.value)}
        error={err('target.prefix')}
      />
      <TextInput
        label={m.scheduleForm.s3.accessKeyId}
        value={s3.accessKeyId}
        onChange={(e) => setS3('accessKeyId', e.currentTarget.value)}
        error={err('target.accessKeyId')}
        autoComplete="off"
        required
      />
      <PasswordInput
        visibilityToggleButtonProps={{ 'aria-label': m.common.togglePassword }}
        label={m.scheduleForm.s3.secretAccessKey}
        description={
          s3.secretAccessKey === MASK
            ? m.scheduleForm.secretKept
            : asksAgain(s3.secretAccessKey, initial.secretAccessKey)
              ? m.scheduleForm.secretKeyAgain
              : undefined
        }
        value={s3.secretAccessKey}
        onChange={(e) => setS3('secretAccessKey', e.currentTarget.value)}
        error={err('target.secretAccessKey')}
        autoComplete="new-password"
        required
      />
      <Checkbox
        label={m.scheduleForm.s3.pathStyle}
        checked={s3.pathStyle}
        onChange={(e) => setS3('pathStyle', e.currentTarget.checked)}
      />
    </SimpleGrid>
  );
}
