import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import type { TransferDetail } from '../api/types';
import { ConfirmButton } from '../layout/confirm-button';
import { useSession } from '../session/session-context';
import { transferActions } from './transfer-actions';
import { useTransferAction } from './transfer-queries';

const JOB_SAID: Record<string, string> = {
  promoted: 'Its delivery was waiting to retry; it runs now.',
  queued: 'Its delivery is queued and runs now.',
  'already-waiting': 'Its delivery was already waiting to run.',
  running: 'Its delivery is running now.',
};

/** "Retry now" and "Cancel" for operators and the recipient trust's trust-admin; both audited by the server. */
export function TransferActionButtons({ transfer }: { transfer: TransferDetail }) {
  const session = useSession();
  const retry = useTransferAction('retry');
  const cancel = useTransferAction('cancel');
  const offered = transferActions(session.current?.user, transfer);
  const error = retry.error ?? cancel.error;
  if (!offered.retry && !offered.cancel && !retry.data && !cancel.data && !error) {
    return null;
  }
  return (
    <Stack gap="xs">
      <Group gap="xs">
        {offered.retry && (
          <Button
            onClick={() => {
              cancel.reset();
              retry.mutate(transfer.id);
            }}
            loading={retry.isPending}
          >
            Retry now
          </Button>
        )}
        {offered.cancel && (
          <ConfirmButton
            label="Cancel"
            confirmLabel="Cancel transfer"
            dismissLabel="Keep it"
            color="red"
            variant="light"
            title="Cancel this transfer?"
            message={`The hub stops delivering it to ${transfer.recipient}, and ${transfer.recipient}'s PACS can no longer pull it. Its files stay until the folder's time is up, then go as for any transfer. This cannot be undone.`}
            onConfirm={() => {
              retry.reset();
              cancel.mutate(transfer.id);
            }}
            loading={cancel.isPending}
          />
        )}
      </Group>
      {error && (
        <Alert color="red" role="alert" title="The hub refused">
          {error.message}
        </Alert>
      )}
      {retry.data && (
        <Text size="sm" role="status">
          Retrying now. {JOB_SAID[retry.data.job] ?? ''}
          {retry.data.instancesRequeued > 0
            ? ` ${retry.data.instancesRequeued} instance(s) the recipient had refused go again.`
            : ''}
        </Text>
      )}
      {cancel.data && (
        <Text size="sm" role="status">
          Cancelled: this transfer will not be delivered.
        </Text>
      )}
    </Stack>
  );
}
