import {
  Alert,
  Button,
  Group,
  NativeSelect,
  Pagination,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import {
  AUDIT_ACTIONS,
  type AuditPage as AuditPageBody,
  type AuditVerification,
  type PatientAccessReport,
} from '../api/types';
import { formatDateTime, outcomeLabel } from '../format';
import { usePageTitle } from '../layout/page-title';
import { useSession } from '../session/session-context';
import { auditApiQuery, auditFiltersToParams, parseAuditFilters, type AuditFilters } from './audit-filters';

const PAGE_SIZE = 50;

export const auditKeys = {
  search: (filters: AuditFilters, page: number) => ['audit', 'search', filters, page] as const,
};

function SearchForm({ filters, onApply }: { filters: AuditFilters; onApply: (filters: AuditFilters) => void }) {
  const [draft, setDraft] = useState<AuditFilters>(filters);
  useEffect(() => setDraft(filters), [filters]);
  const field = (key: keyof AuditFilters) => ({
    value: draft[key] ?? '',
    onChange: (event: { currentTarget: { value: string } }) => {
      const value = event.currentTarget.value;
      setDraft((previous) => ({ ...previous, [key]: value === '' ? undefined : value }));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} role="search" aria-label="Search the audit trail">
      <Stack gap="sm">
        <Group align="flex-end" gap="sm">
          <TextInput label="Patient ID" w={180} spellCheck={false} {...field('patientId')} />
          <TextInput label="Study Instance UID" w={380} spellCheck={false} {...field('studyInstanceUid')} />
          <TextInput label="Actor" placeholder="user or AE title" w={180} {...field('actor')} />
        </Group>
        <Group align="flex-end" gap="sm">
          <NativeSelect
            label="Action"
            w={260}
            data={[{ value: '', label: 'Any' }, ...AUDIT_ACTIONS.map((action) => ({ value: action, label: action }))]}
            {...field('action')}
          />
          <TextInput label="Trust" placeholder="ODS code" w={110} {...field('trust')} />
          <TextInput label="From" type="date" w={160} {...field('from')} />
          <TextInput label="To" type="date" w={160} {...field('to')} />
          <Button type="submit">Search</Button>
          <Button variant="default" onClick={() => onApply({})}>
            Clear
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

function PatientAccess({ report }: { report: PatientAccessReport }) {
  return (
    <Stack gap="xs">
      <Title order={2} size="h3">
        Who accessed this patient
      </Title>
      <Table.ScrollContainer minWidth={800}>
        <Table striped withTableBorder verticalSpacing="xs">
          <Table.Caption>
            Every user and DICOM node that sent, received, viewed or queried this patient&apos;s images.
          </Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Who</Table.Th>
              <Table.Th scope="col">Kind</Table.Th>
              <Table.Th scope="col">Trusts</Table.Th>
              <Table.Th scope="col">Events</Table.Th>
              <Table.Th scope="col">Count</Table.Th>
              <Table.Th scope="col">First</Table.Th>
              <Table.Th scope="col">Last</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.accessors.map((accessor) => (
              <Table.Tr key={`${accessor.kind}:${accessor.actor}`}>
                <Table.Td>{accessor.actor}</Table.Td>
                <Table.Td>{accessor.kind === 'user' ? 'User' : 'DICOM node'}</Table.Td>
                <Table.Td>{accessor.trusts.join(', ') || '—'}</Table.Td>
                <Table.Td>{accessor.events.join(', ')}</Table.Td>
                <Table.Td>{accessor.count}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(accessor.first)}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(accessor.last)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

/** Recomputes the trail's hash chain on the server: has any event been edited, inserted or removed? */
function ChainCheck() {
  const { api } = useSession();
  const check = useMutation({ mutationFn: () => api.get<AuditVerification>('/api/audit/chain') });
  const result = check.data;
  return (
    <Group align="flex-start" gap="sm">
      <Button variant="default" onClick={() => check.mutate()} loading={check.isPending}>
        Check the audit trail
      </Button>
      {result?.intact === true && (
        <Alert color="green" role="status" py={6} title="Audit trail intact">
          All {result.events} events are unchanged and in order.
        </Alert>
      )}
      {result?.intact === false && (
        <Alert color="red" role="alert" py={6} title="Audit trail broken">
          {result.eventId ? `At event ${result.eventId}: ` : ''}
          {result.problem} ({result.events} events before it are intact).
        </Alert>
      )}
      {check.isError && (
        <Alert color="red" role="alert" py={6}>
          {check.error.message}
        </Alert>
      )}
    </Group>
  );
}

/** Hands a Blob to the browser as a file download (the API needs the bearer header, so no plain link). */
function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function AuditPage() {
  usePageTitle('Audit');
  const { api } = useSession();
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = useMemo(() => parseAuditFilters(searchParams), [searchParams]);
  const [page, setPage] = useState(1);
  useEffect(() => setPage(1), [filters]);
  const search = useQuery({
    queryKey: auditKeys.search(filters, page),
    queryFn: () =>
      api.get<AuditPageBody>(`/api/audit?${auditApiQuery(filters, { page, pageSize: PAGE_SIZE }).toString()}`),
    placeholderData: keepPreviousData,
  });
  const csv = useMutation({
    mutationFn: async () =>
      saveFile(await api.blob(`/api/audit/export.csv?${auditApiQuery(filters).toString()}`), 'audit.csv'),
  });
  const access = useMutation({
    mutationFn: (patientId: string) => {
      const range = auditApiQuery({ from: filters.from, to: filters.to }).toString();
      return api.get<PatientAccessReport>(
        `/api/audit/patients/${encodeURIComponent(patientId)}/access${range ? `?${range}` : ''}`,
      );
    },
  });
  const resetAccess = access.reset;
  // A report belongs to the patient it was run for; a new search hides it.
  useEffect(() => resetAccess(), [filters.patientId, resetAccess]);

  const total = search.data?.total ?? 0;
  const first = (page - 1) * PAGE_SIZE;
  return (
    <Stack>
      <Title order={1}>Audit</Title>
      <ChainCheck />
      <SearchForm filters={filters} onApply={(next) => setSearchParams(auditFiltersToParams(next))} />
      <Group justify="space-between">
        <Text size="sm" role="status">
          {search.isPending
            ? 'Loading…'
            : total === 0
              ? 'No audit events match.'
              : `Showing ${first + 1}–${Math.min(first + PAGE_SIZE, total)} of ${total}, oldest first`}
        </Text>
        <Group gap="xs">
          <Button
            variant="default"
            onClick={() => access.mutate(filters.patientId!)}
            disabled={!filters.patientId}
            loading={access.isPending}
            title={filters.patientId ? undefined : 'Search by a patient ID first'}
          >
            Who accessed this patient
          </Button>
          <Button variant="default" onClick={() => csv.mutate()} loading={csv.isPending} disabled={total === 0}>
            Download CSV
          </Button>
        </Group>
      </Group>
      {[search.error, csv.error, access.error].map(
        (error) =>
          error && (
            <Alert key={error.message} color="red" role="alert">
              {error.message}
            </Alert>
          ),
      )}
      {access.data && <PatientAccess report={access.data} />}
      <Table.ScrollContainer minWidth={1000}>
        <Table striped withTableBorder verticalSpacing="xs">
          <Table.Caption>Audit events matching the search.</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Time</Table.Th>
              <Table.Th scope="col">Event</Table.Th>
              <Table.Th scope="col">Outcome</Table.Th>
              <Table.Th scope="col">Actor</Table.Th>
              <Table.Th scope="col">Trusts</Table.Th>
              <Table.Th scope="col">Patient ID</Table.Th>
              <Table.Th scope="col">Study Instance UID</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(search.data?.items ?? []).map((event) => (
              <Table.Tr key={event.id}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {formatDateTime(event.occurredAt, { seconds: true })}
                </Table.Td>
                <Table.Td>
                  {event.event}
                  <Text size="xs" c="dimmed">
                    {event.action}
                  </Text>
                </Table.Td>
                <Table.Td>{outcomeLabel(event.outcome)}</Table.Td>
                <Table.Td>{event.actorUser ?? event.actorAeTitle ?? '—'}</Table.Td>
                <Table.Td>{[event.sourceTrust, event.destinationTrust].filter(Boolean).join(' → ') || '—'}</Table.Td>
                <Table.Td>{event.patientId ?? '—'}</Table.Td>
                <Table.Td style={{ wordBreak: 'break-all' }}>{event.studyInstanceUid ?? '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {total > PAGE_SIZE && (
        <Pagination
          total={Math.ceil(total / PAGE_SIZE)}
          value={page}
          onChange={setPage}
          getControlProps={(control) => ({ 'aria-label': `${control} page` })}
          getItemProps={(item) => ({ 'aria-label': `Page ${item}` })}
        />
      )}
    </Stack>
  );
}
