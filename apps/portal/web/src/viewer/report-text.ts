import { type DicomJson, first } from './dicomweb';

/** One line of a structured report as a reader sees it: the concept's name and its text, indented by depth. */
export interface ReportLine {
  depth: number;
  name: string;
  text: string;
}

const items = (dataset: DicomJson, tag: string): DicomJson[] => (dataset[tag]?.Value ?? []) as DicomJson[];

/** The content tree of an SR document (PS3.3 C.17.3) as lines: containers as headings, text and codes as values. */
export function reportLines(dataset: DicomJson, depth = 0): ReportLine[] {
  const lines: ReportLine[] = [];
  for (const item of items(dataset, '0040A730')) {
    const name = String(first(items(item, '0040A043')[0] ?? {}, '00080104') ?? '');
    const type = String(first(item, '0040A040') ?? '');
    const text =
      type === 'TEXT'
        ? String(first(item, '0040A160') ?? '')
        : type === 'CODE'
          ? String(first(items(item, '0040A168')[0] ?? {}, '00080104') ?? '')
          : type === 'NUM'
            ? String(first(items(item, '0040A300')[0] ?? {}, '0040A30A') ?? '')
            : '';
    lines.push({ depth, name, text });
    lines.push(...reportLines(item, depth + 1));
  }
  return lines;
}

/** The report's title: its root concept name. */
export function reportTitle(dataset: DicomJson): string {
  return String(first(items(dataset, '0040A043')[0] ?? {}, '00080104') ?? 'Report');
}
