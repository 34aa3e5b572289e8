import { createUser, listUsers, resetUserPassword, setUserDisabled, setUserRole } from '@edgefleet/core/users';
import { ZRole } from '@edgefleet/protocol/scopes';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';

const ZUserId = z.object({ id: z.string().min(1) });

export const usersRouter = router({
  list: scopedProcedure('users:read').query(({ ctx }) => listUsers(ctx.db)),

  create: scopedProcedure('users:write')
    .meta({ target: 'user' })
    .input(
      z.object({
        email: z.email(),
        name: z.string().trim().max(100).optional(),
        password: z.string().min(10).max(200),
        role: ZRole,
      }),
    )
    .mutation(({ ctx, input }) => createUser(ctx.db, input)),

  setRole: scopedProcedure('users:write')
    .meta({ target: 'user' })
    .input(ZUserId.extend({ role: ZRole }))
    .mutation(({ ctx, input }) => setUserRole(ctx.db, ctx.principal, input.id, input.role)),

  setDisabled: scopedProcedure('users:write')
    .meta({ target: 'user' })
    .input(ZUserId.extend({ disabled: z.boolean() }))
    .mutation(({ ctx, input }) => setUserDisabled(ctx.db, ctx.principal, input.id, input.disabled)),

  resetPassword: scopedProcedure('users:write')
    .meta({ target: 'user' })
    .input(ZUserId.extend({ password: z.string().min(10).max(200) }))
    .mutation(async ({ ctx, input }) => {
      await resetUserPassword(ctx.db, input.id, input.password);
      return { id: input.id };
    }),
});
