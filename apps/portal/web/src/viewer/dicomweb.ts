// The few DICOMweb calls the viewer makes, against a root such as /dicomweb/links/{token}.

export type DicomJson = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;

export interface SeriesSummary {
  seriesInstanceUid: string;
  modality: string;
  seriesNumber: number | null;
  instances: number;
}

export const first = (dataset: DicomJson, tag: string): unknown => dataset[tag]?.Value?.[0];

async function getJson<T>(url: string, headers: Record<string, string>): Promise<T> {
  const response = await fetch(url, { headers: { Accept: 'application/dicom+json', ...headers }, credentials: 'omit' });
  if (!response.ok) {
    throw new Error(`${response.status}: ${(await response.text()).slice(0, 200)}`);
  }
  return (await response.json()) as T;
}

export async function listSeries(
  root: string,
  studyInstanceUid: string,
  headers: Record<string, string> = {},
): Promise<SeriesSummary[]> {
  const series = await getJson<DicomJson[]>(`${root}/studies/${studyInstanceUid}/series`, headers);
  return series
    .map((item) => ({
      seriesInstanceUid: String(first(item, '0020000E') ?? ''),
      modality: String(first(item, '00080060') ?? ''),
      seriesNumber: (first(item, '00200011') as number | undefined) ?? null,
      instances: Number(first(item, '00201209') ?? 0),
    }))
    .sort((a, b) => (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0));
}

export function seriesMetadata(
  root: string,
  studyInstanceUid: string,
  seriesInstanceUid: string,
  headers: Record<string, string> = {},
): Promise<DicomJson[]> {
  return getJson<DicomJson[]>(`${root}/studies/${studyInstanceUid}/series/${seriesInstanceUid}/metadata`, headers);
}
