import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DeviceModel, Prisma } from '@edgefleet/db/client';
import { DomainError } from '../errors.ts';

export type DeviceStatus = DeviceModel['status'];
export { DEVICE_STATUSES } from '@edgefleet/protocol/device';

export type Tags = Record<string, string>;
/** Inside or outside an interactive transaction: group lookups run in both. */
type Tx = Prisma.TransactionClient;

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

/** Constant-time comparison of two hex digests, so response timing says nothing about a secret. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** 'dev_' + 20 lowercase hex chars (80 random bits): short enough for a CN and a topic, unguessable enough. */
export const newDeviceId = () => `dev_${randomBytes(10).toString('hex')}`;

const TAG_KEY = /^[\w.:/-]{1,64}$/;
const MAX_TAGS = 64;

/** Tags are `key=value` labels used by selectors and filters; the API's zod schema allows the same. */
export function normaliseTags(tags: Record<string, unknown> | undefined | null, where = 'tags'): Tags {
  const out: Tags = {};
  for (const [rawKey, rawValue] of Object.entries(tags ?? {})) {
    const key = rawKey.trim();
    if (!TAG_KEY.test(key)) {
      throw new DomainError('INVALID', `${where}: tag key "${rawKey}" must be 1-64 letters, digits or _ . : / -`);
    }
    if (typeof rawValue !== 'string')
      throw new DomainError('INVALID', `${where}: tag "${key}" must have a string value`);
    const value = rawValue.trim();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    if (value.length > 200 || /[\u0000-\u001f]/.test(value)) {
      throw new DomainError('INVALID', `${where}: tag "${key}" value must be at most 200 printable characters`);
    }
    out[key] = value;
  }
  if (Object.keys(out).length > MAX_TAGS) throw new DomainError('INVALID', `${where}: at most ${MAX_TAGS} tags`);
  return out;
}

/** Reads a Json column written by normaliseTags; anything else (hand-edited rows) is dropped. */
export function readTags(value: Prisma.JsonValue): Tags {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function normaliseGroupName(name: string): string {
  const group = name.trim();
  if (!group || group.length > 100) throw new DomainError('INVALID', 'Group name must be 1-100 characters');
  return group;
}

/** Groups are found or created by name; native upsert (ON CONFLICT) so concurrent enrollments cannot collide. */
/**
 * The static group a device is placed in, made on first use. A dynamic group cannot be
 * assigned: its members are the devices whose tags match its selector.
 */
export async function groupIdByName(tx: Tx, name: string): Promise<string> {
  const group = normaliseGroupName(name);
  const row = await tx.deviceGroup.upsert({
    where: { name: group },
    create: { id: `grp_${randomBytes(8).toString('hex')}`, name: group },
    update: {},
    select: { id: true, selector: true },
  });
  if (row.selector !== null) {
    throw new DomainError(
      'INVALID',
      `group ${group} is dynamic: devices belong to it by their tags, so it cannot be assigned`,
    );
  }
  return row.id;
}
