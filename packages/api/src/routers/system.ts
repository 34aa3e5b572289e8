import { authedProcedure, publicProcedure, router, scopedProcedure } from '../trpc.ts';

export const systemRouter = router({
  health: publicProcedure.query(async ({ ctx }) => {
    await ctx.db.$queryRaw`SELECT 1`;
    return { status: 'ok' as const, version: ctx.info.version };
  }),

  /** Who am I: the CLI's whoami and the dashboard's header. */
  whoami: authedProcedure.query(({ ctx }) => {
    const p = ctx.principal;
    return {
      kind: p.kind,
      userId: p.userId,
      email: p.email,
      role: p.role,
      scopes: p.scopes,
      tokenId: p.kind === 'token' ? p.tokenId : null,
      tokenName: p.kind === 'token' ? p.tokenName : null,
    };
  }),

  info: scopedProcedure('settings:read').query(({ ctx }) => ({ ...ctx.info, caFingerprint: ctx.pki.fingerprint })),
});
