import { Alert, Anchor, Badge, Group, Loader, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import type { AuditEvent } from '../api/types';
import { formatDateTime, formatDicomDate, outcomeLabel, timeLeft } from '../format';
import { ViewerLinksPanel } from '../viewer/viewer-links-panel';
import { anyInFlight } from './transfer-filters';
import { TransferActionButtons } from './transfer-action-buttons';
import { DeliveredProgress, FolderBadge, StateBadge } from './transfer-badges';
import { useTransfer } from './transfer-queries';

/** A labelled list of facts as a two-column table: headers in the first column, read by screen readers per row. */
function Facts({ title, rows }: { title: string; rows: Array<[string, ReactNode]> }) {
  return (
    <Stack gap="xs">
      <Title order={2} size="h3">
        {title}
      </Title>
      <Table withTableBorder variant="vertical" aria-label={title}>
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th scope="row" w={180}>
                {label}
              </Table.Th>
              <Table.Td style={{ wordBreak: 'break-all' }}>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

/** Who acted in an audit event: the user, or the AE title, with the address. */
function actorOf(event: AuditEvent): string {
  const who = event.actorUser ?? event.actorAeTitle ?? '—';
  return event.actorAddress ? `${who} (${event.actorAddress})` : who;
}

/** The detail fields that say what happened, compactly (ids and long lists left out). */
function summary(detail: Record<string, unknown>): string {
  const keys = ['state', 'folder', 'node', 'instances', 'stored', 'delivered', 'failed', 'reason', 'error'];
  return keys
    .filter((key) => detail[key] !== undefined && detail[key] !== null)
    .map((key) => `${key}: ${String(detail[key])}`)
    .join(', ');
}

export function TransferDetailPage() {
  const { transferId = '' } = useParams();
  const transfer = useTransfer(transferId);
  useEffect(() => {
    // No patient identifiers in the title.
    document.title = 'Transfer · Image Exchange Hub';
  }, []);

  if (transfer.isPending) {
    return <Loader aria-label="Loading transfer" />;
  }
  if (transfer.isError) {
    return (
      <Stack>
        <Title order={1}>Transfer</Title>
        <Alert color="red" role="alert" title="Could not load this transfer">
          {transfer.error.message}
        </Alert>
        <Anchor component={Link} to="/transfers">
          Back to transfers
        </Anchor>
      </Stack>
    );
  }
  const t = transfer.data;
  const notDelivered = t.instances - t.delivered;
  return (
    <Stack>
      <Anchor component={Link} to="/transfers" size="sm">
        ← Back to transfers
      </Anchor>
      <Group>
        <Title order={1}>
          Transfer {t.sender} → {t.recipient}
        </Title>
        <FolderBadge folder={t.folder} />
        <StateBadge state={t.state} />
        {t.study.restricted && <Badge color="grape">Restricted study</Badge>}
      </Group>
      {anyInFlight([t]) && (
        <Text size="sm" role="status">
          In flight: this page refreshes every few seconds.
        </Text>
      )}
      {t.lastError && (
        <Alert color="red" title="Last error">
          {t.lastError}
        </Alert>
      )}
      <TransferActionButtons transfer={t} />
      <ViewerLinksPanel studyId={t.studyId} recipient={t.recipient} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Facts
          title="Transfer"
          rows={[
            ['State', <StateBadge key="s" state={t.state} />],
            ['Received', formatDateTime(t.createdAt)],
            ['Delivered at', formatDateTime(t.deliveredAt)],
            ['Expires', `${formatDateTime(t.expiresAt)} (${timeLeft(t.expiresAt)})`],
            ['Report', t.hasReport ? `Yes, ${formatDateTime(t.reportReceivedAt)}` : 'No'],
            ['Flag', t.flag ?? '—'],
          ]}
        />
        <Facts
          title="Study"
          rows={[
            ['Study Instance UID', t.study.studyInstanceUid],
            ['Patient ID', t.study.patientId ?? '—'],
            ['Issuer of patient ID', t.study.issuerOfPatientId ?? '—'],
            ['Accession number', t.study.accessionNumber ?? '—'],
            ['Study date', formatDicomDate(t.study.studyDate)],
            ['Description', t.study.studyDescription ?? '—'],
            ['Modalities', t.study.modalities.join(', ') || '—'],
          ]}
        />
      </SimpleGrid>
      <Facts
        title="Instances"
        rows={[
          [
            'Delivered',
            <DeliveredProgress
              key="p"
              delivered={t.delivered}
              total={t.instances}
              label={`${t.delivered} of ${t.instances} instances delivered`}
            />,
          ],
          ['Not delivered yet', String(notDelivered)],
          ['Total', String(t.instances)],
        ]}
      />
      <Stack gap="xs">
        <Title order={2} size="h3">
          Timeline
        </Title>
        <Table.ScrollContainer minWidth={700}>
          <Table striped withTableBorder verticalSpacing="xs">
            <Table.Caption>Audit events of this exchange, oldest first.</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Time</Table.Th>
                <Table.Th scope="col">Event</Table.Th>
                <Table.Th scope="col">Outcome</Table.Th>
                <Table.Th scope="col">Actor</Table.Th>
                <Table.Th scope="col">Detail</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {t.timeline.map((event) => (
                <Table.Tr key={event.id}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    {formatDateTime(event.occurredAt, { seconds: true })}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{event.event}</Table.Td>
                  <Table.Td>{outcomeLabel(event.outcome)}</Table.Td>
                  <Table.Td>{actorOf(event)}</Table.Td>
                  <Table.Td>{summary(event.detail)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
    </Stack>
  );
}
