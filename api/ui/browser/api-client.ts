/// <reference lib="dom" />
/**
 * Every request the page makes: relative to the page (served at `<prefix>/ui/`), so no host or
 * prefix is written anywhere, with the bearer token the user gave kept in sessionStorage (gone when
 * the tab closes).
 */
const TOKEN_KEY = 'agent-telemetry.token';

/** The API said 401: the page asks for a token. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
}

/** Any other non-2xx answer, with the API's `detail`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
  }
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null || token === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** The API root: the page lives one level below it. */
export function apiRoot(): URL {
  return new URL('../', location.href);
}

/** The WebSocket URL of the debug feed: same host and prefix, ws: or wss: as the page. */
export function debugSocketUrl(clientId: string): string {
  const url = new URL(`ws/debug/${encodeURIComponent(clientId)}`, apiRoot());
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  // browsers cannot set headers on a WebSocket: the API accepts the token as access_token
  const token = storedToken();
  if (token !== null) url.searchParams.set('access_token', token);
  return url.toString();
}

async function request(path: string, init: RequestInit = {}): Promise<unknown> {
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  const token = storedToken();
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(new URL(path, apiRoot()), { ...init, headers });
  if (response.status === 401) throw new UnauthorizedError('the API needs a bearer token');
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const detail =
      typeof body === 'object' && body !== null && 'detail' in body && typeof body.detail === 'string'
        ? body.detail
        : response.statusText;
    throw new ApiError(response.status, detail);
  }
  return body;
}

export function getJson<T>(path: string): Promise<T> {
  return request(path) as Promise<T>;
}

/** One GraphQL query; GraphQL errors become an ApiError naming the first one. */
export async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const body = (await request('graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  })) as { data?: T; errors?: { message: string }[] };
  const first = body.errors?.[0];
  if (first !== undefined) throw new ApiError(200, first.message);
  if (body.data === undefined) throw new ApiError(200, 'GraphQL answered without data');
  return body.data;
}
