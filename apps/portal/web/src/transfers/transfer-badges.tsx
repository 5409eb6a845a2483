import { Badge, Group, Progress, Text } from '@mantine/core';
import { deliveredProgress, stateColor, stateLabel } from '../format';

export function StateBadge({ state }: { state: string }) {
  return (
    <Badge color={stateColor(state)} variant="light">
      {stateLabel(state)}
    </Badge>
  );
}

/** Emergency is marked in red and in words, so it stands out without relying on colour. */
export function FolderBadge({ folder }: { folder: string }) {
  return folder === 'emergency' ? (
    <Badge color="red" variant="filled">
      Emergency
    </Badge>
  ) : (
    <Badge color="gray" variant="outline">
      {folder === 'elective' ? 'Elective' : folder}
    </Badge>
  );
}

export function DeliveredProgress({ delivered, total, label }: { delivered: number; total: number; label: string }) {
  const progress = deliveredProgress(delivered, total);
  return (
    <Group gap="xs" wrap="nowrap">
      <Progress value={progress.percent} w={64} aria-label={label} />
      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
        {progress.text}
      </Text>
    </Group>
  );
}
