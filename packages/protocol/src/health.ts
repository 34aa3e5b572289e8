import { z } from 'zod';
import { PROTOCOL_VERSION } from './device.ts';
import { ZRolloutSelector } from './rollout.ts';

/**
 * Health, version 1: alert rules and webhooks (operator input, shared by the API, the CLI and
 * the dashboard), remote diagnostics (device ↔ gateway) and the agent's last will.
 */

// ---- Alert rules ----

export const ALERT_METRICS = [
  'cpu_percent',
  'memory_percent',
  'disk_percent',
  'temperature_c',
  'error_rate',
  'latency_p95_ms',
  'latency_p50_ms',
] as const;
export const ZAlertMetric = z.enum(ALERT_METRICS);
export type TAlertMetric = z.infer<typeof ZAlertMetric>;

/** Human labels and units, for the dashboard and notifications. */
export const ALERT_METRIC_LABELS: Record<TAlertMetric, { label: string; unit: string }> = {
  cpu_percent: { label: 'CPU', unit: '%' },
  memory_percent: { label: 'Memory', unit: '%' },
  disk_percent: { label: 'Disk', unit: '%' },
  temperature_c: { label: 'Temperature', unit: '°C' },
  error_rate: { label: 'Inference error rate', unit: '%' },
  latency_p95_ms: { label: 'Inference latency p95', unit: 'ms' },
  latency_p50_ms: { label: 'Inference latency p50', unit: 'ms' },
};

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export const ZAlertSeverity = z.enum(ALERT_SEVERITIES);
export type TAlertSeverity = z.infer<typeof ZAlertSeverity>;

export const ALERT_RULE_KINDS = ['metric', 'device_offline', 'certificate_expiry', 'rollout_gate'] as const;
export type TAlertRuleKind = (typeof ALERT_RULE_KINDS)[number];

const name = z.string().trim().min(1).max(120);
const common = {
  name,
  severity: ZAlertSeverity.default('warning'),
  /** Which devices the rule watches (ignored for rollout_gate). */
  selector: ZRolloutSelector.default({ kind: 'all' }),
  enabled: z.boolean().default(true),
};

/**
 * `metric`: the metric's value over the last `windowSeconds` compared with `threshold`. For
 * gauges (cpu, memory, disk, temperature) every sample in the window must cross it ("CPU > 90 %
 * for 5 min"); for rates and latencies the window's aggregate (errors / requests, the p95 of the
 * merged latency histograms) must. error_rate is a percentage (2 = 2 %).
 */
export const ZAlertRuleInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('metric'),
    ...common,
    metric: ZAlertMetric,
    operator: z.enum(['gt', 'lt']).default('gt'),
    threshold: z.number().finite(),
    windowSeconds: z.number().int().min(10).max(86_400).default(300),
  }),
  z.object({
    kind: z.literal('device_offline'),
    ...common,
    windowSeconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(600),
  }),
  z.object({
    kind: z.literal('certificate_expiry'),
    ...common,
    windowSeconds: z
      .number()
      .int()
      .min(3600)
      .max(365 * 86_400)
      .default(14 * 86_400),
  }),
  z.object({ kind: z.literal('rollout_gate'), ...common, windowSeconds: z.number().int().min(0).max(0).default(0) }),
]);
export type TAlertRuleInput = z.input<typeof ZAlertRuleInput>;
export type TAlertRule = z.output<typeof ZAlertRuleInput>;

export const ALERT_STATES = ['firing', 'acknowledged', 'resolved'] as const;
export type TAlertState = (typeof ALERT_STATES)[number];

// ---- Webhooks ----

export const WEBHOOK_FORMATS = ['json', 'slack', 'teams'] as const;
export const ZWebhookInput = z.object({
  name,
  url: z
    .url()
    .max(2000)
    .refine((u) => /^https?:\/\//.test(u), 'the URL must be http:// or https://'),
  /** json: the EdgeFleet event below; slack/teams: `{ text }` those incoming webhooks accept. */
  format: z.enum(WEBHOOK_FORMATS).default('json'),
  /** Only alerts at or above this severity are sent. */
  minSeverity: ZAlertSeverity.default('info'),
  enabled: z.boolean().default(true),
});
export type TWebhookInput = z.input<typeof ZWebhookInput>;

/** Header carrying `sha256=<hex HMAC-SHA256 of the raw body with the webhook's secret>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-edgefleet-signature';
/** Header carrying the delivery id (the same across retries of one delivery). */
export const WEBHOOK_DELIVERY_HEADER = 'x-edgefleet-delivery';
/** Header carrying the event name, e.g. `alert.firing`. */
export const WEBHOOK_EVENT_HEADER = 'x-edgefleet-event';

export const WEBHOOK_EVENTS = ['alert.firing', 'alert.acknowledged', 'alert.resolved', 'webhook.test'] as const;
export type TWebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The body of a `json` webhook. */
export interface TWebhookPayload {
  event: TWebhookEvent;
  deliveryId: string;
  sentAt: string;
  alert: {
    id: string;
    state: TAlertState;
    severity: TAlertSeverity;
    summary: string;
    rule: { id: string; name: string; kind: TAlertRuleKind };
    subject: { type: 'device' | 'rollout'; id: string; name?: string };
    value: number | null;
    firedAt: string;
    acknowledgedAt: string | null;
    acknowledgedBy: string | null;
    resolvedAt: string | null;
    url: string;
  } | null;
}

// ---- Remote diagnostics ----

/**
 * The gateway rings `edgefleet/devices/<id>/diagnostics` (retained, QoS 1) with this notice when
 * an operator asks for a bundle; the agent also asks `GET /v1/diagnostics/pending` (mTLS) when it
 * connects, so a device that was offline answers when it returns. It uploads the bundle with
 * `POST /v1/diagnostics/<requestId>` (mTLS, JSON, at most MAX_DIAGNOSTICS_BYTES).
 */
export const ZDiagnosticsNotice = z.object({
  v: z.literal(PROTOCOL_VERSION),
  requestIds: z.array(z.string().min(1).max(64)).max(100),
});
export type TDiagnosticsNotice = z.infer<typeof ZDiagnosticsNotice>;

export const MAX_DIAGNOSTICS_BYTES = 2 * 1024 * 1024;

export const ZDiagnosticsBundle = z.object({
  v: z.literal(PROTOCOL_VERSION),
  collectedAt: z.iso.datetime(),
  agentVersion: z.string().min(1).max(64),
  /** The agent's last log lines, oldest first. */
  logTail: z.array(z.string().max(4000)).max(2000),
  /** Effective configuration; keys, tokens and passwords replaced by "[redacted]". */
  config: z.record(z.string(), z.unknown()),
  /** Installed models, A/B slots and what is serving. */
  models: z.unknown(),
  recentErrors: z.array(z.object({ ts: z.iso.datetime(), message: z.string().max(4000) })).max(500),
  /** Hardware and OS facts, backends, disk and memory. */
  system: z.record(z.string(), z.unknown()),
  telemetryQueue: z
    .object({ depth: z.number().int().nonnegative(), dropped: z.number().int().nonnegative() })
    .optional(),
});
export type TDiagnosticsBundle = z.infer<typeof ZDiagnosticsBundle>;

// ---- Last will ----

/** The agent's MQTT last will on `edgefleet/devices/<id>/status`, sent by the broker when the connection dies uncleanly. */
export const ZDeviceStatus = z.object({ v: z.literal(PROTOCOL_VERSION), online: z.boolean() });
export type TDeviceStatus = z.infer<typeof ZDeviceStatus>;
