import { Badge, Group, Progress, Text } from '@mantine/core';
import { deliveredProgress, stateColor, stateLabel } from '../format';

// Badges shorten their text with an ellipsis when a table column is narrow; a state or folder must be read whole.
const WHOLE = { minWidth: 'max-content' } as const;

export function StateBadge({ state }: { state: string }) {
  return (
    <Badge color={stateColor(state)} variant="light" style={WHOLE}>
      {stateLabel(state)}
    </Badge>
  );
}

/** Emergency is marked in red and in words, so it stands out without relying on colour. */
export function FolderBadge({ folder }: { folder: string }) {
  return folder === 'emergency' ? (
    <Badge color="red" variant="filled" style={WHOLE}>
      Emergency
    </Badge>
  ) : (
    <Badge color="gray" variant="outline" style={WHOLE}>
      {folder === 'elective' ? 'Elective' : folder}
    </Badge>
  );
}

export function DeliveredProgress({ delivered, total, label }: { delivered: number; total: number; label: string }) {
  const progress = deliveredProgress(delivered, total);
  return (
    <Group gap="xs" wrap="nowrap">
      <Progress value={progress.percent} w={48} aria-label={label} />
      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
        {progress.text}
      </Text>
    </Group>
  );
}
