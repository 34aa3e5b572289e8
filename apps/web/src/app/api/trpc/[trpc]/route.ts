import { appRouter, createContext } from '@edgefleet/api/root';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { observeTrpcRequest } from '@/server/observe';
import { services } from '@/server/services';

export const dynamic = 'force-dynamic';

/**
 * Cross-site requests never reach a procedure: SameSite=Lax already keeps the session cookie
 * off cross-site POSTs; this refuses them outright when the browser names another origin.
 */
function crossSite(req: Request): boolean {
  const origin = req.headers.get('origin');
  if (req.method !== 'POST' || !origin) return false;
  try {
    return new URL(origin).host !== req.headers.get('host');
  } catch {
    return true;
  }
}

/** Procedure names the router has: metrics label anything else "unknown". */
const PROCEDURES: ReadonlySet<string> = new Set(Object.keys(appRouter._def.procedures));

/** Request id, one log line and per-procedure metrics around each call (see observeTrpcRequest). */
function handler(req: Request) {
  return observeTrpcRequest(req, PROCEDURES, async (call) => {
    if (crossSite(req)) {
      return Response.json({ error: { message: 'Cross-site request refused' } }, { status: 403 });
    }
    return fetchRequestHandler({
      endpoint: '/api/trpc',
      req,
      router: appRouter,
      createContext: async () => {
        const ctx = await createContext(await services(), req.headers);
        call.setPrincipal(ctx.principal);
        return ctx;
      },
      onError: ({ error, path }) => call.failed(path, error),
    });
  });
}

export { handler as GET, handler as POST };
