import { createGroup, deleteGroup, listGroups, updateGroupSelector } from '@edgefleet/core/identity/groups';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';
import { ZGroupName, ZTagKey } from './device-inputs.ts';

const ZId = z.object({ id: z.string().min(1).max(64) });
// Bounds only: core's normaliseSelector owns the rules (1-16 pairs, values of 1-128 characters).
const ZSelector = z.record(ZTagKey, z.string().max(256));

export const groupsRouter = router({
  list: scopedProcedure('devices:read').query(({ ctx }) => listGroups(ctx.db)),

  /** A static group without a selector; a dynamic one holds every device whose tags contain it. */
  create: scopedProcedure('devices:write')
    .meta({ target: 'deviceGroup' })
    .input(z.object({ name: ZGroupName, selector: ZSelector.nullish() }))
    .mutation(({ ctx, input }) => createGroup(ctx.db, ctx.principal, input)),

  /** null makes the group static. */
  setSelector: scopedProcedure('devices:write')
    .meta({ target: 'deviceGroup' })
    .input(ZId.extend({ selector: ZSelector.nullable() }))
    .mutation(({ ctx, input }) => updateGroupSelector(ctx.db, ctx.principal, input.id, input.selector)),

  delete: scopedProcedure('devices:write')
    .meta({ target: 'deviceGroup' })
    .input(ZId)
    .mutation(({ ctx, input }) => deleteGroup(ctx.db, ctx.principal, input.id)),
});
