import { Alert, Badge, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Agreement, Folder } from '../api/types';
import { formatDateTime } from '../format';
import { ConfirmButton } from '../layout/confirm-button';
import { usePageTitle } from '../layout/page-title';
import { useSession } from '../session/session-context';
import { agreementGrid } from './agreement-grid';
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

/** Sender by recipient for one folder: who may send what to whom, at a glance. */
function AgreementGridTable({ agreements, folder }: { agreements: Agreement[]; folder: Folder }) {
  const grid = agreementGrid(agreements, folder);
  const title = folder === 'emergency' ? 'Emergency folder' : 'Elective folder';
  return (
    <Table.ScrollContainer minWidth={320}>
      <Table withTableBorder withColumnBorders verticalSpacing="xs" aria-label={title} captionSide="top">
        <Table.Caption>{title}: each row sends, each column receives; an empty cell has no agreement.</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">From \ to</Table.Th>
            {grid.trusts.map((to) => (
              <Table.Th key={to} scope="col">
                {to}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {grid.trusts.map((from) => (
            <Table.Tr key={from}>
              <Table.Th scope="row">{from}</Table.Th>
              {grid.trusts.map((to) => {
                const status = from === to ? undefined : grid.cell(from, to);
                return (
                  <Table.Td key={to}>
                    {status ? (
                      <Badge color={status.color} variant="light" style={{ minWidth: 'max-content' }}>
                        {status.label}
                      </Badge>
                    ) : (
                      <Text span c="dimmed" aria-label="no agreement">
                        —
                      </Text>
                    )}
                  </Table.Td>
                );
              })}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
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
      {agreements.data && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <AgreementGridTable agreements={agreements.data} folder="emergency" />
          <AgreementGridTable agreements={agreements.data} folder="elective" />
        </SimpleGrid>
      )}
      <Title order={2} size="h3">
        Every agreement
      </Title>
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
