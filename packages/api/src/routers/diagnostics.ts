import { getDiagnostics, listDiagnostics, requestDiagnostics } from '@edgefleet/core/health/diagnostics';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';

const ZDeviceId = z.string().min(1).max(64);

/** Remote diagnostics: ask a device for a bundle, follow the requests, read a bundle. */
export const diagnosticsRouter = router({
  request: scopedProcedure('devices:write')
    .meta({ target: 'device', auditedInCore: true })
    .input(z.object({ deviceId: ZDeviceId }))
    .mutation(({ ctx, input }) =>
      requestDiagnostics({ db: ctx.db }, { deviceId: input.deviceId, actor: ctx.principal }),
    ),

  list: scopedProcedure('devices:read')
    .input(z.object({ deviceId: ZDeviceId, limit: z.number().int().min(1).max(100).optional() }))
    .query(({ ctx, input }) => listDiagnostics({ db: ctx.db }, input.deviceId, { limit: input.limit })),

  get: scopedProcedure('devices:read')
    .input(z.object({ id: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => getDiagnostics({ db: ctx.db }, input.id)),
});
