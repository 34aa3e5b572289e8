import { join } from 'node:path';
import type { TDeviceFacts } from '@edgefleet/protocol/device';
import type { TStateReport } from '@edgefleet/protocol/rollout';
import { Agent } from '../agent.ts';
import { DataDir } from '../data-dir.ts';
import { enroll } from '../enroll.ts';
import { errorMessage } from '../errors.ts';
import { AGENT_VERSION } from '../facts.ts';
import { ModelServer } from '../inference/model-server.ts';
import { createBackends } from '../inference/select-backend.ts';
import type { ModelRuntime } from '../install/model-runtime.ts';
import { createInstaller } from '../install/service.ts';
import { awsIotLink } from '../mqtt-link.ts';
import { type Log, systemClock } from '../runtime.ts';
import { openTelemetry, type TelemetryOptions } from '../telemetry/open.ts';
import type { TrustSource } from '../trust.ts';

export interface FleetOptions {
  devices: number;
  /** Gateway HTTPS URL, e.g. https://127.0.0.1:8443 */
  server: string;
  /**
   * Enrollment tokens, needed only for devices not enrolled yet (their identities stay in
   * dataDir). Device i uses tokens[i % length]: tokens with different groups and tags give the
   * fleet varied tags, as a real fleet gets them from the token (or pre-authorization) it enrolled with.
   */
  tokens?: string[];
  trust: TrustSource;
  dataDir: string;
  mqttPort?: number;
  heartbeatMs: number;
  /** Share of installs that fail on purpose (the smoke test "fails"), 0..1. */
  failRate: number;
  /** How many enrollments run at once (key generation is CPU-bound). */
  enrollConcurrency?: number;
  /** How often the installer refreshes without a doorbell. */
  refreshIntervalMs?: number;
  /** Each device's telemetry (default: every 10 s; the metrics are this machine's). */
  telemetry?: TelemetryOptions;
  log: Log;
  random?: () => number;
}

export interface DeviceView {
  index: number;
  deviceId?: string;
  phase: 'enrolling' | 'running' | 'failed';
  error?: string;
  connected: boolean;
  report?: TStateReport;
}

/**
 * Varied hardware so variant selection and the dashboard have something to show: every fourth
 * device claims a CUDA GPU, every fifth an Intel iGPU (OpenVINO). The claims are facts only; the
 * models still run on this machine's CPU (the backends fall back, as on a real device without drivers).
 */
export function simulatedFacts(index: number): TDeviceFacts {
  const accelerators: TDeviceFacts['accelerators'] = [];
  if (index % 4 === 0) accelerators.push({ kind: 'cuda', name: 'Simulated NVIDIA Jetson Orin' });
  if (index % 5 === 0) accelerators.push({ kind: 'openvino', name: 'Simulated Intel UHD Graphics' });
  return {
    hostname: `sim-${String(index).padStart(5, '0')}`,
    os: 'linux',
    osVersion: 'EdgeFleet simulator',
    arch: index % 3 === 0 ? 'arm64' : 'x64',
    cpu: { model: 'Simulated CPU', cores: 2 + (index % 3) * 2 },
    memoryBytes: (2 + (index % 4) * 2) * 2 ** 30,
    accelerators,
    backends: ['onnxruntime-node', 'onnxruntime-web'],
    agentVersion: AGENT_VERSION,
    serialNumber: `SIM-${String(index).padStart(6, '0')}`,
  };
}

/** A runtime whose prepare() fails for a share of installs, as a broken smoke test would. */
function failing<P>(runtime: ModelRuntime<P>, rate: number, random: () => number): ModelRuntime<P> {
  return {
    prepare: async (model, version, file, target) => {
      if (random() < rate) throw new Error('smoke test failed: simulated failure (--fail-rate)');
      return runtime.prepare(model, version, file, target);
    },
    activate: (model, prepared) => runtime.activate(model, prepared),
    setShadow: (model, prepared, samplePercent) => runtime.setShadow(model, prepared, samplePercent),
    unload: (model) => runtime.unload(model),
    discard: (prepared) => runtime.discard?.(prepared) ?? Promise.resolve(),
    report: (model) => runtime.report(model),
  };
}

/**
 * N virtual devices in one process, each running the real agent: its own key and certificate
 * (enrollment), its own mTLS MQTT connection, TUF refreshes, downloads, verification, A/B slots,
 * real onnxruntime sessions and state reports. Identities stay under dataDir, so stopping and
 * starting again resumes the same fleet.
 */
export class Fleet {
  readonly views: DeviceView[];
  private readonly models: ModelServer[] = [];
  private readonly startedAt = performance.now();
  /** Seconds from start until every device was enrolled, then online at once (the first time). */
  private readonly milestones: { enrolled?: number; online?: number } = {};
  /** Until when (epoch ms) the gateway refused enrollments with 429, for the progress line. */
  private rateLimitedUntil = 0;

  constructor(private readonly opts: FleetOptions) {
    this.views = Array.from({ length: opts.devices }, (_, index) => ({
      index,
      phase: 'enrolling' as const,
      connected: false,
    }));
  }

  async run(signal: AbortSignal): Promise<void> {
    const queue = [...this.views];
    const running: Promise<void>[] = [];
    const workers = Array.from({ length: this.opts.enrollConcurrency ?? 4 }, async () => {
      for (let view = queue.shift(); view && !signal.aborted; view = queue.shift()) {
        const dataDir = new DataDir(join(this.opts.dataDir, `device-${String(view.index).padStart(5, '0')}`));
        try {
          await this.enrollOne(view, dataDir, signal);
          running.push(this.runOne(view, dataDir, signal));
        } catch (e) {
          view.phase = 'failed';
          view.error = errorMessage(e);
          this.opts.log(`device ${view.index}: ${view.error}`);
        }
      }
    });
    await Promise.all(workers);
    await Promise.all(running);
    await Promise.all(this.models.map((m) => m.close()));
  }

  private async enrollOne(view: DeviceView, dataDir: DataDir, signal: AbortSignal): Promise<void> {
    const quiet: Log = () => {};
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await enroll(
          { dataDir, clock: systemClock, log: quiet, collectFacts: async () => simulatedFacts(view.index) },
          {
            server: this.opts.server,
            token: this.opts.tokens?.length ? this.opts.tokens[view.index % this.opts.tokens.length] : undefined,
            trust: this.opts.trust,
            mqttPort: this.opts.mqttPort,
            timeoutMs: 600_000,
          },
        );
        view.deviceId = outcome.deviceId;
        return;
      } catch (e) {
        // The gateway limits enrollments per address (EDGEFLEET_ENROLL_RATE_LIMIT); a simulator on
        // one address waits as long as the gateway says, plus jitter so the workers do not all return at once.
        const message = errorMessage(e);
        if (signal.aborted || attempt >= 20 || !/429|too many/i.test(message)) throw e;
        const retryIn = Number(/retry in (\d+) s/.exec(message)?.[1] ?? 3);
        const waitMs = retryIn * 1000 + Math.floor((this.opts.random ?? Math.random)() * 1000);
        this.rateLimitedUntil = Math.max(this.rateLimitedUntil, Date.now() + waitMs);
        await systemClock.sleep(waitMs, signal);
      }
    }
  }

  private async runOne(view: DeviceView, dataDir: DataDir, signal: AbortSignal): Promise<void> {
    const identity = await dataDir.readIdentity();
    if (!identity) throw new Error(`${dataDir.root}: no identity after enrollment`);
    const quiet: Log = () => {};
    // One thread per session: onnxruntime's default pool (a thread per core, per session) would
    // give a 1,000-device simulator over a thousand threads once a model is installed.
    const backends = createBackends({ accelerators: [], log: quiet, intraOpNumThreads: 1 });
    const models = new ModelServer({ backends, log: quiet });
    this.models.push(models);
    const random = this.opts.random ?? Math.random;
    const installer = createInstaller({
      dataDir,
      identity,
      runtime: this.opts.failRate > 0 ? failing(models, this.opts.failRate, random) : models,
      clock: systemClock,
      log: quiet,
      refreshIntervalMs: this.opts.refreshIntervalMs,
    });
    const telemetry = await openTelemetry({
      dataDir,
      deviceId: identity.deviceId,
      inference: models,
      installer,
      clock: systemClock,
      log: quiet,
      ...this.opts.telemetry,
    });
    const agent = new Agent({
      dataDir,
      links: awsIotLink,
      clock: systemClock,
      log: (line) => {
        if (line.startsWith('connected to')) view.connected = true;
        else if (line.startsWith('disconnected') || line.startsWith('cannot connect')) view.connected = false;
      },
      heartbeatMs: this.opts.heartbeatMs,
      reconnect: { initialMs: 1000, maxMs: 30_000, jitter: 0.5 },
      mqttPort: this.opts.mqttPort,
      installer,
      telemetry,
    });
    view.phase = 'running';
    installer.onReport((report) => {
      view.report = report;
    });
    view.report = installer.report();
    await agent.run(signal);
    view.connected = false;
  }

  /** One line for humans: enrolled, online, what is served, what is in progress. */
  summary(): string {
    const enrolled = this.views.filter((v) => v.phase === 'running').length;
    const failed = this.views.filter((v) => v.phase === 'failed').length;
    const online = this.views.filter((v) => v.connected).length;
    const elapsed = Math.round((performance.now() - this.startedAt) / 1000);
    if (enrolled === this.views.length) this.milestones.enrolled ??= elapsed;
    if (online === this.views.length) this.milestones.online ??= elapsed;
    const limitedFor = Math.ceil((this.rateLimitedUntil - Date.now()) / 1000);
    const reached = [
      limitedFor > 0 ? `enrollment rate-limited by the gateway for ${limitedFor}s more` : '',
      this.milestones.enrolled !== undefined ? `all enrolled at ${this.milestones.enrolled}s` : '',
      this.milestones.online !== undefined ? `all online at ${this.milestones.online}s` : '',
    ].filter(Boolean);
    const serving = new Map<string, number>();
    const steps = new Map<string, number>();
    for (const v of this.views) {
      for (const m of v.report?.models ?? []) {
        if (m.serving) {
          const key = `${m.model}@${m.serving.version}`;
          serving.set(key, (serving.get(key) ?? 0) + 1);
        }
        if (m.install && m.install.step !== 'succeeded') {
          steps.set(m.install.step, (steps.get(m.install.step) ?? 0) + 1);
        }
      }
    }
    const list = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
    return (
      `${elapsed}s · ${enrolled}/${this.views.length} enrolled${failed ? ` (${failed} failed)` : ''} · ${online} online · ` +
      `serving: ${list(serving)} · in progress: ${list(steps)}${reached.length ? ` · ${reached.join(', ')}` : ''}`
    );
  }
}
