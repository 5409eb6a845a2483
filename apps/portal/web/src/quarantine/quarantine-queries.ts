import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { QuarantinedStudy } from '../api/types';
import { useSession } from '../session/session-context';
import { transferKeys } from '../transfers/transfer-queries';

export const quarantineKeys = { all: ['quarantine'] as const };

export function useQuarantine() {
  const { api } = useSession();
  return useQuery({ queryKey: quarantineKeys.all, queryFn: () => api.get<QuarantinedStudy[]>('/api/quarantine') });
}

/** Release (route again) or discard a quarantined study; both are audited by the server. */
export function useQuarantineAction(action: 'release' | 'discard') {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (studyId: string) => api.post<unknown>(`/api/quarantine/${encodeURIComponent(studyId)}/${action}`),
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: quarantineKeys.all });
      await queryClient.invalidateQueries({ queryKey: transferKeys.all });
    },
  });
}
