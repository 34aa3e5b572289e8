import { toNextJsHandler } from 'better-auth/next-js';
import { services } from '@/server/services';

export const dynamic = 'force-dynamic';

const handler = {
  GET: async (req: Request) => toNextJsHandler((await services()).auth).GET(req),
  POST: async (req: Request) => toNextJsHandler((await services()).auth).POST(req),
};
export const { GET, POST } = handler;
