/** The schedule form's vault target fields (administrators only); a stored password stays masked. */
import { PasswordInput, SimpleGrid, Text, Textarea, TextInput } from '@mantine/core';
import { m } from '../../../messages';
import { asksAgain, MASK, type ErrorOf, type Values } from './values';

export function VaultFields({
  vault,
  initial,
  setVault,
  err,
}: {
  vault: Values['vault'];
  /** As the form opened: tells whether the masked password was stored. */
  initial: Values['vault'];
  setVault: (key: keyof Values['vault'], value: string) => void;
  err: ErrorOf;
}) {
  return (
    <>
      <Text size="sm" c="dimmed">
        {m.scheduleForm.vault.hint}
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          label={m.scheduleForm.vault.url}
          placeholder={m.scheduleForm.vault.urlPlaceholder}
          value={vault.url}
          onChange={(e) => setVault('url', e.currentTarget.value)}
          error={err('target.url')}
          required
        />
        <TextInput
          label={m.scheduleForm.vault.user}
          value={vault.user}
          onChange={(e) => setVault('user', e.currentTarget.value)}
          error={err('target.user')}
          autoComplete="off"
          required
        />
        <PasswordInput
          visibilityToggleButtonProps={{ 'aria-label': m.common.togglePassword }}
          label={m.scheduleForm.vault.password}
          description={
            vault.password === MASK
              ? m.scheduleForm.secretKept
              : asksAgain(vault.password, initial.password)
                ? m.scheduleForm.passwordAgain
                : undefined
          }
          value={vault.password}
          onChange={(e) => setVault('password', e.currentTarget.value)}
          error={err('target.password')}
          autoComplete="new-password"
          required
        />
      </SimpleGrid>
      <Textarea
        label={m.scheduleForm.vault.caCert}
        value={vault.caCert}
        onChange={(e) => setVault('caCert', e.currentTarget.value)}
        error={err('target.caCert')}
        autosize
        minRows={2}
        maxRows={8}
        styles={{ input: { fontFamily: 'monospace' } }}
      />
    </>
  );
}
