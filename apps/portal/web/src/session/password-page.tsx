import { Alert, Button, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { usePageTitle } from '../layout/page-title';
import { passwordChangeProblem } from './password-change';
import { useSession } from './session-context';

export function PasswordPage() {
  usePageTitle('Change password');
  const { api } = useSession();
  const [form, setForm] = useState({ current: '', next: '', repeat: '' });
  const [problem, setProblem] = useState<string>();
  const change = useMutation({
    mutationFn: () => api.post<void>('/api/auth/password', { currentPassword: form.current, newPassword: form.next }),
    onSuccess: () => setForm({ current: '', next: '', repeat: '' }),
  });
  const field = (key: keyof typeof form) => ({
    value: form[key],
    onChange: (event: { currentTarget: { value: string } }) => {
      const value = event.currentTarget.value;
      setForm((previous) => ({ ...previous, [key]: value }));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = passwordChangeProblem(form);
    setProblem(found);
    if (!found) {
      change.mutate();
    }
  };
  return (
    <Stack maw={420}>
      <Title order={1}>Change password</Title>
      <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="Change password" noValidate>
        <Stack>
          <PasswordInput label="Current password" autoComplete="current-password" {...field('current')} />
          <PasswordInput label="New password" autoComplete="new-password" {...field('next')} />
          <PasswordInput label="New password again" autoComplete="new-password" {...field('repeat')} />
          {(problem ?? change.error) && (
            <Alert color="red" role="alert">
              {problem ?? change.error!.message}
            </Alert>
          )}
          {change.isSuccess && !problem && (
            <Text role="status">Your password is changed. Your other sessions have ended.</Text>
          )}
          <Button type="submit" loading={change.isPending}>
            Change password
          </Button>
        </Stack>
      </Paper>
    </Stack>
  );
}
