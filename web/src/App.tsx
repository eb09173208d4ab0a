/**
 * Who is signed in decides the page: the sign-in, a customer's Backups page, or the admin area.
 * The tab lives in the URL hash (#history), so reloads and the back button keep it.
 *
 * The first download holds the sign-in page alone: the Backups page and the admin area are
 * chunks of their own, fetched once the session says which one is needed (the sign-in page
 * fetches the Backups page while the user types). Customers never load the admin area's code.
 */
import { Button, Container, Group, Modal, Stack, Text, Title } from '@mantine/core';
import { useHash } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useLayoutEffect, useState } from 'react';
import { setCsrfToken, setUnauthorizedHandler } from './api/client';
import { api } from './api/endpoints';
import { notifySignedInAgain } from './api/mutation';
import { keys, useSession } from './api/queries';
import { LanguageSwitch } from './components/LanguageSwitch';
import { PasswordChange } from './components/PasswordChange';
import { ErrorMessage, Loading, messageOf } from './components/states';
import { removeBootSignIn } from './features/boot-sign-in';
import { loadBackupsPage } from './features/load';
import { SignInForm, SignInPage } from './features/SignInPage';
import type { Session } from './api/types';
import { m } from './messages';

const BackupsPage = lazy(loadBackupsPage);
const AdminPage = lazy(() => import('./features/admin/AdminPage'));

export function App() {
  const client = useQueryClient();
  const session = useSession();
  const [hash, setHash] = useHash();
  const [ended, setEnded] = useState(false);
  // The session ended while the page was open: the page stays as it is (an open form keeps what
  // was typed) under a dialog that signs in again; then the form's submit works.
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    setCsrfToken(session.data?.csrfToken ?? null);
    document.title = session.data?.user.role === 'admin' ? m.app.adminTitle : m.app.title;
  }, [session.data]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      if (client.getQueryData(keys.session)) {
        setExpired(true);
        return;
      }
      setEnded(true);
      client.setQueryData(keys.session, null);
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.session[0] });
    });
  }, [client]);

  const signedInAgain = (next: Session) => {
    const before = client.getQueryData<Session | null>(keys.session);
    // Another account: nothing of the first one's may stay in the page (it remounts by user).
    if (before?.user.username !== next.user.username)
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.session[0] });
    setCsrfToken(next.csrfToken);
    client.setQueryData(keys.session, next);
    setExpired(false);
    // What failed with "Please sign in." while the session was gone is no longer true.
    notifySignedInAgain();
    void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== keys.session[0] });
  };

  const signOut = useMutation({
    mutationFn: api.signOut,
    onSuccess: () => {
      setExpired(false);
      setCsrfToken(null);
      client.setQueryData(keys.session, null);
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.session[0] });
    },
  });

  // The page's plain sign-in form stays only for the sign-in page, which takes it over.
  const signedOut = session.data === null;
  useLayoutEffect(() => {
    if (!session.isPending && !signedOut) removeBootSignIn();
  }, [session.isPending, signedOut]);

  if (session.isPending) return <Loading label={m.app.loading} />;
  if (session.error)
    return (
      <Container py="xl">
        <ErrorMessage message={m.app.sessionFailed} onRetry={() => void session.refetch()} />
      </Container>
    );
  if (!session.data) return <SignInPage notice={ended ? m.errors.signInAgain : undefined} />;

  const admin = session.data.user.role === 'admin';
  const name = session.data.user.username ?? session.data.user.customerId ?? '';
  const current = hash.replace(/^#/, '');

  return (
    <Container size="xl" py="md" px="lg" component="main">
      <Stack gap="md">
        <Group justify="space-between" align="center">
          <Title order={1} size="h2">
            {admin ? m.app.adminTitle : m.app.title}
          </Title>
          <Group gap="sm">
            <LanguageSwitch />
            <Text size="sm" c="dimmed">
              {m.app.signedInAs(name)}
            </Text>
            {session.data.user.username !== null && session.data.via === 'session' && (
              <PasswordChange />
            )}
            <Button
              variant="default"
              size="xs"
              onClick={() => signOut.mutate()}
              loading={signOut.isPending}
            >
              {m.app.signOut}
            </Button>
          </Group>
        </Group>
        {signOut.error && (
          <ErrorMessage message={`${m.app.signOutFailed} ${messageOf(signOut.error)}`} />
        )}
        <Suspense fallback={<Loading />}>
          {admin ? (
            <AdminPage key={name} current={current} onTab={setHash} />
          ) : (
            <BackupsPage key={name} current={current} onTab={setHash} />
          )}
        </Suspense>
        <Modal
          opened={expired}
          onClose={() => undefined}
          withCloseButton={false}
          closeOnClickOutside={false}
          closeOnEscape={false}
          zIndex={1000}
          title={m.signIn.againTitle}
        >
          {expired && (
            <SignInForm
              notice={m.signIn.againNotice}
              username={session.data.user.username ?? undefined}
              onSignedIn={signedInAgain}
            />
          )}
        </Modal>
      </Stack>
    </Container>
  );
}
