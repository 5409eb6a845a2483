import { Alert, Container, Loader, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useParams } from 'react-router';
import { StudyViewer } from './study-viewer';

interface OpenedLink {
  linkId: string;
  studyInstanceUid: string;
  expiresAt: string;
  dicomwebRoot: string;
}

/** A secure viewer link: no log-in, one study, every opening audited by the hub. */
export function LinkViewerPage() {
  const { token = '' } = useParams();
  const [link, setLink] = useState<OpenedLink | null>(null);
  const [refused, setRefused] = useState<string | null>(null);

  useEffect(() => {
    void (async () => {
      const response = await fetch(`/api/viewer-links/${encodeURIComponent(token)}`, { credentials: 'omit' });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { message?: string } | null;
        setRefused(body?.message ?? `HTTP ${response.status}`);
        return;
      }
      setLink((await response.json()) as OpenedLink);
    })();
  }, [token]);

  return (
    <Container size="xl" py="md">
      <Stack gap="sm">
        <Title order={1} size="h3">
          Shared study
        </Title>
        {refused && (
          <Alert color="red" title="This link does not open">
            {refused}
          </Alert>
        )}
        {!link && !refused && <Loader aria-label="Opening the link" />}
        {link && (
          <>
            <Text size="sm" c="dimmed">
              {`Access to this study is audited. The link works until ${new Date(link.expiresAt).toLocaleString()}.`}
            </Text>
            <StudyViewer root={link.dicomwebRoot} studyInstanceUid={link.studyInstanceUid} />
          </>
        )}
      </Stack>
    </Container>
  );
}
