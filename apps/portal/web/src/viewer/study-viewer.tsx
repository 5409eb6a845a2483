import { Alert, Anchor, Button, Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { createStackViewer, drawThumbnail, imageIdsFor, initCornerstone, setViewerHeaders } from './cornerstone';
import { type DicomJson, type SeriesSummary, first, listSeries, seriesMetadata } from './dicomweb';
import { reportLines, reportTitle } from './report-text';

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
  /** Reports and documents are read, not viewed as a stack: their instances when the series holds them. */
  const [documents, setDocuments] = useState<DicomJson[] | null>(null);

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
        const readable = metadata.filter((instance) => instance['0040A730'] || instance['00420011']);
        setDocuments(readable.length > 0 ? readable : null);
        if (readable.length > 0) {
          setStatus(`${readable.length} document${readable.length === 1 ? '' : 's'}`);
          return;
        }
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
          <Stack key={item.seriesInstanceUid} gap={4}>
            {!DOCUMENT_MODALITIES.has(item.modality) && (
              <SeriesThumbnail root={root} studyInstanceUid={studyInstanceUid} series={item} headers={props.headers} />
            )}
            <Button
              variant={item.seriesInstanceUid === current ? 'filled' : 'light'}
              onClick={() => setCurrent(item.seriesInstanceUid)}
              aria-pressed={item.seriesInstanceUid === current}
            >
              {`Series ${item.seriesNumber ?? '?'} ${item.modality} (${item.instances})`}
            </Button>
          </Stack>
        ))}
      </Stack>
      <Stack gap="xs" style={{ flex: 1 }}>
        {error && (
          <Alert color="red" title="The viewer could not load the study">
            {error}
          </Alert>
        )}
        {documents?.map((document) => (
          <DocumentView
            key={String(first(document, '00080018'))}
            document={document}
            renderedUrl={`${root}/studies/${studyInstanceUid}/series/${String(first(document, '0020000E'))}/instances/${String(first(document, '00080018'))}/rendered`}
          />
        ))}
        <Paper withBorder style={{ display: documents ? 'none' : undefined }}>
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

/** An SR report as text, or an encapsulated document (a PDF) to open in the browser's own reader. */
function DocumentView({ document, renderedUrl }: { document: DicomJson; renderedUrl: string }) {
  if (document['00420011']) {
    const title = String(first(document, '00420010') ?? 'Document');
    const type = String(first(document, '00420012') ?? '');
    return (
      <Paper withBorder p="md">
        <Anchor href={renderedUrl} target="_blank" rel="noopener">
          {`Open ${title}${type === 'application/pdf' ? ' (PDF)' : ''}`}
        </Anchor>
      </Paper>
    );
  }
  return (
    <Paper withBorder p="md" role="article" aria-label={reportTitle(document)}>
      <Title order={3} size="h4">
        {reportTitle(document)}
      </Title>
      {reportLines(document).map((line, index) => (
        <Text key={index} size="sm" pl={line.depth * 16}>
          {line.text ? (
            <>
              <Text span fw={600} size="sm">{`${line.name}: `}</Text>
              {line.text}
            </>
          ) : (
            <Text span fw={600} size="sm">
              {line.name}
            </Text>
          )}
        </Text>
      ))}
    </Paper>
  );
}

const DOCUMENT_MODALITIES = new Set(['SR', 'DOC', 'KO', 'PR']);

/** The series' middle image, small, drawn once its metadata is in. */
function SeriesThumbnail(props: {
  root: string;
  studyInstanceUid: string;
  series: SeriesSummary;
  headers?: Record<string, string>;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { root, studyInstanceUid, series, headers } = props;
  useEffect(() => {
    void (async () => {
      const metadata = await seriesMetadata(root, studyInstanceUid, series.seriesInstanceUid, headers);
      const ids = imageIdsFor(root, studyInstanceUid, metadata);
      if (canvas.current && ids.length > 0) {
        await drawThumbnail(canvas.current, ids[Math.floor(ids.length / 2)]);
      }
    })().catch(() => undefined);
  }, [root, studyInstanceUid, series.seriesInstanceUid, headers]);
  return (
    <canvas
      ref={canvas}
      width={128}
      height={128}
      aria-label={`Thumbnail of series ${series.seriesNumber ?? '?'}`}
      role="img"
      style={{ width: 128, height: 128, background: 'black' }}
    />
  );
}
