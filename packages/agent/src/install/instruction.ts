import { ZModelTargetCustom } from '@edgefleet/protocol/registry';
import { ZDeviceInstruction } from '@edgefleet/protocol/rollout';
import { z } from 'zod';

/**
 * What the publisher's delegated role says about one target path of the instruction: its signed
 * length, sha256 and custom fields, or why it could not be verified (bad publisher signature,
 * not listed, a length or hash that differs from the director's instruction).
 */
export const ZTargetCheck = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    length: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    custom: ZModelTargetCustom,
  }),
  z.object({ ok: z.literal(false), error: z.string().max(1000) }),
]);
export type TargetCheck = z.infer<typeof ZTargetCheck>;

/**
 * A director instruction that passed TUF verification, with its targets resolved against the
 * publishers' roles. Stored in `<data-dir>/models/instruction.json` so an agent that restarts
 * offline reconciles from the last instruction it verified.
 */
export const ZVerifiedInstruction = z.object({
  v: z.literal(1),
  /** The TUF targets version (= the director's instruction version). */
  version: z.number().int().positive(),
  instruction: ZDeviceInstruction,
  /** By target path: every serving and shadow artifact of the instruction. */
  targets: z.record(z.string(), ZTargetCheck),
  verifiedAt: z.iso.datetime(),
});
export type VerifiedInstruction = z.infer<typeof ZVerifiedInstruction>;
