import 'server-only';
import { appRouter, createContext } from '@edgefleet/api/root';
import { headers } from 'next/headers';
import { cache } from 'react';
import { services } from './services';

/** tRPC's server-side caller for server components: same procedures, same authorisation. */
export const getCaller = cache(async () => {
  // headers() first: it marks the route dynamic before anything touches the database.
  const requestHeaders = new Headers(await headers());
  const ctx = await createContext(await services(), requestHeaders);
  return { caller: appRouter.createCaller(ctx), principal: ctx.principal };
});
