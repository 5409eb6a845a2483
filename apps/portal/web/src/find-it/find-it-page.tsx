import {
  Alert,
  Badge,
  Button,
  Group,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { formatDicomDate } from '../format';
import { useSession } from '../session/session-context';

// The answer of POST /api/find-it (the server's FindItAnswer).
interface FoundStudy {
  studyInstanceUid: string;
  studyDate: string | null;
  accessionNumber: string | null;
  studyDescription: string | null;
  modalities: string[];
}
interface HubStudy extends FoundStudy {
  studyId: string;
  from: string;
  to: string;
  folder: string;
  receivedAt: string;
  viewable: boolean;
}
interface TrustAnswer {
  trust: string;
  name: string;
  outcome: 'answered' | 'timed-out' | 'refused' | 'failed' | 'no-query-node';
  elapsedMs: number;
  error?: string;
  studies: Array<FoundStudy & { heldAtHub: boolean; sourceIt: { from: string; studyInstanceUid: string } }>;
}
interface FindItAnswer {
  patient: { patientId: string };
  trust: string;
  atHub: HubStudy[];
  trusts: TrustAnswer[];
}

const OUTCOME: Record<TrustAnswer['outcome'], { label: string; color: string }> = {
  answered: { label: 'Answered', color: 'green' },
  'timed-out': { label: 'Timed out', color: 'orange' },
  refused: { label: 'Refused', color: 'red' },
  failed: { label: 'Failed', color: 'red' },
  'no-query-node': { label: 'Not queryable', color: 'gray' },
};

/**
 * Find it: where has this patient been imaged? The studies the hub has seen from the trusts that share with
 * yours ("View" when your folder holds one), and each of those trusts' own answer ("Source it" asks for a study).
 */
export function FindItPage() {
  const session = useSession();
  const user = session.current?.user;
  const [nhsNumber, setNhsNumber] = useState('');
  const [trust, setTrust] = useState('');
  const [folder, setFolder] = useState<string>('elective');
  const [sourced, setSourced] = useState<Record<string, string>>({});
  const search = useMutation({
    mutationFn: () => session.api.post<FindItAnswer>('/api/find-it', { nhsNumber, ...(user?.trust ? {} : { trust }) }),
  });
  const view = useMutation({
    mutationFn: (studyId: string) => session.api.post<{ url: string }>(`/api/studies/${studyId}/links`, { hours: 1 }),
    onSuccess: (link) => window.open(`${window.location.origin}${link.url}`, '_blank', 'noopener'),
  });
  const source = useMutation({
    mutationFn: (study: { from: string; studyInstanceUid: string }) =>
      session.api.post<{ id: string; state: string }>('/api/fetches', {
        from: study.from,
        folder,
        studyInstanceUid: study.studyInstanceUid,
        ...(user?.trust ? {} : { to: trust }),
      }),
    onSuccess: (fetch, study) => setSourced((done) => ({ ...done, [study.studyInstanceUid]: fetch.state })),
  });
  const answer = search.data;
  const failure = search.error ?? view.error ?? source.error;
  return (
    <Stack>
      <Title order={1}>Find it</Title>
      <Text size="sm" c="dimmed">
        Where has this patient been imaged? Each search is audited with the patient and the trusts asked.
      </Text>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          search.mutate();
        }}
      >
        <Group align="flex-end">
          <TextInput
            label="NHS number"
            value={nhsNumber}
            onChange={(event) => setNhsNumber(event.currentTarget.value)}
            required
            inputMode="numeric"
          />
          {!user?.trust && (
            <TextInput
              label="For trust"
              description="ODS code"
              value={trust}
              onChange={(event) => setTrust(event.currentTarget.value.toUpperCase())}
              required
            />
          )}
          <Button type="submit" loading={search.isPending}>
            Find
          </Button>
        </Group>
      </form>
      {failure && (
        <Alert color="red" role="alert" title="The hub refused">
          {failure.message}
        </Alert>
      )}
      {answer && (
        <>
          <Title order={2} size="h3">
            At the hub
          </Title>
          {answer.atHub.length === 0 ? (
            <Text size="sm">The hub has seen no study of this patient from the trusts that share with yours.</Text>
          ) : (
            <Table aria-label="Studies at the hub" withTableBorder>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Study date</Table.Th>
                  <Table.Th scope="col">Description</Table.Th>
                  <Table.Th scope="col">Modalities</Table.Th>
                  <Table.Th scope="col">From</Table.Th>
                  <Table.Th scope="col">
                    <VisuallyHidden>Action</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {answer.atHub.map((study) => (
                  <Table.Tr key={study.studyId}>
                    <Table.Td>{formatDicomDate(study.studyDate)}</Table.Td>
                    <Table.Td>{study.studyDescription ?? '—'}</Table.Td>
                    <Table.Td>{study.modalities.join(', ') || '—'}</Table.Td>
                    <Table.Td>{`${study.from} → ${study.to}`}</Table.Td>
                    <Table.Td>
                      {study.viewable && (
                        <Button
                          size="xs"
                          variant="light"
                          loading={view.isPending && view.variables === study.studyId}
                          onClick={() => view.mutate(study.studyId)}
                        >
                          View
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <Group justify="space-between" align="flex-end">
            <Title order={2} size="h3">
              At the trusts
            </Title>
            <Select
              label="Source it into your folder"
              data={[
                { value: 'emergency', label: 'Emergency' },
                { value: 'elective', label: 'Elective' },
              ]}
              value={folder}
              onChange={(value) => setFolder(value ?? 'elective')}
              allowDeselect={false}
              w={220}
            />
          </Group>
          {answer.trusts.length === 0 && <Text size="sm">No trust shares its studies with yours.</Text>}
          {answer.trusts.map((trustAnswer) => (
            <Stack key={trustAnswer.trust} gap="xs" aria-label={`Answer of ${trustAnswer.trust}`} role="region">
              <Group gap="xs">
                <Text fw={600}>{`${trustAnswer.name} (${trustAnswer.trust})`}</Text>
                <Badge color={OUTCOME[trustAnswer.outcome].color}>{OUTCOME[trustAnswer.outcome].label}</Badge>
                <Text size="sm" c="dimmed">{`${(trustAnswer.elapsedMs / 1000).toFixed(1)} s`}</Text>
              </Group>
              {trustAnswer.error && <Text size="sm">{trustAnswer.error}</Text>}
              {trustAnswer.studies.length > 0 && (
                <Table aria-label={`Studies at ${trustAnswer.trust}`} withTableBorder>
                  <Table.Tbody>
                    {trustAnswer.studies.map((study) => (
                      <Table.Tr key={study.studyInstanceUid}>
                        <Table.Td>{formatDicomDate(study.studyDate)}</Table.Td>
                        <Table.Td>{study.studyDescription ?? '—'}</Table.Td>
                        <Table.Td>{study.modalities.join(', ') || '—'}</Table.Td>
                        <Table.Td>{study.accessionNumber ?? '—'}</Table.Td>
                        <Table.Td>
                          {study.heldAtHub ? (
                            <Text size="sm">At the hub</Text>
                          ) : sourced[study.studyInstanceUid] ? (
                            <Text size="sm">{`Requested (${sourced[study.studyInstanceUid]})`}</Text>
                          ) : (
                            <Button
                              size="xs"
                              variant="light"
                              loading={
                                source.isPending && source.variables?.studyInstanceUid === study.studyInstanceUid
                              }
                              onClick={() => source.mutate(study.sourceIt)}
                            >
                              Source it
                            </Button>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Stack>
          ))}
        </>
      )}
    </Stack>
  );
}
