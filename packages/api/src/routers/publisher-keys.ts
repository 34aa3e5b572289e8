import { addPublisherKey, listPublisherKeys, revokePublisherKey } from '@edgefleet/core/registry/publisher-keys';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';

/** The `.pub` file's JSON, or its text pasted as is (core also takes raw hex or an SPKI PEM). */
const ZPublicKey = z.union([
  z.string().trim().min(1).max(4096),
  z.object({
    keytype: z.literal('ed25519'),
    scheme: z.literal('ed25519'),
    keyval: z.object({ public: z.string().min(1).max(256) }),
  }),
]);

/** Publisher keys: CI holds the private half; the control plane trusts only what an admin registered here. */
export const publisherKeysRouter = router({
  list: scopedProcedure('models:read').query(({ ctx }) => listPublisherKeys(ctx.db)),

  add: scopedProcedure('settings:write')
    .meta({ target: 'publisherKey' })
    .input(z.object({ name: z.string().trim().min(1).max(64), publicKey: ZPublicKey }))
    .mutation(({ ctx, input }) => addPublisherKey(ctx.db, ctx.principal, input)),

  /** By id (the TUF key id) or name. Versions it signed stay listed but can no longer be rolled out. */
  revoke: scopedProcedure('settings:write')
    .meta({ target: 'publisherKey' })
    .input(z.object({ id: z.string().trim().min(1).max(128) }))
    .mutation(({ ctx, input }) => revokePublisherKey(ctx.db, ctx.principal, input.id)),
});
