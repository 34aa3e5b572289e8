import { type DeviceSeries, deviceEvents, deviceSeries, fleetOverview } from '@edgefleet/core/health/queries';
import { z } from 'zod';
import { router, scopedProcedure } from '../trpc.ts';

const ZDeviceId = z.string().min(1).max(64);

/** Two decimals are more than a chart shows; a week of points is ~40% smaller on the wire. */
const round = (v: number) => Math.round(v * 100) / 100;
const roundOrNull = (v: number | null) => (v === null ? null : round(v));

/**
 * Columns rather than rows: the charts (uPlot) take one array per series, and 10k points as
 * objects would repeat every key 10k times.
 */
function columns(s: DeviceSeries) {
  const p = s.points;
  return {
    range: s.range,
    resolutionSeconds: s.resolutionSeconds,
    from: s.from,
    to: s.to,
    t: p.map((x) => x.t),
    cpuPercent: p.map((x) => round(x.cpuPercent)),
    memoryPercent: p.map((x) => round(x.memoryPercent)),
    temperatureC: p.map((x) => roundOrNull(x.temperatureC)),
    requestsPerSecond: p.map((x) => round(x.requestsPerSecond)),
    errorsPerSecond: p.map((x) => round(x.errorsPerSecond)),
    latencyP50Ms: p.map((x) => x.latencyP50Ms),
    latencyP95Ms: p.map((x) => x.latencyP95Ms),
  };
}

/** Fleet health and one device's metrics and events, read-only (health:read). */
export const healthRouter = router({
  overview: scopedProcedure('health:read').query(({ ctx }) => fleetOverview(ctx.db, { now: new Date() })),

  series: scopedProcedure('health:read')
    .input(z.object({ deviceId: ZDeviceId, range: z.enum(['1h', '24h', '7d']) }))
    .query(async ({ ctx, input }) => columns(await deviceSeries(ctx.db, { ...input, now: new Date() }))),

  /** Newest first; `cursor` is the previous page's nextCursor (named so for infinite queries). */
  events: scopedProcedure('health:read')
    .input(
      z.object({
        deviceId: ZDeviceId,
        limit: z.number().int().min(1).max(200).optional(),
        cursor: z.string().max(200).nullish(),
      }),
    )
    .query(({ ctx, input: { cursor, ...rest } }) => deviceEvents(ctx.db, { ...rest, before: cursor ?? null })),
});
