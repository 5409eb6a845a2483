import { Alert, Button, Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { createStackViewer, imageIdsFor, initCornerstone, setViewerHeaders } from './cornerstone';
import { type SeriesSummary, listSeries, seriesMetadata } from './dicomweb';

/**
 * One study in the browser: its series to choose from, and the chosen series as a stack (drag for
 * window/level, middle-drag to pan, right-drag to zoom, wheel to scroll through it).
 */
export function StudyViewer(props: { root: string; studyInstanceUid: string; headers?: Record<string, string> }) {
  const { root, studyInstanceUid } = props;
  const element = useRef<HTMLDivElement>(null);
  const viewer = useRef<ReturnType<typeof createStackViewer> | null>(null);
  const [series, setSeries] = useState<SeriesSummary[] | null>(null);
  const [current, setCurrent] = useState<string | null>(null);
  const [status, setStatus] = useState<string>('Loading the study…');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    setViewerHeaders(props.headers ?? {});
    void (async () => {
      try {
        await initCornerstone();
        const found = await listSeries(root, studyInstanceUid, props.headers);
        if (cancelled || !element.current) {
          return;
        }
        viewer.current = createStackViewer(element.current);
        setSeries(found);
        setCurrent(found[0]?.seriesInstanceUid ?? null);
      } catch (caught) {
        setError((caught as Error).message);
      }
    })();
    return () => {
      cancelled = true;
      viewer.current?.destroy();
      viewer.current = null;
    };
  }, [root, studyInstanceUid, props.headers]);

  useEffect(() => {
    if (!current || !viewer.current) {
      return;
    }
    const shown = viewer.current;
    setStatus('Loading the series…');
    void (async () => {
      try {
        const metadata = await seriesMetadata(root, studyInstanceUid, current, props.headers);
        await shown.show(imageIdsFor(root, studyInstanceUid, metadata));
        setStatus(`${metadata.length} image${metadata.length === 1 ? '' : 's'}`);
      } catch (caught) {
        setError((caught as Error).message);
      }
    })();
  }, [current, root, studyInstanceUid, props.headers]);

  return (
    <Group align="flex-start" wrap="nowrap" gap="md">
      <Stack gap="xs" w={220} aria-label="Series">
        <Title order={3} size="h5">
          Series
        </Title>
        {series === null && !error && <Loader size="sm" aria-label="Loading series" />}
        {series?.map((item) => (
          <Button
            key={item.seriesInstanceUid}
            variant={item.seriesInstanceUid === current ? 'filled' : 'light'}
            onClick={() => setCurrent(item.seriesInstanceUid)}
            aria-pressed={item.seriesInstanceUid === current}
          >
            {`Series ${item.seriesNumber ?? '?'} ${item.modality} (${item.instances})`}
          </Button>
        ))}
      </Stack>
      <Stack gap="xs" style={{ flex: 1 }}>
        {error && (
          <Alert color="red" title="The viewer could not load the study">
            {error}
          </Alert>
        )}
        <Paper withBorder>
          <div
            ref={element}
            role="img"
            aria-label="Image viewport"
            onContextMenu={(event) => event.preventDefault()}
            style={{ width: '100%', height: 560, background: 'black' }}
          />
        </Paper>
        <Text size="sm" c="dimmed">
          {status} · drag: window/level · right-drag: zoom · middle-drag: pan · wheel: scroll
        </Text>
      </Stack>
    </Group>
  );
}
