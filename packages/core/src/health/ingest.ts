import type { Db, Prisma } from '@edgefleet/db/client';
import type { TTelemetry } from '@edgefleet/protocol/telemetry';
import type { DeviceEventInput } from './events.ts';

/**
 * Batched writes of what devices report. Each call is ONE statement per batch: the rows travel as
 * one JSON parameter that `json_to_recordset` turns back into rows (the same on PostgreSQL and
 * the embedded PGlite, with no driver-specific array encoding), so 2,000 messages cost one round
 * trip, not 2,000. `ON CONFLICT DO NOTHING` on the message's identity (device, seq) makes a
 * re-sent message (its PUBACK was lost, the agent sends it again) a no-op; the counts say how
 * many rows were new.
 */
type DbOrTx = Db | Prisma.TransactionClient;

export interface TelemetryItem {
  deviceId: string;
  receivedAt: Date;
  telemetry: TTelemetry;
}

export interface WriteCounts {
  written: number;
  duplicates: number;
}

// Samples and their inference windows in one statement (a data-modifying CTE), so they commit
// together: a sample is never stored without its windows, and a retry after a failure writes both.
const TELEMETRY_SQL = `
WITH rows AS (
  SELECT * FROM json_to_recordset($1::json) AS r(
    d text, s int, t timestamp, r timestamp, i float8, cpu float8, mu float8, mt float8,
    du float8, dt float8, tc float8, l1 float8, rss float8, av text, rq int, er int, dr int)
), windows AS (
  SELECT * FROM json_to_recordset($2::json) AS w(
    d text, s int, m text, v text, t timestamp, r timestamp, rq int, er int, lc int[], ls float8)
), inference AS (
  INSERT INTO inference_samples ("deviceId", seq, model, version, ts, "receivedAt", requests, errors,
    "latencyCounts", "latencySumMs")
  SELECT d, s, m, v, t, r, rq, er, lc, ls FROM windows
  ON CONFLICT DO NOTHING
), samples AS (
  INSERT INTO telemetry_samples ("deviceId", seq, ts, "receivedAt", "intervalSeconds", "cpuPercent",
    "memoryUsedBytes", "memoryTotalBytes", "diskUsedBytes", "diskTotalBytes", "temperatureC", load1,
    "agentRssBytes", "agentVersion", requests, errors, dropped)
  SELECT d, s, t, r, i, cpu, mu, mt, du, dt, tc, l1, rss, av, rq, er, dr FROM rows
  ON CONFLICT DO NOTHING
  RETURNING 1
)
SELECT count(*)::int AS n FROM samples`;

/** Writes telemetry messages (a sample each plus one inference row per window) in one statement. */
export async function writeTelemetryBatch(db: DbOrTx, items: readonly TelemetryItem[]): Promise<WriteCounts> {
  if (items.length === 0) return { written: 0, duplicates: 0 };
  const rows: unknown[] = new Array(items.length);
  const windows: unknown[] = [];
  for (let k = 0; k < items.length; k++) {
    const { deviceId: d, receivedAt, telemetry: m } = items[k] as TelemetryItem;
    const r = receivedAt.toISOString();
    let requests = 0;
    let errors = 0;
    for (const w of m.inference) {
      requests += w.requests;
      errors += w.errors;
      windows.push({
        d,
        s: m.seq,
        m: w.model,
        v: w.version,
        t: m.ts,
        r,
        rq: w.requests,
        er: w.errors,
        lc: w.latencyCounts,
        ls: w.latencySumMs,
      });
    }
    const sys = m.system;
    rows[k] = {
      d,
      s: m.seq,
      t: m.ts,
      r,
      i: m.intervalSeconds,
      cpu: sys.cpuPercent,
      mu: sys.memoryUsedBytes,
      mt: sys.memoryTotalBytes,
      du: sys.diskUsedBytes,
      dt: sys.diskTotalBytes,
      tc: sys.temperatureC ?? null,
      l1: sys.load1 ?? null,
      rss: sys.agentRssBytes,
      av: sys.agentVersion,
      // Sums of 64 windows of non-negative ints can leave int4 only for absurd inputs; clamp.
      rq: Math.min(requests, 2_147_483_647),
      er: Math.min(errors, 2_147_483_647),
      dr: m.dropped,
    };
  }
  const result = await db.$queryRawUnsafe<{ n: number }[]>(
    TELEMETRY_SQL,
    JSON.stringify(rows),
    JSON.stringify(windows),
  );
  const written = Number(result[0]?.n ?? 0);
  return { written, duplicates: items.length - written };
}

// Events of devices that no longer exist (the row was deleted while the message waited) are
// skipped rather than failing the whole batch on the foreign key.
const EVENTS_SQL = `
INSERT INTO device_events (id, "deviceId", seq, ts, "receivedAt", source, kind, severity, message, model, version)
SELECT gen_random_uuid()::text, e.d, e.s, e.t, now(), e.src, e.k, e.sev, e.msg, e.m, e.v
FROM json_to_recordset($1::json) AS e(d text, s int, t timestamp, src text, k text, sev text, msg text, m text, v text)
WHERE EXISTS (SELECT 1 FROM devices WHERE devices.id = e.d)
ON CONFLICT DO NOTHING`;

/**
 * Writes device events in one statement. Agent events carry their `seq` and are written once per
 * (device, seq); control-plane events (seq null) never conflict.
 */
export async function writeDeviceEvents(db: DbOrTx, events: readonly DeviceEventInput[]): Promise<WriteCounts> {
  if (events.length === 0) return { written: 0, duplicates: 0 };
  const rows = events.map((e) => ({
    d: e.deviceId,
    s: e.seq,
    t: e.ts.toISOString(),
    src: e.source,
    k: e.kind,
    sev: e.severity,
    msg: e.message,
    m: e.model ?? null,
    v: e.version ?? null,
  }));
  const written = await db.$executeRawUnsafe(EVENTS_SQL, JSON.stringify(rows));
  return { written, duplicates: events.length - written };
}
