import { Alert, Badge, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { usePageTitle } from '../layout/page-title';
import { useSession } from '../session/session-context';

interface Health {
  status: string;
  mysql: 'up' | 'down';
  redis: 'up' | 'down';
}

const HEALTH_REFRESH_MS = 10_000;

export function OperationsPage() {
  usePageTitle('Operations');
  const { api } = useSession();
  const health = useQuery({
    queryKey: ['operations', 'health'],
    // 503 carries the same body, naming what is down.
    queryFn: () =>
      api.get<Health>('/api/health').catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 503) {
          return { status: 'degraded', mysql: 'down', redis: 'down' } as Health;
        }
        throw error;
      }),
    refetchInterval: HEALTH_REFRESH_MS,
  });
  return (
    <Stack>
      <Title order={1}>Operations</Title>
      <Alert color="yellow" title="Partly built">
        This page shows only whether MySQL and Redis answer. Per-node queue depth, the oldest waiting transfer, delivery
        failures in the last hour, C-ECHO and storage-disk status are not built yet; the CLI lists transfers by state
        meanwhile.
      </Alert>
      {health.isError && (
        <Alert color="red" role="alert">
          {health.error.message}
        </Alert>
      )}
      <Table withTableBorder variant="vertical" w={420} aria-label="Services">
        <Table.Tbody>
          {(['mysql', 'redis'] as const).map((service) => (
            <Table.Tr key={service}>
              <Table.Th scope="row" w={180}>
                {service === 'mysql' ? 'MySQL' : 'Redis'}
              </Table.Th>
              <Table.Td>
                {health.data ? (
                  <Badge color={health.data[service] === 'up' ? 'green' : 'red'} variant="light">
                    {health.data[service] === 'up' ? 'Up' : 'Down'}
                  </Badge>
                ) : (
                  <Text size="sm">…</Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
