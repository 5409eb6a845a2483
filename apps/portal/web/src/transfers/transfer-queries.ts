import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { queryString } from '../api/client';
import type { TransferCancel, TransferDetail, TransferPage, TransferRetry } from '../api/types';
import { useSession } from '../session/session-context';
import { anyInFlight, transferApiQuery, type TransferFilters, type TransferListing } from './transfer-filters';

/** How often a page with a transfer in flight asks again. */
export const IN_FLIGHT_REFRESH_MS = 3000;

export const transferKeys = {
  all: ['transfers'] as const,
  list: (filters: TransferFilters, listing: TransferListing) => ['transfers', 'list', filters, listing] as const,
  detail: (id: string) => ['transfers', 'detail', id] as const,
};

/** One page of transfers, paged and sorted by the server; the page shown stays while the next loads. */
export function useTransfers(filters: TransferFilters, listing: TransferListing) {
  const { api } = useSession();
  return useQuery({
    queryKey: transferKeys.list(filters, listing),
    queryFn: () => api.get<TransferPage>(`/api/transfers${queryString(transferApiQuery(filters, listing))}`),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (anyInFlight(query.state.data?.items) ? IN_FLIGHT_REFRESH_MS : false),
  });
}

export function useTransfer(id: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: transferKeys.detail(id),
    queryFn: () => api.get<TransferDetail>(`/api/transfers/${encodeURIComponent(id)}`),
    refetchInterval: (query) => (query.state.data && anyInFlight([query.state.data]) ? IN_FLIGHT_REFRESH_MS : false),
  });
}

/** "Retry now" or "Cancel" on a transfer; the server audits both. Every transfer query is asked again after. */
export function useTransferAction<A extends 'retry' | 'cancel'>(action: A) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      api.post<A extends 'retry' ? TransferRetry : TransferCancel>(
        `/api/transfers/${encodeURIComponent(id)}/${action}`,
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: transferKeys.all }),
  });
}
