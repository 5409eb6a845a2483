import { Alert, Group, Stack, Table, Text, Title } from '@mantine/core';
import type { QuarantinedStudy } from '../api/types';
import { formatDateTime } from '../format';
import { ConfirmButton } from '../layout/confirm-button';
import { usePageTitle } from '../layout/page-title';
import { useSession } from '../session/session-context';
import { FolderBadge } from '../transfers/transfer-badges';
import { useQuarantine, useQuarantineAction } from './quarantine-queries';

function Actions({ study }: { study: QuarantinedStudy }) {
  const release = useQuarantineAction('release');
  const discard = useQuarantineAction('discard');
  return (
    <Stack gap={4}>
      <Group gap="xs" wrap="nowrap">
        <ConfirmButton
          label="Release"
          ariaLabel={`Release study ${study.studyInstanceUid}`}
          size="xs"
          title="Release this study?"
          message={`The hub routes it again, ${study.sender} → ${study.recipient}, if an agreement now allows it; otherwise it stays here and you are told why.`}
          onConfirm={() => release.mutate(study.studyId)}
          loading={release.isPending}
        />
        <ConfirmButton
          label="Discard"
          ariaLabel={`Discard study ${study.studyInstanceUid}`}
          size="xs"
          color="red"
          variant="light"
          title="Discard this study?"
          message="Its files are deleted from the hub. The record and its audit trail stay. This cannot be undone."
          onConfirm={() => discard.mutate(study.studyId)}
          loading={discard.isPending}
        />
      </Group>
      {(release.error ?? discard.error) && (
        <Text size="sm" c="red" role="alert">
          {(release.error ?? discard.error)!.message}
        </Text>
      )}
    </Stack>
  );
}

export function QuarantinePage() {
  usePageTitle('Quarantine');
  const session = useSession();
  const quarantine = useQuarantine();
  const canManage = session.can('quarantine:manage');
  return (
    <Stack>
      <Title order={1}>Quarantine</Title>
      <Text size="sm" c="dimmed">
        Studies the hub received but could not route, each with its reason. Nothing here is delivered.
      </Text>
      {quarantine.isError && (
        <Alert color="red" role="alert" title="Could not load the quarantine">
          {quarantine.error.message}
        </Alert>
      )}
      <Text size="sm" role="status">
        {quarantine.isPending
          ? 'Loading…'
          : quarantine.data?.length
            ? `${quarantine.data.length} quarantined`
            : 'Nothing is quarantined.'}
      </Text>
      <Table.ScrollContainer minWidth={900}>
        <Table striped withTableBorder verticalSpacing="xs">
          <Table.Caption>Quarantined studies, newest first.</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">First received</Table.Th>
              <Table.Th scope="col">Sender → recipient</Table.Th>
              <Table.Th scope="col">Folder</Table.Th>
              <Table.Th scope="col">Reason</Table.Th>
              <Table.Th scope="col">Instances</Table.Th>
              <Table.Th scope="col">Study Instance UID</Table.Th>
              {canManage && <Table.Th scope="col">Actions</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {[...(quarantine.data ?? [])]
              .sort((a, b) => b.firstReceivedAt.localeCompare(a.firstReceivedAt))
              .map((study) => (
                <Table.Tr key={study.studyId}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(study.firstReceivedAt)}</Table.Td>
                  <Table.Td>
                    {study.sender} → {study.recipient}
                  </Table.Td>
                  <Table.Td>
                    <FolderBadge folder={study.folder} />
                  </Table.Td>
                  <Table.Td>{study.reason}</Table.Td>
                  <Table.Td>{study.instances}</Table.Td>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{study.studyInstanceUid}</Table.Td>
                  {canManage && (
                    <Table.Td>
                      <Actions study={study} />
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
