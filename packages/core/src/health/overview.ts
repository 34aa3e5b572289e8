import type { Db } from '@edgefleet/db/client';
import { compareSemver } from '@edgefleet/protocol/semver';
import { listRollouts, type RolloutSummary } from '../rollouts/queries.ts';

/**
 * The fleet at a glance, for the health page. Every figure is one aggregate statement (a GROUP
 * BY over devices, installed models or open alerts), never a loop over devices, so the page
 * costs the same handful of queries at 10 devices or 100k.
 */

export type AlertSeverity = 'critical' | 'warning' | 'info';
const SEVERITIES: readonly AlertSeverity[] = ['critical', 'warning', 'info'];

export interface DeviceCounts {
  /** Accepted devices: the fleet in service. */
  accepted: number;
  online: number;
  /** Accepted and not connected (including never seen). */
  offline: number;
  /** Accepted and never connected. */
  neverSeen: number;
  pending: number;
  revoked: number;
}

export interface ModelInService {
  model: string;
  version: string;
  /** Accepted devices reporting they serve this version. */
  devices: number;
  online: number;
}

export type SeverityCounts = Record<AlertSeverity, number>;

export interface AlertCounts {
  firing: SeverityCounts;
  acknowledged: SeverityCounts;
  firingTotal: number;
  acknowledgedTotal: number;
}

export interface GroupHealth {
  /** null: the devices in no static group. */
  id: string | null;
  name: string | null;
  kind: 'static' | 'dynamic' | 'none';
  /** Accepted members. */
  devices: number;
  offline: number;
  /** Members with at least one firing alert. */
  alerting: number;
  /** Offline or alerting (each device once). */
  problem: number;
}

export interface ProblemDevice {
  id: string;
  name: string;
  group: string | null;
  online: boolean;
  lastSeenAt: Date | null;
  /** Firing alerts on the device and the worst severity among them (0 and null when none). */
  firing: number;
  severity: AlertSeverity | null;
}

export interface FleetOverview {
  generatedAt: Date;
  devices: DeviceCounts;
  models: ModelInService[];
  rollouts: { active: number; items: RolloutSummary[] };
  alerts: AlertCounts;
  groups: GroupHealth[];
  problems: { alerting: ProblemDevice[]; offline: ProblemDevice[] };
}

/** Rollouts and problem devices listed on the page; counts cover all of them. */
const LIST_LIMIT = 10;

async function deviceCounts(db: Db): Promise<DeviceCounts> {
  const rows = await db.device.groupBy({ by: ['status', 'online'], _count: { _all: true } });
  const [neverSeen] = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS "n" FROM "devices" WHERE "status" = 'accepted' AND "lastSeenAt" IS NULL AND NOT "online"`;
  const c: DeviceCounts = {
    accepted: 0,
    online: 0,
    offline: 0,
    neverSeen: Number(neverSeen?.n ?? 0),
    pending: 0,
    revoked: 0,
  };
  for (const r of rows) {
    const n = r._count._all;
    if (r.status === 'accepted') {
      c.accepted += n;
      if (r.online) c.online += n;
      else c.offline += n;
    } else if (r.status === 'pending') c.pending += n;
    else if (r.status === 'revoked') c.revoked += n;
  }
  return c;
}

async function modelsInService(db: Db): Promise<ModelInService[]> {
  const rows = await db.$queryRaw<ModelInService[]>`
    SELECT im."model", im."servingVersion" AS "version", count(*)::int AS "devices",
      count(*) FILTER (WHERE d."online")::int AS "online"
    FROM "device_installed_models" im
    JOIN "devices" d ON d."id" = im."deviceId"
    WHERE im."servingVersion" IS NOT NULL AND d."status" = 'accepted'
    GROUP BY im."model", im."servingVersion"`;
  return rows
    .map((r) => ({ ...r, devices: Number(r.devices), online: Number(r.online) }))
    .sort((a, b) => (a.model === b.model ? compareSemver(b.version, a.version) : a.model < b.model ? -1 : 1));
}

const emptySeverities = (): SeverityCounts => ({ critical: 0, warning: 0, info: 0 });
const asSeverity = (s: string): AlertSeverity =>
  SEVERITIES.includes(s as AlertSeverity) ? (s as AlertSeverity) : 'info';

async function alertCounts(db: Db): Promise<AlertCounts> {
  const rows = await db.alert.groupBy({
    by: ['state', 'severity'],
    where: { state: { in: ['firing', 'acknowledged'] } },
    _count: { _all: true },
  });
  const out: AlertCounts = {
    firing: emptySeverities(),
    acknowledged: emptySeverities(),
    firingTotal: 0,
    acknowledgedTotal: 0,
  };
  for (const r of rows) {
    const n = r._count._all;
    if (r.state === 'firing') {
      out.firing[asSeverity(r.severity)] += n;
      out.firingTotal += n;
    } else {
      out.acknowledged[asSeverity(r.severity)] += n;
      out.acknowledgedTotal += n;
    }
  }
  return out;
}

type GroupCountRow = { groupId: string | null; devices: number; offline: number; alerting: number; problem: number };

/**
 * Static groups (and "no group") in one GROUP BY over devices; dynamic groups each count their
 * tag matches through the GIN index on tags. A device in a dynamic group also counts under its
 * static group or "no group": the two are independent ways of grouping.
 */
async function groupHealth(db: Db): Promise<GroupHealth[]> {
  const [groups, byStatic, byDynamic] = await Promise.all([
    db.$queryRaw<{ id: string; name: string; dynamic: boolean }[]>`
      SELECT "id", "name",
        ("selector" IS NOT NULL AND jsonb_typeof("selector") = 'object' AND "selector" <> '{}'::jsonb) AS "dynamic"
      FROM "device_groups" ORDER BY "name"`,
    db.$queryRaw<GroupCountRow[]>`
      WITH firing AS (SELECT DISTINCT "deviceId" FROM "alerts" WHERE "state" = 'firing' AND "deviceId" IS NOT NULL)
      SELECT d."groupId", count(*)::int AS "devices",
        count(*) FILTER (WHERE NOT d."online")::int AS "offline",
        count(f."deviceId")::int AS "alerting",
        count(*) FILTER (WHERE NOT d."online" OR f."deviceId" IS NOT NULL)::int AS "problem"
      FROM "devices" d LEFT JOIN firing f ON f."deviceId" = d."id"
      WHERE d."status" = 'accepted'
      GROUP BY d."groupId"`,
    db.$queryRaw<GroupCountRow[]>`
      WITH firing AS (SELECT DISTINCT "deviceId" FROM "alerts" WHERE "state" = 'firing' AND "deviceId" IS NOT NULL)
      SELECT g."id" AS "groupId", s.*
      FROM "device_groups" g
      CROSS JOIN LATERAL (
        SELECT count(*)::int AS "devices",
          count(*) FILTER (WHERE NOT d."online")::int AS "offline",
          count(f."deviceId")::int AS "alerting",
          count(*) FILTER (WHERE NOT d."online" OR f."deviceId" IS NOT NULL)::int AS "problem"
        FROM "devices" d LEFT JOIN firing f ON f."deviceId" = d."id"
        WHERE d."status" = 'accepted' AND d."tags" @> g."selector"
      ) s
      WHERE g."selector" IS NOT NULL AND jsonb_typeof(g."selector") = 'object' AND g."selector" <> '{}'::jsonb`,
  ]);
  const counts = new Map<string | null, GroupCountRow>();
  for (const r of [...byStatic, ...byDynamic]) counts.set(r.groupId, r);
  const view = (id: string | null, name: string | null, kind: GroupHealth['kind']): GroupHealth => {
    const r = counts.get(id);
    return {
      id,
      name,
      kind,
      devices: Number(r?.devices ?? 0),
      offline: Number(r?.offline ?? 0),
      alerting: Number(r?.alerting ?? 0),
      problem: Number(r?.problem ?? 0),
    };
  };
  const out = groups.map((g) => view(g.id, g.name, g.dynamic ? 'dynamic' : 'static'));
  const none = view(null, null, 'none');
  return none.devices > 0 ? [...out, none] : out;
}

type ProblemRow = Omit<ProblemDevice, 'severity' | 'firing'> & { firing: number | null; rank: number | null };
const RANK_SEVERITY: Record<number, AlertSeverity> = { 3: 'critical', 2: 'warning', 1: 'info' };

function toProblem(r: ProblemRow): ProblemDevice {
  return {
    id: r.id,
    name: r.name,
    group: r.group,
    online: r.online,
    lastSeenAt: r.lastSeenAt,
    firing: Number(r.firing ?? 0),
    severity: r.rank ? (RANK_SEVERITY[Number(r.rank)] ?? 'info') : null,
  };
}

/** Worst first: the devices with the most severe, most recent firing alerts. */
async function alertingDevices(db: Db): Promise<ProblemDevice[]> {
  const rows = await db.$queryRaw<ProblemRow[]>`
    SELECT d."id", d."name", g."name" AS "group", d."online", d."lastSeenAt", a."firing", a."rank"
    FROM (
      SELECT "deviceId", count(*)::int AS "firing", max("firedAt") AS "lastFiredAt",
        max(CASE "severity" WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END)::int AS "rank"
      FROM "alerts" WHERE "state" = 'firing' AND "deviceId" IS NOT NULL
      GROUP BY "deviceId"
    ) a
    JOIN "devices" d ON d."id" = a."deviceId"
    LEFT JOIN "device_groups" g ON g."id" = d."groupId"
    ORDER BY a."rank" DESC, a."lastFiredAt" DESC, d."id"
    LIMIT ${LIST_LIMIT}`;
  return rows.map(toProblem);
}

/**
 * The devices that went offline most recently (walks the (lastSeenAt, id) index backwards);
 * never-seen devices are only counted, in `devices.neverSeen`.
 */
async function offlineDevices(db: Db): Promise<ProblemDevice[]> {
  const rows = await db.$queryRaw<ProblemRow[]>`
    SELECT d."id", d."name", g."name" AS "group", d."online", d."lastSeenAt", a."firing", a."rank"
    FROM "devices" d
    LEFT JOIN "device_groups" g ON g."id" = d."groupId"
    LEFT JOIN LATERAL (
      SELECT count(*)::int AS "firing",
        max(CASE "severity" WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END)::int AS "rank"
      FROM "alerts" al WHERE al."deviceId" = d."id" AND al."state" = 'firing'
    ) a ON true
    WHERE d."status" = 'accepted' AND NOT d."online" AND d."lastSeenAt" IS NOT NULL
    ORDER BY d."lastSeenAt" DESC, d."id" DESC
    LIMIT ${LIST_LIMIT}`;
  return rows.map(toProblem);
}

export async function fleetOverview(db: Db, opts: { now?: Date } = {}): Promise<FleetOverview> {
  const [devices, models, active, rollouts, alerts, groups, alerting, offline] = await Promise.all([
    deviceCounts(db),
    modelsInService(db),
    db.rollout.count({ where: { status: { in: ['running', 'paused'] } } }),
    listRollouts(db, { status: ['running', 'paused'], limit: LIST_LIMIT }),
    alertCounts(db),
    groupHealth(db),
    alertingDevices(db),
    offlineDevices(db),
  ]);
  return {
    generatedAt: opts.now ?? new Date(),
    devices,
    models,
    rollouts: { active, items: rollouts.items },
    alerts,
    groups,
    problems: { alerting, offline },
  };
}
