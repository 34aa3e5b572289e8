import { abortRollout, pauseRollout, resumeRollout, rollbackRollout } from '@edgefleet/core/rollouts/actions';
import { createRollout } from '@edgefleet/core/rollouts/plan';
import { getRollout, listRolloutDevices, listRollouts, previewSelector } from '@edgefleet/core/rollouts/queries';
import { ZModelName, ZSemver } from '@edgefleet/protocol/registry';
import { ROLLOUT_DEVICE_STATES, ROLLOUT_STATUSES, ZCreateRollout, ZRolloutSelector } from '@edgefleet/protocol/rollout';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';

const ZId = z.string().min(1).max(64);
/** pause, resume, abort, rollback: the reason lands in the rollout's events and the audit log. */
const ZAction = z.object({ id: ZId, reason: z.string().trim().max(500).optional() });

/** Rollouts of a model version to a selection of devices. Core audits every change itself. */
export const rolloutsRouter = router({
  list: scopedProcedure('rollouts:read')
    .input(
      z
        .object({
          status: z.array(z.enum(ROLLOUT_STATUSES)).max(ROLLOUT_STATUSES.length).optional(),
          model: ZModelName.optional(),
          limit: z.number().int().min(1).max(200).optional(),
          cursor: z.string().max(64).nullish(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => listRollouts(ctx.db, input ?? {})),

  /** The rollout with its phases, per-state device counts and events. */
  get: scopedProcedure('rollouts:read')
    .input(z.object({ id: ZId }))
    .query(({ ctx, input }) => getRollout(ctx.db, input.id)),

  /** The rollout's devices in rollout order, a page at a time (`cursor`: the last ordinal seen). */
  devices: scopedProcedure('rollouts:read')
    .input(
      z.object({
        id: ZId,
        state: z.array(z.enum(ROLLOUT_DEVICE_STATES)).max(ROLLOUT_DEVICE_STATES.length).optional(),
        phase: z.number().int().min(-1).max(20).optional(),
        limit: z.number().int().min(1).max(500).optional(),
        cursor: z.number().int().min(-1).nullish(),
      }),
    )
    .query(({ ctx, input: { id, ...filter } }) => listRolloutDevices(ctx.db, id, filter)),

  /** What a selector would match before creating: matched, pinned, busy (in another rollout), eligible. */
  preview: scopedProcedure('rollouts:read')
    .input(z.object({ model: ZModelName, version: ZSemver.optional(), selector: ZRolloutSelector }))
    .query(({ ctx, input }) => previewSelector(ctx.db, input)),

  create: scopedProcedure('rollouts:write')
    .meta({ target: 'rollout', auditedInCore: true })
    .input(ZCreateRollout)
    .mutation(({ ctx, input }) => createRollout({ db: ctx.db }, ctx.principal, input)),

  pause: scopedProcedure('rollouts:write')
    .meta({ target: 'rollout', auditedInCore: true })
    .input(ZAction)
    .mutation(({ ctx, input }) => pauseRollout({ db: ctx.db }, ctx.principal, input.id, input.reason)),

  resume: scopedProcedure('rollouts:write')
    .meta({ target: 'rollout', auditedInCore: true })
    .input(ZAction)
    .mutation(({ ctx, input }) => resumeRollout({ db: ctx.db }, ctx.principal, input.id, input.reason)),

  abort: scopedProcedure('rollouts:write')
    .meta({ target: 'rollout', auditedInCore: true })
    .input(ZAction)
    .mutation(({ ctx, input }) => abortRollout({ db: ctx.db }, ctx.principal, input.id, input.reason)),

  /** Sends every device that took the version back to the one it ran before. */
  rollback: scopedProcedure('rollouts:write')
    .meta({ target: 'rollout', auditedInCore: true })
    .input(ZAction)
    .mutation(({ ctx, input }) =>
      rollbackRollout({ db: ctx.db }, ctx.principal, input.id, input.reason ?? 'rolled back by an operator'),
    ),
});
