import { PROTOCOL_VERSION, topics } from '@edgefleet/protocol/device';
import type { TStateReport } from '@edgefleet/protocol/rollout';
import { type TInferenceWindow, type TSystemMetrics, ZDeviceEvent, ZTelemetry } from '@edgefleet/protocol/telemetry';
import { errorMessage } from '../errors.ts';
import { AGENT_VERSION } from '../facts.ts';
import type { DeviceLink } from '../mqtt-link.ts';
import { type Clock, isAbort, type Log } from '../runtime.ts';
import { type AnomalyThresholds, anomalyTransitions, DEFAULT_THRESHOLDS, findAnomalies } from './anomalies.ts';
import { type EventDraft, installEvents, type SeenInstalls } from './install-events.ts';
import type { DiskQueue } from './queue.ts';
import { Sender, type SenderOptions } from './sender.ts';

export type TelemetryMode = 'all' | 'summary';

export interface ReporterOptions {
  /** How often system and inference figures are sampled (default 10 s). */
  intervalMs?: number;
  /** summary: a sample without inference and without anomaly is sent only once per summaryEveryMs. */
  mode?: TelemetryMode;
  summaryEveryMs?: number;
  thresholds?: Partial<AnomalyThresholds>;
  /** On a clean stop, how long to try delivering what is queued (agent_stopped last) before disconnecting. */
  stopDrainMs?: number;
  sender?: Pick<SenderOptions, 'window' | 'ackTimeoutMs' | 'retryMs'>;
}

export interface ReporterDeps extends ReporterOptions {
  deviceId: string;
  queues: { telemetry: DiskQueue; events: DiskQueue };
  metrics: { collect(): Promise<TSystemMetrics> };
  inference?: { takeInferenceWindows(): TInferenceWindow[] };
  installer?: { onReport(listener: (report: TStateReport) => void): () => void };
  /** Install ends already reported (null: none recorded yet: the first report is taken as the baseline). */
  seenInstalls: SeenInstalls | null;
  saveSeenInstalls: (seen: SeenInstalls) => Promise<void>;
  clock: Clock;
  log: Log;
}

/** How a connection ended, as the Agent tells it. */
export type SessionEnd = { kind: 'stopped' | 'renew' | 'interrupted'; error?: Error };

/** What the Agent drives: sampling beside the connection, delivery while connected. */
export interface AgentTelemetry {
  run(signal: AbortSignal): Promise<void>;
  /** The connection is up: deliver over it until the returned function is called (before disconnecting). */
  attach(link: DeviceLink, endpoint: string): (end: SessionEnd) => Promise<void>;
}

/**
 * Device telemetry: every interval one ZTelemetry (system metrics + each model version's
 * inference window) into the telemetry queue; lifecycle, connection, install and anomaly
 * events into the events queue; a Sender drains both while connected. Everything goes through
 * the queues, so what happens offline arrives, in order, after the next connect.
 */
export class TelemetryReporter implements AgentTelemetry {
  readonly sender: Sender;
  private readonly thresholds: AnomalyThresholds;
  private lastSampleAt: number;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private anomalies = new Map<string, EventDraft>();
  private seen: SeenInstalls | null;
  private installs: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | null = null;

  constructor(private readonly deps: ReporterDeps) {
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...deps.thresholds };
    this.lastSampleAt = deps.clock.now().getTime();
    this.seen = deps.seenInstalls;
    this.sender = new Sender({
      streams: [
        // Events first: rare, and what an operator looks at when something went wrong.
        { name: 'event', queue: deps.queues.events, topic: topics.events(deps.deviceId), schema: ZDeviceEvent },
        { name: 'telemetry', queue: deps.queues.telemetry, topic: topics.telemetry(deps.deviceId), schema: ZTelemetry },
      ],
      clock: deps.clock,
      log: deps.log,
      ...deps.sender,
    });
    // Subscribed before the installer starts, so the report of its own recovery is seen too.
    deps.installer?.onReport((report) => {
      this.installs = this.installs.then(() => this.onInstallReport(report));
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const { clock, log } = this.deps;
    await this.event({ kind: 'agent_started', severity: 'info', message: `edgefleet-agent ${AGENT_VERSION} started` });
    try {
      while (!signal.aborted) {
        try {
          await clock.sleep(this.deps.intervalMs ?? 10_000, signal);
        } catch (e) {
          if (isAbort(e)) break;
          throw e;
        }
        await this.sample().catch((e) => log(`telemetry sample skipped: ${errorMessage(e)}`));
      }
    } finally {
      await this.stopping();
      await this.installs;
    }
  }

  attach(link: DeviceLink, endpoint: string): (end: SessionEnd) => Promise<void> {
    void this.event({ kind: 'connected', severity: 'info', message: `connected to ${endpoint}` });
    this.sender.attach(link);
    return async (end) => {
      if (end.kind === 'stopped') {
        await this.stopping();
        await this.sender.drained(this.deps.stopDrainMs ?? 3000);
      }
      await this.sender.detach();
      if (end.kind === 'interrupted') {
        const reason = end.error ? `: ${errorMessage(end.error)}` : '';
        await this.event({
          kind: 'disconnected',
          severity: 'warning',
          message: `disconnected from ${endpoint}${reason}`,
        });
      } else if (end.kind === 'renew') {
        await this.event({
          kind: 'disconnected',
          severity: 'info',
          message: 'reconnecting with a renewed certificate',
        });
      }
    };
  }

  /** One interval: samples, reports anomalies, and queues the telemetry unless summary mode filters it. */
  async sample(): Promise<void> {
    const { clock, queues } = this.deps;
    const now = clock.now();
    const elapsed = (now.getTime() - this.lastSampleAt) / 1000;
    this.lastSampleAt = now.getTime();
    const system = await this.deps.metrics.collect();
    const inference = this.deps.inference?.takeInferenceWindows() ?? [];
    const anomalies = findAnomalies(system, inference, this.thresholds);
    for (const draft of anomalyTransitions(this.anomalies, anomalies)) await this.event(draft);
    this.anomalies = anomalies;
    const quiet = inference.length === 0 && anomalies.size === 0;
    const summaryEvery = this.deps.summaryEveryMs ?? 5 * 60_000;
    if (this.deps.mode === 'summary' && quiet && now.getTime() - this.lastSentAt < summaryEvery) return;
    const body = {
      v: PROTOCOL_VERSION,
      ts: now.toISOString(),
      intervalSeconds: Math.min(86_400, elapsed > 0 ? elapsed : (this.deps.intervalMs ?? 10_000) / 1000),
      system,
      inference,
    };
    // Only what the control plane will accept is queued; seq and dropped are added when sent.
    const check = ZTelemetry.safeParse({ ...body, seq: 0, dropped: 0 });
    if (!check.success) throw new Error(`invalid telemetry: ${check.error.issues[0]?.message}`);
    this.lastSentAt = now.getTime();
    await queues.telemetry.push(body);
  }

  /** Queues an event (stamped now); one that would not validate is logged and left out. */
  async event(draft: EventDraft): Promise<void> {
    const body = {
      v: PROTOCOL_VERSION,
      ts: this.deps.clock.now().toISOString(),
      ...draft,
      message: draft.message.slice(0, 2000),
    };
    const check = ZDeviceEvent.safeParse({ ...body, seq: 0, dropped: 0 });
    if (!check.success) return this.deps.log(`event not sent (${check.error.issues[0]?.message}): ${draft.message}`);
    await this.deps.queues.events.push(body);
  }

  /** Messages waiting in both queues, and those dropped since the last delivery (for diagnostics). */
  queueStats(): { depth: number; dropped: number } {
    const { telemetry, events } = this.deps.queues;
    return { depth: telemetry.length + events.length, dropped: telemetry.dropped + events.dropped };
  }

  /** Resolves once the events of the install reports so far and every push are on disk. */
  async idle(): Promise<void> {
    await this.installs;
    await Promise.all([this.deps.queues.events.idle(), this.deps.queues.telemetry.idle()]);
  }

  /** agent_stopped, queued once however many ways the stop arrives. */
  private stopping(): Promise<void> {
    this.stopped ??= this.event({ kind: 'agent_stopped', severity: 'info', message: 'edgefleet-agent stopped' });
    return this.stopped;
  }

  private async onInstallReport(report: TStateReport): Promise<void> {
    const { events, seen } = installEvents(report, this.seen ?? {});
    const baseline = this.seen === null;
    this.seen = seen;
    if (!baseline) for (const draft of events) await this.event(draft);
    if (baseline || events.length > 0) {
      // After the events are queued: a crash in between repeats an event rather than losing it.
      await this.deps.saveSeenInstalls(seen).catch((e) => this.deps.log(`telemetry: ${errorMessage(e)}`));
    }
  }
}
