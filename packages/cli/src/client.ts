import type { AppRouter } from '@edgefleet/api/root';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';

export type Api = ReturnType<typeof createApi>;

export function createApi(url: string, auth: { token?: string | undefined; cookie?: string | undefined }) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url.replace(/\/$/, '')}/api/trpc`,
        transformer: superjson,
        headers: () => ({
          ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
          ...(auth.cookie ? { cookie: auth.cookie } : {}),
        }),
      }),
    ],
  });
}

/** One line a person can act on, from whatever went wrong talking to the server. */
export function describeError(e: unknown, url: string): string {
  if (e instanceof TRPCClientError) {
    const cause = e.cause as { code?: string } | undefined;
    if (cause?.code === 'ECONNREFUSED' || /fetch failed/i.test(e.message)) {
      return `cannot reach ${url}: is the control plane running (npm start)?`;
    }
    return e.message;
  }
  if (e instanceof Error) {
    const code = (e.cause as { code?: string } | undefined)?.code;
    if (code === 'ECONNREFUSED' || /fetch failed/i.test(e.message)) {
      return `cannot reach ${url}: is the control plane running (npm start)?`;
    }
    return e.message;
  }
  return String(e);
}
