import { DEVICE_STATUSES, ZDeviceStatus } from '@edgefleet/protocol/device';
import { z } from 'zod';

/** Input shapes shared by the device and enrollment-token procedures. */

// Bounds only: core's normaliseTags owns the rules for keys and values.
export const ZTagKey = z.string().trim().min(1).max(64);
export const ZTags = z.record(ZTagKey, z.string().max(256));
export const ZGroupName = z.string().trim().min(1).max(100);

export const ZDeviceListInput = z.object({
  q: z.string().trim().max(200).optional(),
  status: z.array(ZDeviceStatus).max(DEVICE_STATUSES.length).optional(),
  group: ZGroupName.optional(),
  tag: z
    .array(z.object({ key: ZTagKey, value: z.string().max(256) }))
    .max(10)
    .optional(),
  sort: z.enum(['name', 'createdAt', 'lastSeenAt', 'status']).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.number().int().min(1).max(200).optional(),
  cursor: z.string().max(500).nullish(),
});
export type TDeviceListInput = z.infer<typeof ZDeviceListInput>;
