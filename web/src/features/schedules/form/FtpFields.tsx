/** The schedule form's FTP target fields; a stored password is shown masked and kept. */
import { Checkbox, PasswordInput, SimpleGrid, TextInput } from '@mantine/core';
import { NumberField } from '../../../components/NumberField';
import { m } from '../../../messages';
import { asksAgain, MASK, type ErrorOf, type Values } from './values';

export function FtpFields({
  ftp,
  initial,
  setFtp,
  err,
}: {
  ftp: Values['ftp'];
  /** As the form opened: tells whether the masked password was stored. */
  initial: Values['ftp'];
  setFtp: (key: keyof Values['ftp'], value: string | number | boolean) => void;
  err: ErrorOf;
}) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }}>
      <TextInput
        label={m.scheduleForm.ftp.host}
        value={ftp.host}
        onChange={(e) => setFtp('host', e.currentTarget.value)}
        error={err('target.host')}
        required
      />
      <NumberField
        label={m.scheduleForm.ftp.port}
        min={1}
        max={65535}
        value={ftp.port}
        onChange={(v) => setFtp('port', v)}
        error={err('target.port')}
      />
      <TextInput
        label={m.scheduleForm.ftp.user}
        value={ftp.user}
        onChange={(e) => setFtp('user', e.currentTarget.value)}
        error={err('target.user')}
        autoComplete="off"
        required
      />
      <PasswordInput
        visibilityToggleButtonProps={{ 'aria-label': m.common.togglePassword }}
        label={m.scheduleForm.ftp.password}
        description={
          ftp.password === MASK
            ? m.scheduleForm.secretKept
            : asksAgain(ftp.password, initial.password)
              ? m.scheduleForm.passwordAgain
              : undefined
        }
        value={ftp.password}
        onChange={(e) => setFtp('password', e.currentTarget.value)}
        error={err('target.password')}
        autoComplete="new-password"
        required
      />
      <TextInput
        label={m.scheduleForm.ftp.baseDir}
        value={ftp.baseDir}
        onChange={(e) => setFtp('baseDir', e.currentTarget.value)}
        error={err('target.baseDir')}
      />
      <NumberField
        label={m.scheduleForm.ftp.connections}
        min={1}
        max={16}
        value={ftp.connections}
        onChange={(v) => setFtp('connections', v)}
        error={err('target.connections')}
      />
      <Checkbox
        label={m.scheduleForm.ftp.explicitTls}
        checked={ftp.explicitTls}
        onChange={(e) => setFtp('explicitTls', e.currentTarget.checked)}
      />
    </SimpleGrid>
  );
}
