import { listAudit } from '@edgefleet/core/audit';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';

export const auditRouter = router({
  list: scopedProcedure('audit:read')
    .input(
      z
        .object({
          limit: z.number().int().min(1).max(200).optional(),
          before: z.string().regex(/^\d+$/).nullish(),
          action: z.string().max(100).nullish(),
          actor: z.string().max(200).nullish(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => listAudit(ctx.db, input ?? {})),
});
