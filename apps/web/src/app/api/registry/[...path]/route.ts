import { handleRegistryRequest } from '@edgefleet/api/registry-http';
import { observeRoute } from '@/server/observe';
import { services } from '@/server/services';

export const dynamic = 'force-dynamic';
// Streams bytes through node:fs and node:stream: the Node runtime, never the edge one.
export const runtime = 'nodejs';

/**
 * Registry uploads and downloads (see packages/api/src/registry-http.ts for the endpoints).
 * The request body is handed on as a stream: a 2 GB artifact never sits in memory.
 */
const handler = observeRoute('registry', async (req: Request) => handleRegistryRequest(req, await services()));

export { handler as GET, handler as HEAD, handler as POST, handler as PUT };
