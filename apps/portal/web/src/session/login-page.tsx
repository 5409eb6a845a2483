import { Alert, Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { logIn } from '../api/client';
import { useSession } from './session-context';

export function LoginPage() {
  const session = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({
    mutationFn: () => logIn(username, password),
    onSuccess: (result) => session.start(result),
  });
  useEffect(() => {
    document.title = 'Log in · Image Exchange Hub';
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };

  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w={380} maw="100%">
        <form onSubmit={submit} aria-labelledby="login-title">
          <Stack>
            <Title order={1} size="h2" id="login-title">
              Image Exchange Hub
            </Title>
            {session.endedBecause && (
              <Alert color="yellow" role="status">
                {session.endedBecause}
              </Alert>
            )}
            {login.isError && (
              <Alert color="red" role="alert" title="Log-in failed">
                {login.error.message}
              </Alert>
            )}
            <TextInput
              label="Username"
              autoComplete="username"
              required
              withAsterisk={false}
              value={username}
              onChange={(event) => setUsername(event.currentTarget.value)}
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              required
              withAsterisk={false}
              value={password}
              onChange={(event) => setPassword(event.currentTarget.value)}
            />
            <Button type="submit" loading={login.isPending}>
              Log in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
