import {
  approveDevice,
  countDevicesByStatus,
  decommissionDevice,
  getDevice,
  listDevices,
  rejectDevice,
  revokeDevice,
  setDeviceTags,
} from '@edgefleet/core/identity/devices';
import { parsePreauthorizationFile, preauthorizeDevices } from '@edgefleet/core/identity/preauthorize';
import { deviceModels } from '@edgefleet/core/rollouts/queries';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';
import { ZDeviceListInput, ZGroupName, ZTagKey, ZTags } from './device-inputs.ts';

const ZId = z.object({ id: z.string().min(1).max(64) });
/** Pre-authorization files are read whole; 2 MiB holds tens of thousands of rows. */
const MAX_PREAUTH_TEXT = 2 * 1024 * 1024;

const ZPreauthEntry = z.object({
  serialNumber: z.string().trim().min(1).max(128).optional(),
  hardwareId: z.string().trim().min(1).max(128).optional(),
  group: ZGroupName.optional(),
  tags: ZTags.optional(),
});

export const devicesRouter = router({
  list: scopedProcedure('devices:read')
    .input(ZDeviceListInput.optional())
    .query(({ ctx, input }) => listDevices(ctx.db, input ?? {})),

  /** Fleet-wide count per status, for the dashboard's filter chips. One indexed GROUP BY. */
  statusCounts: scopedProcedure('devices:read').query(({ ctx }) => countDevicesByStatus(ctx.db)),

  get: scopedProcedure('devices:read')
    .input(ZId)
    .query(({ ctx, input }) => getDevice(ctx.db, input.id)),

  /** Per model: what the device should run (desired) and what it reports it runs (installed). */
  models: scopedProcedure('devices:read')
    .input(z.object({ deviceId: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => deviceModels(ctx.db, input.deviceId)),

  approve: scopedProcedure('devices:write')
    .meta({ target: 'device', auditedInCore: true })
    .input(ZId)
    .mutation(({ ctx, input }) => approveDevice({ db: ctx.db, pki: ctx.pki }, ctx.principal, input.id)),

  reject: scopedProcedure('devices:write')
    .meta({ target: 'device', auditedInCore: true })
    .input(ZId)
    .mutation(({ ctx, input }) => rejectDevice(ctx.db, ctx.principal, input.id)),

  revoke: scopedProcedure('devices:write')
    .meta({ target: 'device', auditedInCore: true })
    .input(ZId)
    .mutation(({ ctx, input }) => revokeDevice(ctx.db, ctx.principal, input.id)),

  decommission: scopedProcedure('devices:write')
    .meta({ target: 'device', auditedInCore: true })
    .input(ZId)
    .mutation(({ ctx, input }) => decommissionDevice(ctx.db, ctx.principal, input.id)),

  /** Sets and removes tags, and moves the device to a group (null: no group). */
  tag: scopedProcedure('devices:write')
    .meta({ target: 'device', auditedInCore: true })
    .input(
      ZId.extend({
        set: ZTags.optional(),
        remove: z.array(ZTagKey).max(100).optional(),
        group: ZGroupName.nullish(),
      }),
    )
    .mutation(({ ctx, input: { id, ...change } }) => setDeviceTags(ctx.db, ctx.principal, id, change)),

  /** Either parsed entries, or a CSV/JSON file's text that core parses (errors name the line). */
  preauthorize: scopedProcedure('devices:write')
    .meta({ target: 'device', auditedInCore: true })
    .input(
      z.union([
        z.object({ entries: z.array(ZPreauthEntry).min(1).max(100_000) }),
        z.object({ text: z.string().min(1).max(MAX_PREAUTH_TEXT), filename: z.string().trim().min(1).max(255) }),
      ]),
    )
    .mutation(({ ctx, input }) => {
      const entries = 'entries' in input ? input.entries : parsePreauthorizationFile(input.text, input.filename);
      return preauthorizeDevices(ctx.db, ctx.principal, entries);
    }),
});
