import type { ApiErrorBody, LoginResult } from './types';

/** An API answer other than 2xx, with the server's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorMessage(body: unknown, status: number): string {
  // A proxy or a server between the app and the hub may answer with another body, or none.
  const message: unknown = (body as Partial<ApiErrorBody> | null)?.message;
  if (Array.isArray(message)) {
    return message.join('; ');
  }
  return typeof message === 'string' && message !== '' ? message : `request failed (HTTP ${status})`;
}

/** Query parameters without the empty ones, as the API expects them. */
export function queryString(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') {
      search.set(key, value);
    }
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * Calls the API with the session's bearer token. The token lives only in memory (never localStorage), so a
 * reload means logging in again; a 401 ends the session (onUnauthorized sends the user back to log-in).
 */
export class ApiClient {
  constructor(
    private readonly token: string | null,
    private readonly onUnauthorized: () => void,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** A file the API answers (e.g. a CSV export), as a Blob to hand to the browser's download. */
  async blob(path: string): Promise<Blob> {
    const response = await fetch(path, { headers: this.headers(), credentials: 'omit' });
    if (response.status === 401 && this.token) {
      this.onUnauthorized();
    }
    if (!response.ok) {
      throw new ApiError(response.status, errorMessage(await response.json().catch(() => null), response.status));
    }
    return response.blob();
  }

  private headers(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.headers() };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
    });
    if (response.status === 401 && this.token) {
      this.onUnauthorized();
    }
    if (response.status === 204) {
      return undefined as T;
    }
    const data: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiError(response.status, errorMessage(data, response.status));
    }
    return data as T;
  }
}

export async function logIn(username: string, password: string): Promise<LoginResult> {
  return new ApiClient(null, () => undefined).post<LoginResult>('/api/auth/login', { username, password });
}
