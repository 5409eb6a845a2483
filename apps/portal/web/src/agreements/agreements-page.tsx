import { Alert, Badge, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Agreement } from '../api/types';
import { formatDateTime } from '../format';
import { ConfirmButton } from '../layout/confirm-button';
import { usePageTitle } from '../layout/page-title';
import { useSession } from '../session/session-context';
import { agreementStatus } from './agreement-status';

export const agreementKeys = { all: ['agreements'] as const };

function SuspendButton({ agreement }: { agreement: Agreement }) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const action = agreement.suspended ? 'resume' : 'suspend';
  const change = useMutation({
    mutationFn: () => api.post<Agreement>(`/api/agreements/${encodeURIComponent(agreement.id)}/${action}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: agreementKeys.all }),
  });
  const label = agreement.suspended ? 'Resume' : 'Suspend';
  return (
    <>
      <ConfirmButton
        label={label}
        ariaLabel={`${label} ${agreement.from} → ${agreement.to}`}
        size="xs"
        color={agreement.suspended ? 'blue' : 'orange'}
        variant="light"
        title={`${label} ${agreement.from} → ${agreement.to}?`}
        message={
          agreement.suspended
            ? 'Deliveries under this agreement start again. The configuration file still wins at the next apply.'
            : 'Deliveries not yet started under this agreement are held. The configuration file still wins at the next apply.'
        }
        onConfirm={() => change.mutate()}
        loading={change.isPending}
      />
      {change.isError && (
        <Text size="sm" c="red" role="alert">
          {change.error.message}
        </Text>
      )}
    </>
  );
}

export function AgreementsPage() {
  usePageTitle('Agreements');
  const session = useSession();
  const agreements = useQuery({
    queryKey: agreementKeys.all,
    queryFn: () => session.api.get<Agreement[]>('/api/agreements'),
  });
  const canManage = session.can('agreements:manage');
  return (
    <Stack>
      <Title order={1}>Agreements</Title>
      <Text size="sm" c="dimmed">
        Which trust may send to which, per folder. A study with no agreement in force is quarantined.
      </Text>
      {agreements.isError && (
        <Alert color="red" role="alert" title="Could not load agreements">
          {agreements.error.message}
        </Alert>
      )}
      <Table.ScrollContainer minWidth={800}>
        <Table striped withTableBorder verticalSpacing="xs">
          <Table.Caption>Sharing agreements between trusts.</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">From → to</Table.Th>
              <Table.Th scope="col">Folders</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Active from</Table.Th>
              <Table.Th scope="col">Active until</Table.Th>
              <Table.Th scope="col">Modalities</Table.Th>
              {canManage && <Table.Th scope="col">Actions</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(agreements.data ?? []).map((agreement) => {
              const status = agreementStatus(agreement);
              return (
                <Table.Tr key={agreement.id}>
                  <Table.Td>
                    {agreement.from} → {agreement.to}
                  </Table.Td>
                  <Table.Td>{agreement.folders.join(', ')}</Table.Td>
                  <Table.Td>
                    <Badge color={status.color} variant="light">
                      {status.label}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{formatDateTime(agreement.activeFrom)}</Table.Td>
                  <Table.Td>{formatDateTime(agreement.activeUntil)}</Table.Td>
                  <Table.Td>{agreement.modalities?.join(', ') ?? 'all'}</Table.Td>
                  {canManage && <Table.Td>{agreement.active && <SuspendButton agreement={agreement} />}</Table.Td>}
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
