import { Alert, Anchor, Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import type { OperationsView, PushNodeView } from '../api/types';
import { formatBytes, formatDateTime, waitedFor } from '../format';
import { usePageTitle } from '../layout/page-title';
import { useSession } from '../session/session-context';
import { FolderBadge } from '../transfers/transfer-badges';
import { echoAdvice, echoSummary } from './echo-result';
import { useNodeEcho } from './operations-queries';

interface Health {
  status: string;
  mysql: 'up' | 'down';
  redis: 'up' | 'down';
}

const REFRESH_MS = 10_000;

function UpDown({ up }: { up: boolean }) {
  return (
    <Badge color={up ? 'green' : 'red'} variant="light">
      {up ? 'Up' : 'Down'}
    </Badge>
  );
}

/** "C-ECHO now" for one node, and what the last echo answered, with the node's own error in words. */
function EchoCell({ node }: { node: PushNodeView }) {
  const echo = useNodeEcho(node.aeTitle);
  return (
    <Stack gap={4} align="flex-start">
      <Button
        size="xs"
        variant="light"
        onClick={() => echo.mutate()}
        loading={echo.isPending}
        aria-label={`C-ECHO now: ${node.aeTitle}`}
      >
        C-ECHO now
      </Button>
      {echo.data &&
        (echo.data.ok ? (
          <Text size="sm" c="green.8" role="status">
            {echoSummary(echo.data)}
          </Text>
        ) : (
          <Text size="sm" c="red.8" role="alert" maw={320}>
            {echoSummary(echo.data)}: {echo.data.message} {echoAdvice(echo.data)}
          </Text>
        ))}
      {echo.error && (
        <Text size="sm" c="red.8" role="alert">
          {echo.error.message}
        </Text>
      )}
    </Stack>
  );
}

export function OperationsPage() {
  usePageTitle('Operations');
  const { api, can } = useSession();
  const health = useQuery({
    queryKey: ['operations', 'health'],
    // 503 means something is down; the page says so rather than failing.
    queryFn: () =>
      api.get<Health>('/api/health').catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 503) {
          return { status: 'degraded', mysql: 'down', redis: 'down' } as Health;
        }
        throw error;
      }),
    refetchInterval: REFRESH_MS,
  });
  const overview = useQuery({
    queryKey: ['operations', 'overview'],
    queryFn: () => api.get<OperationsView>('/api/operations'),
    refetchInterval: REFRESH_MS,
  });
  const storage = overview.data?.storage;
  return (
    <Stack>
      <Title order={1}>Operations</Title>
      <Text size="sm" c="dimmed">
        Refreshes every {REFRESH_MS / 1000} seconds
        {overview.data ? `; last checked ${formatDateTime(overview.data.checkedAt, { seconds: true })}` : ''}.
        &quot;C-ECHO now&quot; checks a node from the hub&apos;s AE title.
      </Text>
      {[health.error, overview.error].map(
        (error) =>
          error && (
            <Alert key={error.message} color="red" role="alert">
              {error.message}
            </Alert>
          ),
      )}
      <Title order={2} size="h3">
        Push nodes
      </Title>
      <Table.ScrollContainer minWidth={900}>
        <Table striped withTableBorder verticalSpacing="xs">
          <Table.Caption>
            Delivery queue per recipient node; the oldest waiting transfer is emergency first.
          </Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Node</Table.Th>
              <Table.Th scope="col">Trust</Table.Th>
              <Table.Th scope="col">Waiting</Table.Th>
              <Table.Th scope="col">Active</Table.Th>
              <Table.Th scope="col">Retrying</Table.Th>
              <Table.Th scope="col">Failed jobs</Table.Th>
              <Table.Th scope="col">Oldest waiting</Table.Th>
              <Table.Th scope="col">Failed rounds, last hour</Table.Th>
              {can('operations:echo') && <Table.Th scope="col">Verification</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(overview.data?.nodes ?? []).map((node) => (
              <Table.Tr key={node.aeTitle}>
                <Table.Th scope="row">
                  {node.aeTitle}
                  <Text size="xs" c="dimmed">
                    {node.host}:{node.port}
                  </Text>
                </Table.Th>
                <Table.Td>{node.trust}</Table.Td>
                <Table.Td>{node.queue.waiting}</Table.Td>
                <Table.Td>{node.queue.active}</Table.Td>
                <Table.Td>{node.queue.delayed}</Table.Td>
                <Table.Td>{node.queue.failed}</Table.Td>
                <Table.Td>
                  {node.oldestWaiting ? (
                    <Group gap="xs" wrap="nowrap">
                      <FolderBadge folder={node.oldestWaiting.folder} />
                      <Anchor component={Link} to={`/transfers/${node.oldestWaiting.transferId}`} size="sm">
                        waiting {waitedFor(node.oldestWaiting.since)}
                      </Anchor>
                    </Group>
                  ) : (
                    'none'
                  )}
                </Table.Td>
                <Table.Td>
                  {node.failuresLastHour > 0 ? (
                    <Badge color="red" variant="light">
                      {node.failuresLastHour}
                    </Badge>
                  ) : (
                    0
                  )}
                </Table.Td>
                {can('operations:echo') && (
                  <Table.Td>
                    <EchoCell node={node} />
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Title order={2} size="h3">
        Services
      </Title>
      <Table withTableBorder variant="vertical" w={460} aria-label="Services">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th scope="row" w={180}>
              MySQL
            </Table.Th>
            <Table.Td>{health.data ? <UpDown up={health.data.mysql === 'up'} /> : '…'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">Redis</Table.Th>
            <Table.Td>{health.data ? <UpDown up={health.data.redis === 'up'} /> : '…'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">Storage disk</Table.Th>
            <Table.Td>
              {storage
                ? `${formatBytes(storage.freeBytes)} free of ${formatBytes(storage.totalBytes)}`
                : overview.data
                  ? 'unknown (the storage directory cannot be read)'
                  : '…'}
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
