import { appRouter, createContext } from '@edgefleet/api/root';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { observeRoute } from '@/server/observe';
import { services } from '@/server/services';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * `GET /api/diagnostics/<id>`: one diagnostics bundle as a JSON download. Authorised exactly as
 * the dashboard's own query is (session cookie or API token, scope devices:read), by calling
 * that procedure: the rule lives in one place.
 */
async function download(req: Request): Promise<Response> {
  const id = decodeURIComponent(new URL(req.url).pathname.split('/').pop() ?? '');
  const ctx = await createContext(await services(), req.headers);
  try {
    const view = await appRouter.createCaller(ctx).diagnostics.get({ id });
    if (!view.bundle) return Response.json({ error: 'not_ready', message: 'No bundle uploaded yet' }, { status: 409 });
    const name = `diagnostics-${view.deviceId}-${view.uploadedAt?.toISOString().replace(/[:.]/g, '-') ?? view.id}.json`;
    return new Response(JSON.stringify({ request: { ...view, bundle: undefined }, bundle: view.bundle }, null, 2), {
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': `attachment; filename="${name}"`,
        'cache-control': 'no-store',
      },
    });
  } catch (e) {
    if (e instanceof TRPCError) {
      return Response.json(
        { error: e.code.toLowerCase(), message: e.message },
        { status: getHTTPStatusCodeFromError(e) },
      );
    }
    throw e;
  }
}

export const GET = observeRoute('diagnostics', download);
