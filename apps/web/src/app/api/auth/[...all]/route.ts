import { toNextJsHandler } from 'better-auth/next-js';
import { services } from '@/server/services';

export const dynamic = 'force-dynamic';

const handler = {
  GET: (req: Request) => toNextJsHandler(services().auth).GET(req),
  POST: (req: Request) => toNextJsHandler(services().auth).POST(req),
};
export const { GET, POST } = handler;
