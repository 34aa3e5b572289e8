import { listPins, removePin, setPin } from '@edgefleet/core/rollouts/pins';
import { ZModelName, ZSemver } from '@edgefleet/protocol/registry';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';
import { ZGroupName } from './device-inputs.ts';

/** Pins keep a device, or every device of a group, on one version of a model; rollouts skip them. */
export const pinsRouter = router({
  list: scopedProcedure('devices:read')
    .input(z.object({ model: ZModelName.optional(), deviceId: z.string().min(1).max(64).optional() }).optional())
    .query(({ ctx, input }) => listPins(ctx.db, input ?? {})),

  set: scopedProcedure('devices:write')
    .meta({ target: 'pin', auditedInCore: true })
    .input(
      z
        .object({
          model: ZModelName,
          version: ZSemver,
          deviceId: z.string().min(1).max(64).optional(),
          group: ZGroupName.optional(),
          reason: z.string().trim().max(500).optional(),
        })
        .refine((p) => (p.deviceId === undefined) !== (p.group === undefined), 'pin a device or a group'),
    )
    .mutation(({ ctx, input }) => setPin({ db: ctx.db }, ctx.principal, input)),

  remove: scopedProcedure('devices:write')
    .meta({ target: 'pin', auditedInCore: true })
    .input(z.object({ id: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => removePin({ db: ctx.db }, ctx.principal, input.id)),
});
