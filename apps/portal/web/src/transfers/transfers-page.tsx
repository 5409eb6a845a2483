import {
  Alert,
  Button,
  Checkbox,
  Group,
  Loader,
  NativeSelect,
  Pagination,
  Paper,
  Progress,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  UnstyledButton,
} from '@mantine/core';
import {
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  useReactTable,
  type PaginationState,
  type SortingState,
  type Updater,
} from '@tanstack/react-table';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { FOLDERS, TRANSFER_STATES, type TransferListItem } from '../api/types';
import { formatDateTime, formatDicomDate, stateLabel, timeLeft } from '../format';
import { useSession } from '../session/session-context';
import { DeliveredProgress, FolderBadge, StateBadge } from './transfer-badges';
import {
  anyInFlight,
  DEFAULT_LISTING,
  normalizeTransferFilters,
  pageCount,
  parseTransferFilters,
  SORTABLE_COLUMNS,
  sortColumn,
  transferFiltersToParams,
  type TransferFilters,
  type TransferListing,
} from './transfer-filters';
import { useTransfers } from './transfer-queries';

const column = createColumnHelper<TransferListItem>();

const columns = [
  column.accessor('createdAt', {
    header: 'Received',
    cell: (info) => formatDateTime(info.getValue()),
  }),
  column.accessor((row) => `${row.sender} → ${row.recipient}`, {
    id: 'exchange',
    header: 'Sender → recipient',
    cell: (info) => (
      <Link
        to={`/transfers/${info.row.original.id}`}
        aria-label={`Transfer ${info.getValue()}, received ${formatDateTime(info.row.original.createdAt)}`}
      >
        {info.getValue()}
      </Link>
    ),
  }),
  column.accessor('folder', { header: 'Folder', cell: (info) => <FolderBadge folder={info.getValue()} /> }),
  column.accessor('state', { header: 'State', cell: (info) => <StateBadge state={info.getValue()} /> }),
  column.accessor((row) => (row.instances > 0 ? row.delivered / row.instances : 0), {
    id: 'delivered',
    enableSorting: false,
    header: 'Delivered',
    cell: (info) => (
      <DeliveredProgress
        delivered={info.row.original.delivered}
        total={info.row.original.instances}
        label={`${info.row.original.delivered} of ${info.row.original.instances} instances delivered`}
      />
    ),
  }),
  column.accessor((row) => row.study.modalities.join(', '), {
    id: 'modality',
    header: 'Modality',
    enableSorting: false,
  }),
  column.accessor((row) => row.study.studyDate ?? '', {
    id: 'studyDate',
    header: 'Study date',
    cell: (info) => <span style={{ whiteSpace: 'nowrap' }}>{formatDicomDate(info.getValue())}</span>,
  }),
  column.accessor((row) => row.study.studyDescription ?? '', {
    id: 'description',
    header: 'Description',
    enableSorting: false,
    cell: (info) => (
      <Text size="sm" lineClamp={2} maw={160}>
        {info.getValue() || '—'}
      </Text>
    ),
  }),
  column.accessor('hasReport', { header: 'Report', cell: (info) => (info.getValue() ? 'Yes' : 'No') }),
  column.accessor('expiresAt', {
    header: 'Time left',
    cell: (info) => <span style={{ whiteSpace: 'nowrap' }}>{timeLeft(info.getValue())}</span>,
  }),
  column.accessor((row) => row.lastError ?? '', {
    id: 'lastError',
    header: 'Last error',
    enableSorting: false,
    cell: (info) =>
      info.getValue() ? (
        <Text size="sm" c="red.8" lineClamp={2} maw={180} title={info.getValue()}>
          {info.getValue()}
        </Text>
      ) : (
        '—'
      ),
  }),
];

function FilterForm({
  filters,
  onApply,
  byTrust,
}: {
  filters: TransferFilters;
  onApply: (filters: TransferFilters) => void;
  /** Users who see every trust may narrow the list to one. */
  byTrust: boolean;
}) {
  const [draft, setDraft] = useState<TransferFilters>(filters);
  useEffect(() => setDraft(filters), [filters]);
  const set = <K extends keyof TransferFilters>(key: K, value: TransferFilters[K]) =>
    setDraft((previous) => ({ ...previous, [key]: value === '' ? undefined : value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} role="search" aria-label="Filter transfers">
      <Stack gap="sm">
        <Group align="flex-end" gap="sm">
          <NativeSelect
            label="State"
            w={180}
            value={draft.state ?? ''}
            onChange={(event) => set('state', event.currentTarget.value as TransferFilters['state'])}
            data={[
              { value: '', label: 'Any' },
              ...TRANSFER_STATES.map((state) => ({ value: state, label: stateLabel(state) })),
            ]}
          />
          {byTrust && (
            <TextInput
              label="Trust"
              placeholder="ODS code"
              w={110}
              value={draft.trust ?? ''}
              onChange={(event) => set('trust', event.currentTarget.value)}
            />
          )}
          <NativeSelect
            label="Folder"
            w={140}
            value={draft.folder ?? ''}
            onChange={(event) => set('folder', event.currentTarget.value as TransferFilters['folder'])}
            data={[
              { value: '', label: 'Any' },
              ...FOLDERS.map((folder) => ({ value: folder, label: folder === 'emergency' ? 'Emergency' : 'Elective' })),
            ]}
          />
          <TextInput
            label="From"
            type="date"
            w={160}
            value={draft.from ?? ''}
            onChange={(event) => set('from', event.currentTarget.value)}
          />
          <TextInput
            label="To"
            type="date"
            w={160}
            value={draft.to ?? ''}
            onChange={(event) => set('to', event.currentTarget.value)}
          />
          <Checkbox
            label="Without report"
            checked={draft.withoutReport ?? false}
            onChange={(event) => set('withoutReport', event.currentTarget.checked || undefined)}
            mb={8}
          />
        </Group>
        <Group align="flex-end" gap="sm">
          <TextInput
            label="Study Instance UID"
            value={draft.studyInstanceUid ?? ''}
            onChange={(event) => set('studyInstanceUid', event.currentTarget.value)}
            w={380}
            maw="100%"
            spellCheck={false}
          />
          <TextInput
            label="Patient ID"
            value={draft.patientId ?? ''}
            onChange={(event) => set('patientId', event.currentTarget.value)}
            w={150}
            spellCheck={false}
          />
          <TextInput
            label="Accession number"
            value={draft.accessionNumber ?? ''}
            onChange={(event) => set('accessionNumber', event.currentTarget.value)}
            w={160}
            spellCheck={false}
          />
          <Button type="submit">Search</Button>
          <Button variant="default" onClick={() => onApply({})}>
            Clear
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

function resolve<T>(updater: Updater<T>, previous: T): T {
  return typeof updater === 'function' ? (updater as (old: T) => T)(previous) : updater;
}

export function TransfersPage() {
  const session = useSession();
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = useMemo(() => parseTransferFilters(searchParams), [searchParams]);
  const [listing, setListing] = useState<TransferListing>(DEFAULT_LISTING);
  const transfers = useTransfers(filters, listing);
  useEffect(() => {
    document.title = 'Transfers · Image Exchange Hub';
  }, []);
  useEffect(() => setListing((previous) => ({ ...previous, page: 1 })), [filters]);

  // The server sorts and pages: the table shows the page it was sent, in the order it was sent.
  const sorting: SortingState = [{ id: sortColumn(listing.sort), desc: listing.order === 'desc' }];
  const pagination: PaginationState = { pageIndex: listing.page - 1, pageSize: listing.pageSize };
  const total = transfers.data?.total ?? 0;
  const table = useReactTable({
    data: transfers.data?.items ?? [],
    columns,
    state: { sorting, pagination },
    manualSorting: true,
    manualPagination: true,
    rowCount: total,
    onSortingChange: (updater) => {
      const [next] = resolve(updater, sorting);
      const sort = next ? SORTABLE_COLUMNS[next.id] : undefined;
      if (next && sort) {
        setListing((previous) => ({ ...previous, page: 1, sort, order: next.desc ? 'desc' : 'asc' }));
      }
    },
    onPaginationChange: (updater) => {
      const next = resolve(updater, pagination);
      setListing((previous) => ({ ...previous, page: next.pageIndex + 1, pageSize: next.pageSize }));
    },
    getCoreRowModel: getCoreRowModel(),
    enableSortingRemoval: false,
  });
  // Searching again with the same filters asks the server again rather than showing the cached answer.
  const apply = (next: TransferFilters) => {
    const params = transferFiltersToParams(normalizeTransferFilters(next));
    if (params.toString() === transferFiltersToParams(filters).toString()) {
      void transfers.refetch();
    } else {
      setSearchParams(params);
    }
  };
  const first = (listing.page - 1) * listing.pageSize;
  const pages = pageCount(total, listing.pageSize);
  const inFlight = anyInFlight(transfers.data?.items);

  return (
    <Stack>
      <Title order={1}>Transfers</Title>
      <FilterForm filters={filters} onApply={apply} byTrust={session.current?.user.trust === null} />
      {transfers.isError && (
        <Alert color="red" role="alert" title="Could not load transfers">
          {transfers.error.message}
        </Alert>
      )}
      <Group justify="space-between" mih={28}>
        <Text size="sm" role="status">
          {transfers.isPending
            ? 'Loading…'
            : total === 0
              ? 'No transfers match.'
              : `Showing ${first + 1}–${Math.min(first + listing.pageSize, total)} of ${total}`}
        </Text>
        {inFlight && (
          <Group gap="xs" wrap="nowrap">
            {transfers.isFetching ? <Loader size="xs" /> : null}
            <Text size="sm">Transfers in flight: refreshing every few seconds</Text>
          </Group>
        )}
      </Group>
      {inFlight && <Progress value={100} animated striped size="xs" aria-label="Refreshing while in flight" />}
      <Table.ScrollContainer minWidth={1000}>
        <Table striped highlightOnHover withTableBorder verticalSpacing="xs" horizontalSpacing="xs" fz="sm">
          <Table.Caption>
            Transfers, newest first unless sorted otherwise. Select a column heading with an arrow to sort.
          </Table.Caption>
          <Table.Thead>
            {table.getHeaderGroups().map((group) => (
              <Table.Tr key={group.id}>
                {group.headers.map((header) => {
                  const sorted = header.column.getIsSorted();
                  return (
                    <Table.Th
                      key={header.id}
                      scope="col"
                      aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
                    >
                      {header.column.getCanSort() ? (
                        <UnstyledButton onClick={header.column.getToggleSortingHandler()} fw={700} fz="sm">
                          {flexRender(header.column.columnDef.header, header.getContext())}
                          <span aria-hidden> {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}</span>
                        </UnstyledButton>
                      ) : (
                        flexRender(header.column.columnDef.header, header.getContext())
                      )}
                    </Table.Th>
                  );
                })}
              </Table.Tr>
            ))}
          </Table.Thead>
          <Table.Tbody>
            {table.getRowModel().rows.map((row) => (
              <Table.Tr key={row.id}>
                {row.getVisibleCells().map((cell) => (
                  <Table.Td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {pages > 1 && (
        <Pagination
          total={pages}
          value={listing.page}
          onChange={(page) => table.setPageIndex(page - 1)}
          getControlProps={(control) => ({ 'aria-label': `${control} page` })}
          getItemProps={(page) => ({ 'aria-label': `Page ${page}` })}
        />
      )}
    </Stack>
  );
}
