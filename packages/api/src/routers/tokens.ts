import { createApiToken, listApiTokens, revokeApiToken } from '@edgefleet/core/tokens';
import { ZScope } from '@edgefleet/protocol/scopes';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';

export const tokensRouter = router({
  list: scopedProcedure('tokens:read').query(({ ctx }) => listApiTokens(ctx.db, ctx.principal)),

  create: scopedProcedure('tokens:write')
    .meta({ target: 'apiToken' })
    .input(
      z.object({
        name: z.string().trim().min(1).max(100),
        scopes: z.array(ZScope).min(1),
        expiresInDays: z.number().int().min(1).max(3650).nullish(),
      }),
    )
    .mutation(({ ctx, input }) => createApiToken(ctx.db, ctx.principal, input)),

  revoke: scopedProcedure('tokens:write')
    .meta({ target: 'apiToken' })
    .input(z.object({ id: z.string().min(1) }))
    .mutation(({ ctx, input }) => revokeApiToken(ctx.db, ctx.principal, input.id)),
});
