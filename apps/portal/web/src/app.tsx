import { MantineProvider, createTheme } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { ApiError } from './api/client';
import { AppLayout } from './layout/app-layout';
import { NAV_ITEMS, homePathFor } from './layout/nav-links';
import { NotBuiltPage } from './placeholder/not-built-page';
import { LoginPage } from './session/login-page';
import { NoticePage } from './session/notice-page';
import { SessionProvider, useSession } from './session/session-context';
import { TransferDetailPage } from './transfers/transfer-detail-page';
import { TransfersPage } from './transfers/transfers-page';

// System fonts only: nothing is fetched from the internet at run time.
const theme = createTheme({ primaryColor: 'blue', defaultRadius: 'sm' });

function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A refused or missing resource will not change by asking again.
        retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
        refetchOnWindowFocus: false,
      },
    },
  });
}

/** Log-in, then the audit notice, then the pages: no route that shows data renders before the notice is acknowledged. */
function Gate() {
  const session = useSession();
  if (!session.current) {
    return <LoginPage />;
  }
  if (!session.current.noticeAcknowledged) {
    return <NoticePage />;
  }
  const permissions = session.current.user.permissions;
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<Navigate to={homePathFor(permissions)} replace />} />
        {session.can('transfers:read') && (
          <>
            <Route path="transfers" element={<TransfersPage />} />
            <Route path="transfers/:transferId" element={<TransferDetailPage />} />
          </>
        )}
        {NAV_ITEMS.filter((item) => item.built === 'no' && permissions.includes(item.permission)).map((item) => (
          <Route key={item.path} path={item.path.slice(1)} element={<NotBuiltPage title={item.label} />} />
        ))}
        <Route path="*" element={<NotBuiltPage title="Page not found" missing />} />
      </Route>
    </Routes>
  );
}

export function App() {
  const [queryClient] = useState(newQueryClient);
  return (
    <MantineProvider theme={theme}>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <SessionProvider>
            <Gate />
          </SessionProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
