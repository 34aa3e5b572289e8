import { z } from 'zod';
import { PROTOCOL_VERSION } from './device.ts';
import { ZModelName, ZSemver } from './registry.ts';

/**
 * Device telemetry, version 1: the agent publishes `ZTelemetry` on
 * `edgefleet/devices/<id>/telemetry` and `ZDeviceEvent` on `edgefleet/devices/<id>/events`
 * (QoS 1). While offline both go to a bounded on-disk queue and are delivered in order when the
 * connection returns; `seq` (per device, per stream, only grows) lets the control plane drop
 * duplicates and see gaps, and `dropped` says how many the queue had to discard.
 */

/** Upper bounds (ms) of the latency histogram buckets; one more count for "above the last". */
export const LATENCY_BUCKETS_MS = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000,
] as const;

const MAX_AGE_MS = 400 * 86_400_000;
/** A timestamp from the device: not in the future (5 min of clock skew allowed), not absurdly old. */
export const ZDeviceTime = z.iso.datetime().refine((s) => {
  const t = Date.parse(s);
  const now = Date.now();
  return t <= now + 5 * 60_000 && t >= now - MAX_AGE_MS;
}, 'timestamp is in the future or more than 400 days old');

export const ZSystemMetrics = z.object({
  cpuPercent: z.number().min(0).max(100),
  memoryUsedBytes: z.number().int().nonnegative(),
  memoryTotalBytes: z.number().int().positive(),
  /** The filesystem that holds the agent's data directory. */
  diskUsedBytes: z.number().int().nonnegative(),
  diskTotalBytes: z.number().int().positive(),
  /** Highest thermal zone, where the OS exposes one. */
  temperatureC: z.number().min(-60).max(150).optional(),
  load1: z.number().nonnegative().max(10_000).optional(),
  uptimeSeconds: z.number().nonnegative(),
  agentRssBytes: z.number().int().nonnegative(),
  agentVersion: z.string().min(1).max(64),
});
export type TSystemMetrics = z.infer<typeof ZSystemMetrics>;

/** Inference of one model version over one interval: counts and a latency histogram. */
export const ZInferenceWindow = z.object({
  model: ZModelName,
  version: ZSemver,
  requests: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** counts[i] = requests with latency ≤ LATENCY_BUCKETS_MS[i] (and above the previous bound); last = above all. */
  latencyCounts: z.array(z.number().int().nonnegative()).length(LATENCY_BUCKETS_MS.length + 1),
  latencySumMs: z.number().nonnegative(),
});
export type TInferenceWindow = z.infer<typeof ZInferenceWindow>;

export const ZTelemetry = z.object({
  v: z.literal(PROTOCOL_VERSION),
  seq: z.number().int().nonnegative(),
  /** End of the interval the figures cover. */
  ts: ZDeviceTime,
  intervalSeconds: z.number().positive().max(86_400),
  system: ZSystemMetrics,
  inference: z.array(ZInferenceWindow).max(64),
  /** Messages the offline queue discarded (oldest first) since the last one delivered. */
  dropped: z.number().int().nonnegative(),
});
export type TTelemetry = z.infer<typeof ZTelemetry>;

export const DEVICE_EVENT_KINDS = [
  'agent_started',
  'agent_stopped',
  'connected',
  'disconnected',
  'install',
  'rollback',
  'crash_loop_revert',
  'shadow',
  'error',
  'anomaly',
] as const;

export const ZDeviceEvent = z.object({
  v: z.literal(PROTOCOL_VERSION),
  seq: z.number().int().nonnegative(),
  ts: ZDeviceTime,
  kind: z.enum(DEVICE_EVENT_KINDS),
  severity: z.enum(['info', 'warning', 'error']),
  message: z.string().min(1).max(2000),
  model: ZModelName.optional(),
  version: ZSemver.optional(),
  dropped: z.number().int().nonnegative().default(0),
});
export type TDeviceEvent = z.infer<typeof ZDeviceEvent>;

/** Largest telemetry or event message the gateway accepts. */
export const MAX_TELEMETRY_BYTES = 64 * 1024;
