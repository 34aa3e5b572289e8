import {
  createEnrollmentToken,
  listEnrollmentTokens,
  revokeEnrollmentToken,
} from '@edgefleet/core/identity/enrollment-tokens';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';
import { ZGroupName, ZTags } from './device-inputs.ts';

export const enrollTokensRouter = router({
  list: scopedProcedure('devices:read').query(({ ctx }) => listEnrollmentTokens(ctx.db)),

  /** The token is in the answer once; only its hash is stored. */
  create: scopedProcedure('devices:write')
    .meta({ target: 'enrollmentToken' })
    .input(
      z.object({
        name: z.string().trim().max(100).optional(),
        group: ZGroupName,
        tags: ZTags.optional(),
        maxUses: z.number().int().min(1).max(1_000_000).nullish(),
        // Fractions allowed: the CLI accepts `--expires 30m`.
        expiresInHours: z
          .number()
          .positive()
          .max(24 * 3650)
          .nullish(),
        autoApprove: z.boolean().optional(),
        preauthorizedOnly: z.boolean().optional(),
      }),
    )
    .mutation(({ ctx, input }) => createEnrollmentToken(ctx.db, ctx.principal, input)),

  revoke: scopedProcedure('devices:write')
    .meta({ target: 'enrollmentToken' })
    .input(z.object({ id: z.string().min(1) }))
    .mutation(({ ctx, input }) => revokeEnrollmentToken(ctx.db, input.id)),
});
