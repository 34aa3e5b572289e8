import { z } from 'zod';
import { PROTOCOL_VERSION } from './device.ts';
import { ZModelName, ZSemver } from './registry.ts';

/**
 * Rollouts and desired state, version 1.
 *
 * Trust (Uptane's split): every device has its own TUF repository on the gateway
 * (`GET /v1/tuf/…`, mTLS), signed by the control plane's online "director" key. Its top-level
 * targets lists no files itself: it carries the device's instruction (TDeviceInstruction) as the
 * signed field `custom`, and delegates `models/<model>/<version>/*` to the role
 * `<model>@<version>` — the publisher's own signed targets metadata, byte for byte, verified with
 * the publisher key named in the delegation. The agent runs tuf-js over it, so an instruction is
 * only accepted with a valid director signature, unexpired, and with a version no lower than the
 * last one it trusted; each artifact is only accepted if the publisher's role lists it with the
 * same length and sha256 as the instruction.
 */

// ---- Instruction (signed by the director, inside the device's TUF targets `custom`) ----

/** Canonical JSON carries integers only: percentages are whole numbers. */
export const ZDesiredArtifact = z.object({
  version: ZSemver,
  /** TUF target path in the publisher's role, e.g. models/detector/1.2.0/onnx-cpu-fp32 */
  path: z.string().min(1).max(512),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  length: z.number().int().positive(),
});
export type TDesiredArtifact = z.infer<typeof ZDesiredArtifact>;

export const ZDesiredModel = ZDesiredArtifact.extend({
  model: ZModelName,
  /**
   * Explicit, signed permission to install a version lower than the one the device serves
   * (an operator's or the engine's rollback). Without it the agent refuses a downgrade.
   */
  rollback: z.boolean(),
  /** Install even while an application holds an update lock (POST /v1/locks). */
  force: z.boolean(),
  /** Bumped by the engine to make a device retry an install it reported as failed. */
  attempt: z.number().int().nonnegative(),
  /** Seconds the new version must serve without crashing before the agent reports success. */
  healthCheckSeconds: z.number().int().nonnegative(),
  rolloutId: z.string().max(64).optional(),
  /** A candidate run beside the serving version on a sample of live requests; its answers are never served. */
  shadow: ZDesiredArtifact.extend({ samplePercent: z.number().int().min(1).max(100) }).optional(),
});
export type TDesiredModel = z.infer<typeof ZDesiredModel>;

export const ZDeviceInstruction = z.object({
  v: z.literal(PROTOCOL_VERSION),
  /** The device this instruction is for; an agent refuses one addressed to another id. */
  deviceId: z.string().min(1).max(64),
  issuedAt: z.iso.datetime(),
  /** The complete desired set: a model not listed is not managed by the control plane. */
  models: z.array(ZDesiredModel).max(64),
});
export type TDeviceInstruction = z.infer<typeof ZDeviceInstruction>;

/** The delegated role name for a model version's publisher metadata. */
export const publisherRoleName = (model: string, version: string) => `${model}@${version}`;

/**
 * Retained message on `edgefleet/devices/<id>/desired`: a doorbell, not the instruction. The agent
 * answers it by refreshing its TUF repository, which is also what it does on every (re)connect
 * and on a timer, so a lost or stale doorbell delays nothing for long.
 */
export const ZDesiredNotice = z.object({
  v: z.literal(PROTOCOL_VERSION),
  instructionVersion: z.number().int().positive(),
  issuedAt: z.iso.datetime(),
});
export type TDesiredNotice = z.infer<typeof ZDesiredNotice>;

// ---- Reports (agent → `edgefleet/devices/<id>/state`, QoS 1) ----

export const INSTALL_STEPS = [
  'queued',
  'downloading',
  'verifying',
  'installing',
  'health_check',
  'succeeded',
  'failed',
  'rolled_back',
] as const;
export const ZInstallStep = z.enum(INSTALL_STEPS);
export type TInstallStep = z.infer<typeof ZInstallStep>;

/** Inference figures for one model version over the agent's last reporting window. */
export const ZInferenceStats = z.object({
  version: ZSemver,
  requests: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  p50Ms: z.number().nonnegative().max(3_600_000).optional(),
  p95Ms: z.number().nonnegative().max(3_600_000).optional(),
});
export type TInferenceStats = z.infer<typeof ZInferenceStats>;

export const ZShadowStats = z.object({
  version: ZSemver,
  samples: z.number().int().nonnegative(),
  /** Share of samples where the candidate agreed with the serving model, 0..1. */
  agreement: z.number().min(0).max(1),
  /** Mean absolute difference of outputs, for models that are not classifiers. */
  meanAbsDiff: z.number().nonnegative().optional(),
  candidateP95Ms: z.number().nonnegative().optional(),
  servingP95Ms: z.number().nonnegative().optional(),
  errors: z.number().int().nonnegative(),
});
export type TShadowStats = z.infer<typeof ZShadowStats>;

export const ZModelReport = z.object({
  model: ZModelName,
  serving: z.object({ version: ZSemver, slot: z.enum(['a', 'b']), since: z.iso.datetime() }).optional(),
  previous: z.object({ version: ZSemver, slot: z.enum(['a', 'b']) }).optional(),
  /** The install the agent is working on or last finished, with the reason for its step. */
  install: z
    .object({
      version: ZSemver,
      step: ZInstallStep,
      reason: z.string().max(1000).optional(),
      /** The instruction's attempt counter this step belongs to. */
      attempt: z.number().int().nonnegative(),
      /** false: retrying cannot help (preflight refused, signature invalid). */
      retryable: z.boolean().optional(),
      bytes: z.number().int().nonnegative().optional(),
      totalBytes: z.number().int().nonnegative().optional(),
    })
    .optional(),
  stats: z.array(ZInferenceStats).max(8).optional(),
  shadow: ZShadowStats.optional(),
  /** Agent restarts (crashes) since this version started serving. */
  restarts: z.number().int().nonnegative().optional(),
});
export type TModelReport = z.infer<typeof ZModelReport>;

/** A full snapshot of the agent's model state; sent on every change and after each (re)connect. */
export const ZStateReport = z.object({
  v: z.literal(PROTOCOL_VERSION),
  ts: z.iso.datetime(),
  /** The last director instruction version the agent accepted (0: none yet). */
  instructionVersion: z.number().int().nonnegative(),
  models: z.array(ZModelReport).max(64),
});
export type TStateReport = z.infer<typeof ZStateReport>;

/** Largest state report the gateway accepts. */
export const MAX_STATE_REPORT_BYTES = 64 * 1024;

// ---- Rollout definitions (API/CLI ↔ core; stored as JSON on the rollout) ----

export const ZTagSelector = z.record(z.string().min(1).max(64), z.string().max(128));

export const ZRolloutSelector = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('group'), group: z.string().min(1).max(128) }),
  z.object({
    kind: z.literal('tags'),
    tags: ZTagSelector.refine((t) => Object.keys(t).length > 0, 'at least one tag'),
  }),
  z.object({ kind: z.literal('devices'), deviceIds: z.array(z.string().min(1).max(64)).min(1).max(100_000) }),
  z.object({ kind: z.literal('all') }),
]);
export type TRolloutSelector = z.infer<typeof ZRolloutSelector>;

/** A phase reaches `percent` of the matched devices or `count` devices (cumulative), then soaks. */
export const ZPhase = z
  .object({
    percent: z.number().min(0.01).max(100).optional(),
    count: z.number().int().positive().optional(),
    soakSeconds: z
      .number()
      .int()
      .nonnegative()
      .max(30 * 86_400),
  })
  .refine((p) => (p.percent === undefined) !== (p.count === undefined), 'a phase has a percent or a count');
export type TPhase = z.infer<typeof ZPhase>;

export const ZRolloutStrategy = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('phases'), phases: z.array(ZPhase).min(1).max(20) }),
  /** Admit `startPerMinute` devices in the first minute, multiply by `factor` each minute gates hold. */
  z.object({
    kind: z.literal('exponential'),
    startPerMinute: z.number().int().positive().max(100_000),
    factor: z.number().min(1).max(100),
  }),
]);
export type TRolloutStrategy = z.infer<typeof ZRolloutStrategy>;

export const ZRolloutGates = z.object({
  /** Failed + timed out, as a share of devices that finished, above which the gate trips. */
  maxFailurePercent: z.number().min(0).max(100).default(5),
  /** Successes needed in a phase before the next may start. */
  minSuccesses: z.number().int().nonnegative().default(0),
  /** Inference error rate of the new version (percent of requests). */
  maxErrorRatePercent: z.number().min(0).max(100).optional(),
  /** p95 latency of the new version versus the previous one on the same devices (percent worse). */
  maxP95RegressionPercent: z.number().min(0).max(10_000).optional(),
  /** Agent restarts after the switch, summed over the rollout's devices. */
  maxRestarts: z.number().int().nonnegative().optional(),
  /** Shadow agreement with the serving model (percent), averaged over the shadow cohort. */
  minAgreementPercent: z.number().min(0).max(100).optional(),
});
export type TRolloutGates = z.infer<typeof ZRolloutGates>;

/** UTC window in which new devices may start installing; `days` 0 = Sunday. end < start spans midnight. */
export const ZMaintenanceWindow = z.object({
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  days: z.array(z.number().int().min(0).max(6)).max(7).optional(),
});
export type TMaintenanceWindow = z.infer<typeof ZMaintenanceWindow>;

export const ZShadowPlan = z
  .object({
    percent: z.number().min(0.01).max(100).optional(),
    count: z.number().int().positive().optional(),
    durationSeconds: z
      .number()
      .int()
      .positive()
      .max(30 * 86_400),
    /** Share of live requests mirrored to the candidate. */
    samplePercent: z.number().int().min(1).max(100).default(100),
  })
  .refine((p) => (p.percent === undefined) !== (p.count === undefined), 'the shadow cohort has a percent or a count');
export type TShadowPlan = z.infer<typeof ZShadowPlan>;

export const ZCreateRollout = z.object({
  model: ZModelName,
  version: ZSemver,
  selector: ZRolloutSelector,
  strategy: ZRolloutStrategy.default({ kind: 'all' }),
  gates: ZRolloutGates.default({ maxFailurePercent: 5, minSuccesses: 0 }),
  onFailure: z.enum(['pause', 'rollback']).default('pause'),
  maxConcurrent: z.number().int().positive().max(1_000_000).optional(),
  window: ZMaintenanceWindow.optional(),
  shadow: ZShadowPlan.optional(),
  /** A device stuck in one step longer than this is timed out (counted as a failure). */
  stepTimeoutSeconds: z
    .number()
    .int()
    .min(10)
    .max(7 * 86_400)
    .default(900),
  /** Installs a device may retry after a transient failure before it counts as failed. */
  maxRetries: z.number().int().min(0).max(20).default(2),
  healthCheckSeconds: z.number().int().min(0).max(86_400).default(10),
  force: z.boolean().default(false),
});
export type TCreateRollout = z.input<typeof ZCreateRollout>;
export type TCreateRolloutParsed = z.output<typeof ZCreateRollout>;

/** What the gates read from each device's reports, stored on its rollout row. */
export const ZRolloutDeviceMetrics = z.object({
  candidate: ZInferenceStats.optional(),
  previous: ZInferenceStats.optional(),
  shadow: ZShadowStats.optional(),
  restarts: z.number().int().nonnegative().optional(),
});
export type TRolloutDeviceMetrics = z.infer<typeof ZRolloutDeviceMetrics>;

export const ROLLOUT_STATUSES = ['running', 'paused', 'completed', 'failed', 'aborted', 'rolled_back'] as const;
export const ACTIVE_ROLLOUT_STATUSES = ['running', 'paused'] as const;
export const ROLLOUT_DEVICE_STATES = [
  'queued',
  'shadowing',
  'notified',
  'downloading',
  'verifying',
  'installing',
  'health_check',
  'succeeded',
  'failed',
  'timed_out',
  'rolled_back',
  'skipped',
  'cancelled',
] as const;
export type TRolloutDeviceState = (typeof ROLLOUT_DEVICE_STATES)[number];
/** States a device does not leave without a new instruction. */
export const TERMINAL_DEVICE_STATES = [
  'succeeded',
  'failed',
  'timed_out',
  'rolled_back',
  'skipped',
  'cancelled',
] as const;
