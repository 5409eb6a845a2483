import { MantineProvider, createTheme } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Suspense, lazy, useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { ApiError } from './api/client';
import { AgreementsPage } from './agreements/agreements-page';
import { AuditPage } from './audit/audit-page';
import { FetchesPage } from './fetches/fetches-page';
import { FindItPage } from './find-it/find-it-page';
import { AppLayout } from './layout/app-layout';
import { homePathFor } from './layout/nav-links';
import { NotFoundPage } from './layout/not-found-page';
import { OperationsPage } from './operations/operations-page';
import { QuarantinePage } from './quarantine/quarantine-page';
import { LoginPage } from './session/login-page';
import { NoticePage } from './session/notice-page';
import { PasswordPage } from './session/password-page';
import { SessionProvider, useSession } from './session/session-context';
import { TransferDetailPage } from './transfers/transfer-detail-page';
import { TransfersPage } from './transfers/transfers-page';
import { UsersPage } from './users/users-page';

// The viewer (Cornerstone3D and its codecs) is a chunk of its own, loaded only when a viewer page opens.
const LinkViewerPage = lazy(() =>
  import('./viewer/link-viewer-page').then((module) => ({ default: module.LinkViewerPage })),
);

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
        {session.can('quarantine:read') && <Route path="quarantine" element={<QuarantinePage />} />}
        {session.can('agreements:read') && <Route path="agreements" element={<AgreementsPage />} />}
        {session.can('audit:read') && <Route path="audit" element={<AuditPage />} />}
        {session.can('find-it:search') && <Route path="find-it" element={<FindItPage />} />}
        {session.can('fetches:read') && <Route path="fetches" element={<FetchesPage />} />}
        {session.can('users:manage') && <Route path="users" element={<UsersPage />} />}
        {session.can('operations:read') && <Route path="operations" element={<OperationsPage />} />}
        <Route path="account/password" element={<PasswordPage />} />
        <Route path="*" element={<NotFoundPage />} />
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
          <Routes>
            {/* A secure viewer link opens without a log-in: outside the session gate. */}
            <Route
              path="viewer/links/:token"
              element={
                <Suspense fallback={null}>
                  <LinkViewerPage />
                </Suspense>
              }
            />
            <Route
              path="*"
              element={
                <SessionProvider>
                  <Gate />
                </SessionProvider>
              }
            />
          </Routes>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
