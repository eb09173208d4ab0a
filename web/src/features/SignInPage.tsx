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
import {
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type FormEvent,
  type ReactNode,
} from 'react';
import type { Session } from '../api/types';
import { ApiError, setCsrfToken } from '../api/client';
import { api } from '../api/endpoints';
import { keys } from '../api/queries';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { messageOf } from '../components/states';
import { m } from '../messages';
import { readBootSignIn, removeBootSignIn, type BootSignIn } from './boot-sign-in';
import { loadBackupsPage } from './load';

export function SignInPage({ notice }: { notice?: string }) {
  const client = useQueryClient();
  // The page's plain form, if it still shows: this one takes its place with what it holds.
  const [boot] = useState(readBootSignIn);
  useEffect(() => {
    // Marks when the form is usable, for the bench and the browser test; the plain form marked
    // it already when there was one, and then this marks when the app took over.
    performance.mark(boot ? 'sign-in-app' : 'sign-in-form');
    // While the user types: the page after signing in, so it shows without a wait. A failed
    // fetch here is retried by App when the page is needed, where it is reported.
    loadBackupsPage().catch(() => undefined);
  }, [boot]);
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper component="main" withBorder shadow="sm" p="xl" radius="md" w="100%" maw={420}>
        <SignInForm
          notice={notice}
          boot={boot ?? undefined}
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
  boot,
  onSignedIn,
}: {
  notice?: string;
  heading?: ReactNode;
  /** Signing in again: the user name is filled in. */
  username?: string;
  /** The page's plain form as it was when the app started (boot-sign-in.ts). */
  boot?: BootSignIn;
  onSignedIn: (session: Session) => void;
}) {
  const [username, setUsername] = useState(boot?.username ?? knownUser ?? '');
  const [password, setPassword] = useState(boot?.password ?? '');
  const usernameRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const signIn = useMutation({
    mutationFn: (values: { username: string; password: string }) =>
      api.signIn(values.username, values.password),
    onSuccess: onSignedIn,
  });
  const takeOver = useRef(boot);
  useLayoutEffect(() => {
    const first = takeOver.current;
    if (!first) return;
    takeOver.current = undefined;
    // Before the browser paints again: the latest of the plain form (typed since the render),
    // then it goes, and the focus and caret move to the same field here.
    const now = readBootSignIn() ?? first;
    removeBootSignIn();
    setUsername(now.username);
    setPassword(now.password);
    const focused = now.focus === 'password' ? passwordRef.current : usernameRef.current;
    focused?.focus();
    if (now.selection) focused?.setSelectionRange(...now.selection);
    if (now.pending) signIn.mutate({ username: now.username, password: now.password });
  }, [signIn]);
  const fields = signIn.error instanceof ApiError ? signIn.error.fields : [];
  const fieldError = (name: string) => fields.find((f) => f.field === name)?.message;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // The page's own forms stay around this one: its submit must not reach them.
    event.stopPropagation();
    signIn.mutate({ username, password });
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
          ref={usernameRef}
          autoComplete="username"
          error={fieldError('username')}
          required
          autoFocus={knownUser === undefined && !boot}
        />
        <PasswordInput
          visibilityToggleButtonProps={{ 'aria-label': m.common.togglePassword }}
          label={m.signIn.password}
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          ref={passwordRef}
          autoComplete="current-password"
          error={fieldError('password')}
          required
          autoFocus={knownUser !== undefined && !boot}
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
