import type { SessionUser } from '../api/types';

/** As the server decides (libs/routing transfer-actions.service.ts): the states each action accepts. */
const RETRYABLE: readonly string[] = ['queued', 'failed', 'partially-delivered'];
const CANCELLABLE: readonly string[] = [
  'queued',
  'delivering',
  'failed',
  'partially-delivered',
  'awaiting-pull',
  'suspended',
];

/**
 * Which of "Retry now" and "Cancel" to offer on a transfer: operators on any, a trust-admin on those its trust
 * receives, each only in a state that allows it. The server checks again.
 */
export function transferActions(
  user: Pick<SessionUser, 'permissions' | 'trust'> | undefined,
  transfer: { state: string; recipient: string },
): { retry: boolean; cancel: boolean } {
  const mayManage =
    user !== undefined &&
    user.permissions.includes('transfers:manage') &&
    (user.trust === null || user.trust === transfer.recipient);
  return {
    retry: mayManage && RETRYABLE.includes(transfer.state),
    cancel: mayManage && CANCELLABLE.includes(transfer.state),
  };
}
