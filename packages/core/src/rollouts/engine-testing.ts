// Test and benchmark helpers for the rollout engine: fleets seeded in one statement, a clock the
// test moves, and agent reports built the way the agent sends them.
import { randomBytes } from 'node:crypto';
import type { Db } from '@edgefleet/db/client';
import type { TModelReport, TRolloutDeviceState } from '@edgefleet/protocol/rollout';
import { applyStateReport } from './reports.ts';

export interface FleetOptions {
  /** Device ids are `<prefix>-<n>`; a random prefix by default. */
  prefix?: string;
  tags?: Record<string, string>;
  groupId?: string | null;
  online?: boolean;
  status?: 'pending' | 'accepted' | 'rejected' | 'revoked' | 'decommissioned';
  /** Device facts; accelerators as the agent reports them ({ kind, name }). */
  accelerators?: string[];
}

/**
 * `count` devices in one INSERT … SELECT generate_series (each needs a unique publicKeyPem), so
 * 100k devices take a second, not a minute of round trips. Returns their ids in order.
 */
export async function seedFleet(db: Db, count: number, opts: FleetOptions = {}): Promise<string[]> {
  const prefix = opts.prefix ?? `dev_${randomBytes(6).toString('hex')}`;
  const facts = { accelerators: (opts.accelerators ?? []).map((kind) => ({ kind, name: kind })) };
  await db.$executeRaw`
    INSERT INTO "devices" ("id", "name", "status", "facts", "tags", "groupId", "publicKeyPem", "online", "lastSeenAt",
      "createdAt", "updatedAt")
    SELECT ${prefix} || '-' || i, ${prefix} || '-' || i, ${opts.status ?? 'accepted'}::"DeviceStatus",
      ${JSON.stringify(facts)}::jsonb, ${JSON.stringify(opts.tags ?? {})}::jsonb, ${opts.groupId ?? null}::text,
      'pk-' || ${prefix} || '-' || i, ${opts.online ?? true}::boolean, now(), now(), now()
    FROM generate_series(0, ${count - 1}::int) AS i`;
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

/** A clock tests move by hand; pass `clock.now` as deps.now. */
export class TestClock {
  private t: number;
  constructor(start: Date | string = '2030-01-07T12:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  readonly now = () => new Date(this.t);
  advance(seconds: number): Date {
    this.t += seconds * 1000;
    return this.now();
  }
  set(at: Date | string): Date {
    this.t = new Date(at).getTime();
    return this.now();
  }
}

export type InstallReport = NonNullable<TModelReport['install']>;

/** One model's install step, as an agent reports it (a full snapshot with that model only). */
export async function reportInstall(
  db: Db,
  deviceId: string,
  model: string,
  install: InstallReport,
  now: Date,
  extra: Partial<TModelReport> = {},
): Promise<void> {
  await applyStateReport(
    db,
    deviceId,
    { v: 1, ts: now.toISOString(), instructionVersion: 1, models: [{ model, install, ...extra }] },
    now,
  );
}

/** Each device's state in the rollout. */
export async function deviceStates(db: Db, rolloutId: string): Promise<Map<string, TRolloutDeviceState>> {
  const rows = await db.rolloutDevice.findMany({ where: { rolloutId }, select: { deviceId: true, state: true } });
  return new Map(rows.map((r) => [r.deviceId, r.state]));
}

/** How many devices are in each state (only states present). */
export async function stateCounts(db: Db, rolloutId: string): Promise<Partial<Record<TRolloutDeviceState, number>>> {
  const rows = await db.rolloutDevice.groupBy({ by: ['state'], where: { rolloutId }, _count: { _all: true } });
  return Object.fromEntries(rows.map((r) => [r.state, r._count._all]));
}
