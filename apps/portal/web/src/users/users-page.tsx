import {
  Alert,
  Badge,
  Button,
  Group,
  NativeSelect,
  Paper,
  PasswordInput,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Account, Role } from '../api/types';
import { formatDateTime } from '../format';
import { usePageTitle } from '../layout/page-title';
import { useSession } from '../session/session-context';

export const userKeys = { all: ['users'] as const };

const ROLES: Array<{ value: Role; label: string }> = [
  { value: 'operator', label: 'Operator' },
  { value: 'trust-admin', label: 'Trust admin' },
  { value: 'governance', label: 'Governance' },
  { value: 'clinician', label: 'Clinician' },
];

const belongsToTrust = (role: Role) => role === 'trust-admin' || role === 'clinician';

function NewUserForm() {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('clinician');
  const [trust, setTrust] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api.post<Account>('/api/users', {
        username,
        password,
        role,
        trust: belongsToTrust(role) ? trust.trim().toUpperCase() : undefined,
      }),
    onSuccess: async () => {
      setUsername('');
      setPassword('');
      await queryClient.invalidateQueries({ queryKey: userKeys.all });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-labelledby="new-user-title">
      <Stack gap="sm">
        <Title order={2} size="h4" id="new-user-title">
          New account
        </Title>
        <Group align="flex-end" gap="sm">
          <TextInput
            label="New username"
            value={username}
            onChange={(event) => setUsername(event.currentTarget.value)}
            required
            withAsterisk={false}
            autoComplete="off"
          />
          <PasswordInput
            label="Initial password"
            placeholder="12 characters or more"
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            required
            withAsterisk={false}
            autoComplete="new-password"
            w={220}
          />
          <NativeSelect
            label="Role"
            value={role}
            onChange={(event) => setRole(event.currentTarget.value as Role)}
            data={ROLES}
          />
          <TextInput
            label="Trust"
            placeholder="ODS code"
            value={trust}
            onChange={(event) => setTrust(event.currentTarget.value)}
            disabled={!belongsToTrust(role)}
            required={belongsToTrust(role)}
            withAsterisk={false}
            w={110}
          />
          <Button type="submit" loading={create.isPending}>
            Create account
          </Button>
        </Group>
        {create.isError && (
          <Alert color="red" role="alert">
            {create.error.message}
          </Alert>
        )}
        {create.isSuccess && (
          <Text size="sm" role="status">
            Account {create.data.username} created.
          </Text>
        )}
      </Stack>
    </Paper>
  );
}

function DisableButton({ account }: { account: Account }) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const action = account.disabled ? 'enable' : 'disable';
  const change = useMutation({
    mutationFn: () => api.post<Account>(`/api/users/${encodeURIComponent(account.username)}/${action}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: userKeys.all }),
  });
  const label = account.disabled ? 'Enable' : 'Disable';
  return (
    <Button
      size="xs"
      variant="light"
      color={account.disabled ? 'blue' : 'red'}
      onClick={() => change.mutate()}
      loading={change.isPending}
      aria-label={`${label} ${account.username}`}
    >
      {label}
    </Button>
  );
}

export function UsersPage() {
  usePageTitle('Users');
  const session = useSession();
  const users = useQuery({ queryKey: userKeys.all, queryFn: () => session.api.get<Account[]>('/api/users') });
  return (
    <Stack>
      <Title order={1}>Users</Title>
      <NewUserForm />
      {users.isError && (
        <Alert color="red" role="alert" title="Could not load users">
          {users.error.message}
        </Alert>
      )}
      <Table.ScrollContainer minWidth={800}>
        <Table striped withTableBorder verticalSpacing="xs">
          <Table.Caption>Portal accounts. Disabling an account ends its sessions.</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Username</Table.Th>
              <Table.Th scope="col">Role</Table.Th>
              <Table.Th scope="col">Trust</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Last log-in</Table.Th>
              <Table.Th scope="col">Created</Table.Th>
              <Table.Th scope="col">Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(users.data ?? []).map((account) => (
              <Table.Tr key={account.username}>
                <Table.Td>{account.username}</Table.Td>
                <Table.Td>{ROLES.find((role) => role.value === account.role)?.label ?? account.role}</Table.Td>
                <Table.Td>{account.trust ?? '—'}</Table.Td>
                <Table.Td>
                  {account.disabled ? (
                    <Badge color="red" variant="light">
                      Disabled
                    </Badge>
                  ) : account.lockedUntil && new Date(account.lockedUntil) > new Date() ? (
                    <Badge color="orange" variant="light">
                      Locked
                    </Badge>
                  ) : (
                    <Badge color="green" variant="light">
                      Active
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{formatDateTime(account.lastLoginAt)}</Table.Td>
                <Table.Td>{formatDateTime(account.createdAt)}</Table.Td>
                <Table.Td>
                  {account.username !== session.current?.user.username && <DisableButton account={account} />}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
