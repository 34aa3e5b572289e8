import { observeRoute } from '@/server/observe';
import { services, VERSION } from '@/server/services';

export const dynamic = 'force-dynamic';

/** Readiness: 200 once the database answers. Load balancers and `npm start` poll this. */
async function health() {
  try {
    const { db, info } = await services();
    await db.$queryRaw`SELECT 1`;
    return Response.json({ status: 'ok', version: VERSION, database: info.database });
  } catch (e) {
    return Response.json(
      { status: 'unavailable', version: VERSION, error: e instanceof Error ? e.message : String(e) },
      { status: 503 },
    );
  }
}

export const GET = observeRoute('health', health, { level: 'debug' });
