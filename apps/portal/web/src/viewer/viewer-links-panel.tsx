import { Alert, Button, CopyButton, Group, Stack, Table, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { formatDateTime } from '../format';
import { useSession } from '../session/session-context';

interface ViewerLink {
  id: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  state: 'active' | 'expired' | 'revoked';
}

interface NewViewerLink extends ViewerLink {
  token: string;
  url: string;
}

const linksKey = (studyId: string) => ['viewer-links', studyId] as const;

/**
 * "View" and secure viewer links for a study in the user's trust's folder: open it in the viewer now, or make a
 * link (72 h by default, never past the folder's retention) whose text can go into a report for a GP; revoke one.
 */
export function ViewerLinksPanel({ studyId, recipient }: { studyId: string; recipient: string }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const [made, setMade] = useState<NewViewerLink | null>(null);
  const user = session.current?.user;
  const allowed = session.can('viewer-links:manage') && (user?.trust === null || user?.trust === recipient);
  const links = useQuery({
    queryKey: linksKey(studyId),
    queryFn: () => session.api.get<ViewerLink[]>(`/api/studies/${studyId}/links`),
    enabled: allowed,
  });
  const create = useMutation({
    mutationFn: (hours?: number) =>
      session.api.post<NewViewerLink>(`/api/studies/${studyId}/links`, hours ? { hours } : {}),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: linksKey(studyId) }),
  });
  const revoke = useMutation({
    mutationFn: (linkId: string) => session.api.delete<ViewerLink>(`/api/studies/${studyId}/links/${linkId}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: linksKey(studyId) }),
  });
  if (!allowed) {
    return null;
  }
  const absolute = (url: string) => `${window.location.origin}${url}`;
  return (
    <Stack gap="xs">
      <Title order={2} size="h3">
        Viewer
      </Title>
      <Group gap="xs">
        <Button
          variant="light"
          loading={create.isPending && create.variables === 1}
          onClick={() =>
            create.mutate(1, { onSuccess: (link) => window.open(absolute(link.url), '_blank', 'noopener') })
          }
        >
          Open in viewer
        </Button>
        <Button
          variant="default"
          loading={create.isPending && create.variables === undefined}
          onClick={() => create.mutate(undefined, { onSuccess: (link) => setMade(link) })}
        >
          Make a viewer link
        </Button>
      </Group>
      {made && (
        <Group gap="xs" align="flex-end">
          <TextInput
            label="Viewer link"
            description={`Opens this study alone, without a log-in, until ${formatDateTime(made.expiresAt)}; every opening is audited.`}
            value={absolute(made.url)}
            readOnly
            style={{ flex: 1 }}
          />
          <CopyButton value={absolute(made.url)}>
            {({ copied, copy }) => (
              <Button variant="default" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </Group>
      )}
      {(create.error ?? revoke.error) && (
        <Alert color="red" role="alert" title="The hub refused">
          {(create.error ?? revoke.error)!.message}
        </Alert>
      )}
      {links.data && links.data.length > 0 && (
        <Table aria-label="Viewer links" withTableBorder>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Made by</Table.Th>
              <Table.Th scope="col">Made</Table.Th>
              <Table.Th scope="col">Expires</Table.Th>
              <Table.Th scope="col">State</Table.Th>
              <Table.Th scope="col">
                <VisuallyHidden>Action</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {links.data.map((link) => (
              <Table.Tr key={link.id}>
                <Table.Td>{link.createdBy}</Table.Td>
                <Table.Td>{formatDateTime(link.createdAt)}</Table.Td>
                <Table.Td>{formatDateTime(link.expiresAt)}</Table.Td>
                <Table.Td>{link.state}</Table.Td>
                <Table.Td>
                  {link.state === 'active' && (
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      loading={revoke.isPending && revoke.variables === link.id}
                      onClick={() => revoke.mutate(link.id)}
                    >
                      Revoke
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
