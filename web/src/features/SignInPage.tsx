/** Sign-in with the hosting account; the panel's signed link skips this page. */
import {
  Alert,
  Button,
  Center,
  Group,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, setCsrfToken } from '../api/client';
import { api } from '../api/endpoints';
import { keys } from '../api/queries';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { messageOf } from '../components/states';
import { m } from '../messages';
import { loadBackupsPage } from './load';

export function SignInPage({ notice }: { notice?: string }) {
  const client = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: () => api.signIn(username, password),
    onSuccess: (session) => {
      setCsrfToken(session.csrfToken);
      client.setQueryData(keys.session, session);
    },
  });
  useEffect(() => {
    // Marks when the form is usable, for the browser test's speed check.
    performance.mark('sign-in-form');
    // While the user types: the page after signing in, so it shows without a wait. A failed
    // fetch here is retried by App when the page is needed, where it is reported.
    loadBackupsPage().catch(() => undefined);
  }, []);
  const fields = signIn.error instanceof ApiError ? signIn.error.fields : [];
  const fieldError = (name: string) => fields.find((f) => f.field === name)?.message;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate();
  };
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper component="main" withBorder shadow="sm" p="xl" radius="md" w="100%" maw={420}>
        <form onSubmit={submit} aria-label={m.signIn.title}>
          <Stack gap="md">
            <Group justify="space-between" align="center" wrap="nowrap">
              <Title order={1} size="h2">
                {m.signIn.title}
              </Title>
              <LanguageSwitch />
            </Group>
            <Text size="sm" c="dimmed">
              {m.signIn.intro}
            </Text>
            {notice && !signIn.error && (
              <Alert color="blue" variant="light" role="status">
                {notice}
              </Alert>
            )}
            <TextInput
              label={m.signIn.username}
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
              autoComplete="username"
              error={fieldError('username')}
              required
              autoFocus
            />
            <PasswordInput
              visibilityToggleButtonProps={{ 'aria-label': m.common.togglePassword }}
              label={m.signIn.password}
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              autoComplete="current-password"
              error={fieldError('password')}
              required
            />
            {signIn.error && fields.length === 0 && (
              <Alert color="red" variant="light" role="alert" title={m.signIn.failed}>
                {messageOf(signIn.error)}
              </Alert>
            )}
            <Button type="submit" loading={signIn.isPending} fullWidth>
              {m.signIn.submit}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
