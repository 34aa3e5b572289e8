import { appRouter, createContext } from '@edgefleet/api/root';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
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

function handler(req: Request) {
  if (crossSite(req)) {
    return Response.json({ error: { message: 'Cross-site request refused' } }, { status: 403 });
  }
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: async () => createContext(await services(), req.headers),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`[trpc] ${path ?? '?'}:`, error.cause ?? error);
    },
  });
}

export { handler as GET, handler as POST };
