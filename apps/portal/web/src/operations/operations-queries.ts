import { useMutation } from '@tanstack/react-query';
import type { NodeEcho } from '../api/types';
import { useSession } from '../session/session-context';

/** "C-ECHO now" for one node: the server echoes it from the hub's AE and audits it. */
export function useNodeEcho(aeTitle: string) {
  const { api } = useSession();
  return useMutation({
    mutationKey: ['operations', 'echo', aeTitle],
    mutationFn: () => api.post<NodeEcho>(`/api/operations/nodes/${encodeURIComponent(aeTitle)}/echo`),
  });
}
