/**
 * Sign-in with the hosting account; the panel's signed link skips this page. The same form signs
 * in again in place when a session ends while the page is open (App.tsx), so nothing typed into
 * an open form is lost.
 */
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
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { Session } from '../api/types';
import { ApiError, setCsrfToken } from '../api/client';
import { api } from '../api/endpoints';
import { keys } from '../api/queries';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { messageOf } from '../components/states';
import { m } from '../messages';
import { loadBackupsPage } from './load';

export function SignInPage({ notice }: { notice?: string }) {
  const client = useQueryClient();
  useEffect(() => {
    // Marks when the form is usable, for the browser test's speed check.
    performance.mark('sign-in-form');
    // While the user types: the page after signing in, so it shows without a wait. A failed
    // fetch here is retried by App when the page is needed, where it is reported.
    loadBackupsPage().catch(() => undefined);
  }, []);
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper component="main" withBorder shadow="sm" p="xl" radius="md" w="100%" maw={420}>
        <SignInForm
          notice={notice}
          heading={
            <Group justify="space-between" align="center" wrap="nowrap">
              <Title order={1} size="h2">
                {m.signIn.title}
              </Title>
              <LanguageSwitch />
            </Group>
          }
          onSignedIn={(session) => {
            setCsrfToken(session.csrfToken);
            client.setQueryData(keys.session, session);
          }}
        />
      </Paper>
    </Center>
  );
}

/** The user name and password form; `onSignedIn` gets the new session. */
export function SignInForm({
  notice,
  heading,
  username: knownUser,
  onSignedIn,
}: {
  notice?: string;
  heading?: ReactNode;
  /** Signing in again: the user name is filled in. */
  username?: string;
  onSignedIn: (session: Session) => void;
}) {
  const [username, setUsername] = useState(knownUser ?? '');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: () => api.signIn(username, password),
    onSuccess: onSignedIn,
  });
  const fields = signIn.error instanceof ApiError ? signIn.error.fields : [];
  const fieldError = (name: string) => fields.find((f) => f.field === name)?.message;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // The page's own forms stay around this one: its submit must not reach them.
    event.stopPropagation();
    signIn.mutate();
  };
  return (
    <form onSubmit={submit} aria-label={m.signIn.title}>
      <Stack gap="md">
        {heading}
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
          autoFocus={knownUser === undefined}
        />
        <PasswordInput
          visibilityToggleButtonProps={{ 'aria-label': m.common.togglePassword }}
          label={m.signIn.password}
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          autoComplete="current-password"
          error={fieldError('password')}
          required
          autoFocus={knownUser !== undefined}
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
  );
}
