import { getModel, listModels } from '@edgefleet/core/registry/models';
import { modelDeployments } from '@edgefleet/core/rollouts/queries';
import { ZModelName } from '@edgefleet/protocol/registry';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';

/**
 * Reading the registry. Publishing is not here: it moves artifact bytes, so it is the streaming
 * HTTP endpoint in registry-http.ts (and `models:publish` tokens can do nothing else).
 */
export const modelsRouter = router({
  list: scopedProcedure('models:read').query(({ ctx }) => listModels(ctx.db)),

  /** Published versions only, newest first, each with its signature re-verified against the key. */
  get: scopedProcedure('models:read')
    .input(z.object({ name: ZModelName }))
    .query(({ ctx, input }) => getModel(ctx.db, input.name)),

  /** Per version: how many devices serve it and how many are meant to. */
  deployments: scopedProcedure('models:read')
    .input(z.object({ name: ZModelName }))
    .query(({ ctx, input }) => modelDeployments(ctx.db, input.name)),
});
