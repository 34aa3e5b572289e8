import type { TModelTargetCustom } from '@edgefleet/protocol/registry';
import type { TInferenceStats, TShadowStats } from '@edgefleet/protocol/rollout';
import type { TInferenceWindow } from '@edgefleet/protocol/telemetry';
import { type Clock, type Log, systemClock } from '../runtime.ts';
import { InferenceWindows } from '../telemetry/inference-windows.ts';
import type { Backend, Session } from './backend.ts';
import { InferenceError } from './errors.ts';
import { SessionLease } from './lease.ts';
import { selectBackend } from './select-backend.ts';
import { compareOutputs, ShadowTally } from './shadow.ts';
import { DEFAULT_SMOKE_BUDGET_MS, runSmokeTest, type SmokeResult } from './smoke-test.ts';
import { RollingStats } from './stats.ts';
import type { Tensor, TensorSpec } from './tensor.ts';

/**
 * A loaded, smoke-tested model version, not yet serving. Pass this very object (the server knows
 * it by identity) to activate(), setShadow() or discard(); until then its session stays loaded.
 */
export interface Prepared {
  readonly model: string;
  readonly version: string;
  readonly file: string;
  readonly target: TModelTargetCustom;
  readonly backend: string;
  /** The accelerator it was loaded for (cpu when the artifact's could not be used here). */
  readonly accelerator: string;
  readonly executionProvider: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly smoke: SmokeResult;
}

export interface ServedModel {
  model: string;
  version: string;
  since: Date;
  runtime: TModelTargetCustom['runtime'];
  backend: string;
  executionProvider: string;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  shadow?: { version: string; samplePercent: number };
}

export interface InferResult {
  model: string;
  /** The version that answered: with a switch under way, not necessarily the one served a moment later. */
  version: string;
  outputs: Record<string, Tensor>;
}

export interface ModelServerOptions {
  /** In order of preference (see selectBackend). */
  backends: Backend[];
  log: Log;
  clock?: Clock;
  random?: () => number;
  /** Latency budget of the smoke test (default 5 s). */
  smokeBudgetMs?: number;
  /** The rolling window report() covers: `slots` × `slotMs` (default 5 × 1 min). */
  statsWindow?: { slotMs: number; slots: number };
  /** Shadow runs allowed at once; samples beyond are skipped, so a slow candidate cannot pile up work. */
  maxShadowInFlight?: number;
  /** How long activate()/setShadow()/unload() wait for the old session's requests before returning anyway. */
  drainTimeoutMs?: number;
}

interface Role {
  prepared: Prepared;
  lease: SessionLease;
}
interface Entry {
  serving: (Role & { since: Date }) | null;
  shadow: (Role & { samplePercent: number; tally: ShadowTally }) | null;
  stats: RollingStats;
}

/**
 * Serves model versions to local callers. The only place sessions change hands: prepare() loads
 * and smoke-tests, activate() swaps atomically (requests already running finish on the old
 * session, which is unloaded when the last one returns; none fails because of the swap),
 * setShadow() mirrors a sample of requests to a candidate whose answers are compared, never served.
 */
export class ModelServer {
  private readonly models = new Map<string, Entry>();
  private readonly leases = new WeakMap<Prepared, SessionLease>();
  /** prepare() calls under way for models that serve nothing yet. */
  private readonly firstLoads = new Map<string, number>();
  private readonly shadowRuns = new Set<Promise<void>>();
  /** Per-interval figures for telemetry, beside the rolling window of the state reports. */
  private readonly windows = new InferenceWindows();
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly opts: ModelServerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
  }

  /** Why no backend here can run an artifact built for this runtime and accelerator (null: one can). */
  async unsupported(target: Pick<TModelTargetCustom, 'runtime' | 'accelerator'>): Promise<string | null> {
    try {
      await selectBackend(this.opts.backends, target);
      return null;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  async prepare(model: string, version: string, file: string, target: TModelTargetCustom): Promise<Prepared> {
    if (target.model !== model || target.version !== version) {
      throw new InferenceError(
        'bad_artifact',
        `the artifact is ${target.model}@${target.version}, not ${model}@${version}`,
      );
    }
    const label = `${model}@${version}`;
    const first = !this.models.get(model)?.serving;
    if (first) this.firstLoads.set(model, (this.firstLoads.get(model) ?? 0) + 1);
    try {
      const choice = await selectBackend(this.opts.backends, target);
      if (choice.note) this.opts.log(`${label}: ${choice.note}`);
      const session = await choice.backend.load(file, { accelerator: choice.accelerator, declared: target.tensors });
      try {
        const mismatch = target.runtime === 'onnx' ? signatureMismatch(target, session) : null;
        if (mismatch) throw new InferenceError('bad_artifact', `${label}: ${mismatch}`);
        const smoke = await runSmokeTest(session, target.smokeTest, {
          budgetMs: this.opts.smokeBudgetMs ?? DEFAULT_SMOKE_BUDGET_MS,
        });
        if (!smoke.ok) throw new InferenceError('smoke_test', `${label} failed its smoke test: ${smoke.reason}`);
        const prepared: Prepared = {
          model,
          version,
          file,
          target,
          backend: session.backend,
          accelerator: choice.accelerator,
          executionProvider: session.executionProvider,
          inputs: session.inputs,
          outputs: session.outputs,
          smoke,
        };
        this.leases.set(prepared, new SessionLease(session, label, this.opts.log));
        this.opts.log(
          `${label}: loaded with ${session.backend} (${session.executionProvider}); smoke test passed in ${smoke.latencyMs} ms` +
            (smoke.reason ? ` (${smoke.reason})` : ''),
        );
        return prepared;
      } catch (e) {
        await session.unload().catch(() => {});
        throw e;
      }
    } finally {
      if (first) {
        const n = (this.firstLoads.get(model) ?? 1) - 1;
        if (n > 0) this.firstLoads.set(model, n);
        else this.firstLoads.delete(model);
      }
    }
  }

  async activate(model: string, prepared: Prepared): Promise<void> {
    const lease = this.leaseOf(model, prepared);
    const entry = this.entry(model);
    const old = entry.serving;
    if (old?.lease === lease) return;
    // Everything up to the drain is synchronous: no request can see a half-done switch.
    lease.add('serving');
    lease.drop('held');
    if (entry.shadow?.lease === lease) {
      lease.drop('shadow');
      entry.shadow = null;
    }
    entry.serving = { prepared, lease, since: this.clock.now() };
    this.opts.log(`${model}: serving ${prepared.version}${old ? ` (was ${old.prepared.version})` : ''}`);
    if (old) {
      old.lease.drop('serving');
      await this.drain(old.lease, `${model}@${old.prepared.version}`);
    }
  }

  async setShadow(model: string, prepared: Prepared | null, samplePercent = 100): Promise<void> {
    if (!(samplePercent > 0 && samplePercent <= 100)) {
      throw new InferenceError('bad_input', `samplePercent must be in (0, 100], not ${samplePercent}`);
    }
    const lease = prepared ? this.leaseOf(model, prepared) : null;
    const entry = this.entry(model);
    const old = entry.shadow;
    if (prepared && lease) {
      if (entry.serving?.lease === lease) {
        throw new InferenceError('bad_artifact', `${model}@${prepared.version} is serving; it cannot shadow itself`);
      }
      if (old?.lease === lease) {
        old.samplePercent = samplePercent;
        return;
      }
      lease.add('shadow');
      lease.drop('held');
      entry.shadow = { prepared, lease, samplePercent, tally: new ShadowTally(prepared.version) };
      this.opts.log(`${model}: shadowing ${prepared.version} on ${samplePercent}% of requests`);
    } else {
      entry.shadow = null;
      if (!entry.serving) this.models.delete(model);
    }
    if (old) {
      old.lease.drop('shadow');
      await this.drain(old.lease, `${model}@${old.prepared.version}`);
    }
  }

  /** Gives up a prepared version that will not be activated. A serving or shadow one is left alone. */
  async discard(prepared: Prepared): Promise<void> {
    const lease = this.leases.get(prepared);
    if (!lease?.has('held')) return;
    lease.drop('held');
    if (lease.unloaded) await lease.closed;
  }

  async unload(model: string): Promise<void> {
    const entry = this.models.get(model);
    if (!entry) return;
    this.models.delete(model);
    const roles = [entry.serving, entry.shadow].filter((r) => r !== null);
    entry.serving?.lease.drop('serving');
    entry.shadow?.lease.drop('shadow');
    await Promise.all(roles.map((r) => this.drain(r.lease, `${model}@${r.prepared.version}`)));
    this.opts.log(`${model}: unloaded`);
  }

  /** `inputs` must not be changed after the call: a shadow candidate may read them after the answer. */
  async infer(model: string, inputs: Record<string, Tensor>): Promise<InferResult> {
    const entry = this.models.get(model);
    const serving = entry?.serving;
    if (!entry || !serving) throw new InferenceError('not_found', `model "${model}" is not being served`);
    const { lease, prepared } = serving;
    lease.enter(); // in the same synchronous step as reading `serving`: see SessionLease
    const started = performance.now();
    let outputs: Record<string, Tensor>;
    try {
      outputs = await lease.session.infer(inputs);
    } catch (e) {
      const failedMs = performance.now() - started;
      entry.stats.record(prepared.version, failedMs, false);
      this.windows.record(model, prepared.version, failedMs, false);
      throw e;
    } finally {
      lease.exit();
    }
    const ms = performance.now() - started;
    entry.stats.record(prepared.version, ms, true);
    this.windows.record(model, prepared.version, ms, true);
    this.sampleShadow(entry, inputs, outputs, ms);
    return { model, version: prepared.version, outputs };
  }

  /**
   * Stats per version over the rolling window (most recent first, at most 8), and the shadow
   * candidate's tally since it was set (absent until it has a sample).
   */
  report(model: string): { stats: TInferenceStats[]; shadow?: TShadowStats } {
    const entry = this.models.get(model);
    if (!entry) return { stats: [] };
    const shadow = entry.shadow?.tally.stats();
    return { stats: entry.stats.snapshot().slice(0, 8), ...(shadow ? { shadow } : {}) };
  }

  /** Requests, errors and latency per served version since the last call (telemetry's interval), then starts over. */
  takeInferenceWindows(): TInferenceWindow[] {
    return this.windows.take();
  }

  /** False while a model that serves nothing yet is being prepared (the agent starting up). */
  ready(): boolean {
    return this.firstLoads.size === 0;
  }

  describe(model: string): ServedModel | undefined {
    const entry = this.models.get(model);
    const s = entry?.serving;
    if (!entry || !s) return undefined;
    return {
      model,
      version: s.prepared.version,
      since: s.since,
      runtime: s.prepared.target.runtime,
      backend: s.prepared.backend,
      executionProvider: s.prepared.executionProvider,
      inputs: s.prepared.inputs,
      outputs: s.prepared.outputs,
      ...(entry.shadow
        ? { shadow: { version: entry.shadow.prepared.version, samplePercent: entry.shadow.samplePercent } }
        : {}),
    };
  }

  list(): ServedModel[] {
    return [...this.models.keys()].flatMap((m) => this.describe(m) ?? []);
  }

  /** Resolves when the shadow runs started so far have finished. */
  async idle(): Promise<void> {
    while (this.shadowRuns.size > 0) await Promise.allSettled([...this.shadowRuns]);
  }

  async close(): Promise<void> {
    await this.idle();
    await Promise.all([...this.models.keys()].map((m) => this.unload(m)));
  }

  private sampleShadow(
    entry: Entry,
    inputs: Record<string, Tensor>,
    served: Record<string, Tensor>,
    servingMs: number,
  ) {
    const shadow = entry.shadow;
    if (!shadow || this.random() * 100 >= shadow.samplePercent) return;
    if (this.shadowRuns.size >= (this.opts.maxShadowInFlight ?? 4)) return;
    shadow.lease.enter(); // held until the run ends, even if the shadow is replaced meanwhile
    const run = (async () => {
      // The caller gets its answer first: the candidate runs on a later turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      const started = performance.now();
      try {
        const outputs = await shadow.lease.session.infer(inputs);
        shadow.tally.record(servingMs, {
          ms: performance.now() - started,
          comparison: compareOutputs(served, outputs),
        });
      } catch (e) {
        shadow.tally.record(servingMs, { error: true });
        if (shadow.tally.errors === 1) {
          this.opts.log(`${shadow.prepared.model}@${shadow.prepared.version} (shadow): ${(e as Error).message}`);
        }
      } finally {
        shadow.lease.exit();
      }
    })();
    this.shadowRuns.add(run);
    void run.finally(() => this.shadowRuns.delete(run));
  }

  private entry(model: string): Entry {
    let entry = this.models.get(model);
    if (!entry) {
      const window = this.opts.statsWindow ?? { slotMs: 60_000, slots: 5 };
      entry = {
        serving: null,
        shadow: null,
        stats: new RollingStats(() => this.clock.now().getTime(), window.slotMs, window.slots),
      };
      this.models.set(model, entry);
    }
    return entry;
  }

  private leaseOf(model: string, prepared: Prepared): SessionLease {
    const lease = this.leases.get(prepared);
    if (!lease) throw new InferenceError('bad_artifact', 'not a version this server prepared');
    if (prepared.model !== model) {
      throw new InferenceError(
        'bad_artifact',
        `${prepared.model}@${prepared.version} cannot serve as model "${model}"`,
      );
    }
    if (lease.unloaded) throw new InferenceError('unavailable', `${model}@${prepared.version} has been unloaded`);
    return lease;
  }

  private async drain(lease: SessionLease, label: string): Promise<void> {
    const ms = this.opts.drainTimeoutMs ?? 30_000;
    if (!(await lease.waitClosed(ms))) {
      this.opts.log(`${label}: ${lease.running} request(s) still running after ${ms} ms; unloads when they return`);
    }
  }
}

/** Where the loaded model contradicts the signature its artifact declares, or null. */
function signatureMismatch(target: TModelTargetCustom, session: Session): string | null {
  const sides = [
    ['input', target.tensors.inputs, session.inputs],
    ['output', target.tensors.outputs, session.outputs],
  ] as const;
  for (const [side, declared, actual] of sides) {
    if (declared.length === 0) continue;
    for (const d of declared) {
      const a = actual.find((t) => t.name === d.name);
      if (!a) return `the artifact declares ${side} "${d.name}", which the model does not have`;
      if (a.dtype !== d.dtype) return `${side} "${d.name}" is ${a.dtype} in the model, ${d.dtype} in the artifact`;
    }
    const undeclared = actual.find((a) => !declared.some((d) => d.name === a.name));
    if (side === 'input' && undeclared) return `the model's input "${undeclared.name}" is not declared by the artifact`;
  }
  return null;
}
