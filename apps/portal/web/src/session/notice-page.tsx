import { Alert, Button, Center, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useSession } from './session-context';

/** The notice the log-in returned; nothing else of the app renders until the user acknowledges it (audited). */
export function NoticePage() {
  const session = useSession();
  const acknowledge = useMutation({ mutationFn: () => session.acknowledgeNotice() });
  useEffect(() => {
    document.title = 'Access is audited · Image Exchange Hub';
  }, []);
  const user = session.current!.user;
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w={560} maw="100%">
        <Stack>
          <Title order={1} size="h2">
            Access to patient data is audited
          </Title>
          <Text>{session.current!.notice}</Text>
          <Text size="sm" c="dimmed">
            Logged in as {user.username} ({user.role}
            {user.trust ? `, ${user.trust}` : ''}).
          </Text>
          {acknowledge.isError && (
            <Alert color="red" role="alert">
              {acknowledge.error.message}
            </Alert>
          )}
          <Group>
            <Button onClick={() => acknowledge.mutate()} loading={acknowledge.isPending}>
              I acknowledge
            </Button>
            <Button variant="default" onClick={() => void session.logOut()}>
              Log out
            </Button>
          </Group>
        </Stack>
      </Paper>
    </Center>
  );
}
