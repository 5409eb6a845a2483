import {
  Alert,
  Button,
  Group,
  Loader,
  NativeSelect,
  Paper,
  Progress,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { FetchRequest, Folder } from '../api/types';
import { formatDateTime } from '../format';
import { usePageTitle } from '../layout/page-title';
import { useSession } from '../session/session-context';
import { FolderBadge } from '../transfers/transfer-badges';
import { IN_FLIGHT_REFRESH_MS } from '../transfers/transfer-queries';
import { fetchInFlight, fetchProgress, fetchRequestProblem } from './fetch-progress';

export const fetchKeys = { all: ['fetches'] as const };

const STATE_LABELS: Record<string, string> = {
  queued: 'Queued',
  querying: 'Querying the source',
  retrieving: 'Retrieving',
  completed: 'Completed',
  'partially-completed': 'Partially completed',
  failed: 'Failed',
};

function RequestForm() {
  const session = useSession();
  const queryClient = useQueryClient();
  const ownTrust = session.current?.user.trust ?? null;
  const [form, setForm] = useState({
    from: '',
    to: ownTrust ?? '',
    folder: 'emergency' as Folder,
    studyInstanceUid: '',
    accessionNumber: '',
    patientId: '',
  });
  const [problem, setProblem] = useState<string>();
  const request = useMutation({
    mutationFn: () =>
      session.api.post<FetchRequest>('/api/fetches', {
        from: form.from.trim().toUpperCase(),
        to: form.to.trim().toUpperCase(),
        folder: form.folder,
        studyInstanceUid: form.studyInstanceUid.trim() || undefined,
        accessionNumber: form.accessionNumber.trim() || undefined,
        patientId: form.patientId.trim() || undefined,
      }),
    onSuccess: async () => {
      setForm((previous) => ({ ...previous, studyInstanceUid: '', accessionNumber: '', patientId: '' }));
      await queryClient.invalidateQueries({ queryKey: fetchKeys.all });
    },
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
    const found = fetchRequestProblem(form);
    setProblem(found);
    if (!found) {
      request.mutate();
    }
  };
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-labelledby="source-it-title" noValidate>
      <Stack gap="sm">
        <Title order={2} size="h4" id="source-it-title">
          Source a study from another trust
        </Title>
        <Group align="flex-end" gap="sm">
          <TextInput label="From trust" placeholder="ODS code, e.g. RVJ" w={200} {...field('from')} />
          <TextInput label="To trust" placeholder="ODS code" w={160} readOnly={ownTrust !== null} {...field('to')} />
          <NativeSelect
            label="Folder"
            w={140}
            data={[
              { value: 'emergency', label: 'Emergency' },
              { value: 'elective', label: 'Elective' },
            ]}
            {...field('folder')}
          />
        </Group>
        <Group align="flex-end" gap="sm">
          <TextInput label="Study Instance UID" w={380} spellCheck={false} {...field('studyInstanceUid')} />
          <Text size="sm" pb={8}>
            or
          </Text>
          <TextInput label="Accession number" w={170} spellCheck={false} {...field('accessionNumber')} />
          <TextInput label="Patient ID" w={170} spellCheck={false} {...field('patientId')} />
          <Button type="submit" loading={request.isPending}>
            Request study
          </Button>
        </Group>
        {(problem ?? request.error) && (
          <Alert color="red" role="alert" title="Not requested">
            {problem ?? request.error!.message}
          </Alert>
        )}
        {request.isSuccess && !problem && (
          <Text size="sm" role="status">
            Requested from {request.data.from}; its progress is below.
          </Text>
        )}
      </Stack>
    </Paper>
  );
}

function FetchRow({ fetch }: { fetch: FetchRequest }) {
  const progress = fetchProgress(fetch);
  return (
    <Table.Tr>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(fetch.createdAt)}</Table.Td>
      <Table.Td>
        {fetch.from} → {fetch.to}
      </Table.Td>
      <Table.Td>
        <FolderBadge folder={fetch.folder} />
      </Table.Td>
      <Table.Td style={{ wordBreak: 'break-all' }}>
        {fetch.studyInstanceUid ?? `Accession ${fetch.accessionNumber ?? '—'}, patient ${fetch.patientId ?? '—'}`}
      </Table.Td>
      <Table.Td>{STATE_LABELS[fetch.state] ?? fetch.state}</Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          {progress.percent === null ? (
            fetch.state === 'failed' ? null : (
              <Loader size="xs" aria-label="in progress" />
            )
          ) : (
            <Progress value={progress.percent} w={64} aria-label={`${progress.percent}% retrieved`} />
          )}
          <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
            {progress.text}
          </Text>
        </Group>
      </Table.Td>
      <Table.Td>{fetch.requestedBy}</Table.Td>
      <Table.Td>{fetch.lastError ?? '—'}</Table.Td>
    </Table.Tr>
  );
}

export function FetchesPage() {
  usePageTitle('Fetches');
  const session = useSession();
  const fetches = useQuery({
    queryKey: fetchKeys.all,
    queryFn: () => session.api.get<FetchRequest[]>('/api/fetches'),
    refetchInterval: (query) => (fetchInFlight(query.state.data) ? IN_FLIGHT_REFRESH_MS : false),
  });
  return (
    <Stack>
      <Title order={1}>Fetches</Title>
      {session.can('fetches:request') && <RequestForm />}
      {fetches.isError && (
        <Alert color="red" role="alert" title="Could not load fetch requests">
          {fetches.error.message}
        </Alert>
      )}
      <Text size="sm" role="status">
        {fetches.isPending
          ? 'Loading…'
          : fetches.data?.length
            ? `${fetches.data.length} fetch request${fetches.data.length === 1 ? '' : 's'}${fetchInFlight(fetches.data) ? ', refreshing while one is under way' : ''}`
            : 'No fetch requests.'}
      </Text>
      <Table.ScrollContainer minWidth={1000}>
        <Table striped withTableBorder verticalSpacing="xs">
          <Table.Caption>Fetch requests, newest first.</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Requested</Table.Th>
              <Table.Th scope="col">From → to</Table.Th>
              <Table.Th scope="col">Folder</Table.Th>
              <Table.Th scope="col">Study</Table.Th>
              <Table.Th scope="col">State</Table.Th>
              <Table.Th scope="col">Progress</Table.Th>
              <Table.Th scope="col">Requested by</Table.Th>
              <Table.Th scope="col">Last error</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {[...(fetches.data ?? [])]
              .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
              .map((fetch) => (
                <FetchRow key={fetch.id} fetch={fetch} />
              ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
