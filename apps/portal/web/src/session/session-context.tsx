import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { ApiClient } from '../api/client';
import type { LoginResult, Permission, SessionUser } from '../api/types';

interface SessionState {
  token: string;
  user: SessionUser;
  notice: string;
  expiresAt: string;
  noticeAcknowledged: boolean;
}

export interface Session {
  /** null until logged in; the token is held here, in memory only. */
  current: Omit<SessionState, 'token'> | null;
  /** Why the last session ended (expired, logged out elsewhere), shown on the log-in page. */
  endedBecause: string | null;
  api: ApiClient;
  start(login: LoginResult): void;
  acknowledgeNotice(): Promise<void>;
  logOut(): Promise<void>;
  can(permission: Permission): boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [state, setState] = useState<SessionState | null>(null);
  const [endedBecause, setEndedBecause] = useState<string | null>(null);

  const end = useCallback(
    (reason: string | null) => {
      setState(null);
      setEndedBecause(reason);
      // Nothing a previous user saw may stay in memory for the next one.
      queryClient.clear();
    },
    [queryClient],
  );

  const api = useMemo(
    () => new ApiClient(state?.token ?? null, () => end('Your session has ended. Please log in again.')),
    [state?.token, end],
  );

  useEffect(() => {
    if (!state) {
      return undefined;
    }
    const left = new Date(state.expiresAt).getTime() - Date.now();
    const timer = setTimeout(() => end('Your session has expired. Please log in again.'), Math.max(left, 0));
    return () => clearTimeout(timer);
  }, [state, end]);

  const value = useMemo<Session>(
    () => ({
      current: state && {
        user: state.user,
        notice: state.notice,
        expiresAt: state.expiresAt,
        noticeAcknowledged: state.noticeAcknowledged,
      },
      endedBecause,
      api,
      start(login) {
        setEndedBecause(null);
        setState({
          token: login.token,
          user: login.user,
          notice: login.notice,
          expiresAt: login.expiresAt,
          noticeAcknowledged: false,
        });
      },
      async acknowledgeNotice() {
        await api.post('/api/auth/notice-acknowledgement');
        setState((previous) => previous && { ...previous, noticeAcknowledged: true });
      },
      async logOut() {
        try {
          await api.post('/api/auth/logout');
        } finally {
          end(null);
          // The next person at this screen should not find the last one's search (a patient ID) in the address.
          void navigate('/', { replace: true });
        }
      },
      can: (permission) => state?.user.permissions.includes(permission) ?? false,
    }),
    [state, endedBecause, api, end, navigate],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) {
    throw new Error('useSession outside SessionProvider');
  }
  return session;
}
