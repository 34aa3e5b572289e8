import { stat } from 'node:fs/promises';
import type { TStateReport } from '@edgefleet/protocol/rollout';
import { Backoff, type BackoffPolicy } from '../backoff.ts';
import { errorMessage } from '../errors.ts';
import type { Clock, Log } from '../runtime.ts';
import { DownloadError, type DownloadOptions } from './download.ts';
import type { TlsSource } from './https.ts';
import type { VerifiedInstruction } from './instruction.ts';
import { modelOf, StateLedger } from './ledger.ts';
import type { ModelRuntime } from './model-runtime.ts';
import { type Installed, type Job, planSteps, type Step, type UpdateLock } from './plan.ts';
import { type CrashPolicy, DEFAULT_CRASH_POLICY, recover } from './recovery.ts';
import type { SlotStore } from './slots.ts';
import { buildStateReport, clip } from './state-report.ts';
import { label, StepError, StepRunner } from './steps.ts';

export { StepError } from './steps.ts';

export interface ReconcilerDeps {
  store: SlotStore;
  runtime: ModelRuntime;
  /** Gateway base URL: artifacts are GET /v1/artifacts/<sha256>. */
  server: URL;
  tls: TlsSource;
  clock: Clock;
  log: Log;
  /** Update locks held by local applications right now. */
  locks?: () => readonly UpdateLock[];
  /** Called with the full state report after every change. */
  onReport?: (report: TStateReport) => void;
  random?: () => number;
  download?: Pick<DownloadOptions, 'retry' | 'maxAttempts' | 'statfs' | 'reserveBytes' | 'freemem' | 'idleTimeoutMs'>;
  crash?: CrashPolicy;
  /** Download progress is reported at most this often (default 5 s). */
  progressIntervalMs?: number;
  /** How often to plan again while waiting for an update lock (default 5 s). */
  pollMs?: number;
  /** Between attempts after a step that is not an install failed (default 5 s … 5 min). */
  failureBackoff?: BackoffPolicy;
}

const IDLE_MS = 60_000;
const INTERRUPTIBLE = new Set<Step['kind']>(['download', 'health-check']);
const hasJob = (step: Step): step is Extract<Step, Job> => 'version' in step;

/**
 * Brings installed models to the last verified instruction, balena-style: plan (pure) → run the
 * first step → plan again, one step at a time, each with an AbortSignal. State changes are
 * persisted (state.json, atomically) before they take effect in the runtime, so a crash at any
 * point leaves a state `start()` can recover: a `.part` download resumes, a half-installed slot
 * is discarded, the serving slot from state.json is loaded.
 */
export class Reconciler {
  private readonly ledger: StateLedger;
  private readonly runner: StepRunner;
  private instruction: VerifiedInstruction | null = null;
  private started = false;
  private current: { step: Step; controller: AbortController } | null = null;
  private readonly listeners = new Set<(report: TStateReport) => void>();
  private wakeUp: (() => void) | null = null;
  private woken = false;

  constructor(private readonly deps: ReconcilerDeps) {
    this.ledger = new StateLedger(deps.store);
    this.runner = new StepRunner({
      deps,
      ledger: this.ledger,
      instruction: () => this.instruction,
      emit: () => this.emit(),
      startedAt: deps.clock.now(),
    });
  }

  private get state() {
    return this.ledger.state;
  }

  /** Recovers from whatever the last run left, then loads each serving slot. Call once, before run(). */
  async start(): Promise<void> {
    const { store, log, clock } = this.deps;
    await store.ensure();
    const existed = await stat(store.statePath).then(
      () => true,
      () => false,
    );
    const found = await store.read();
    const recovery = recover(found, {
      crashed: existed && !found.cleanStop,
      now: clock.now(),
      policy: this.deps.crash ?? DEFAULT_CRASH_POLICY,
    });
    for (const d of recovery.discard) await store.discardSlot(d.model, d.slot);
    for (const model of await store.modelDirs()) {
      const ms = recovery.state.models[model];
      if (!ms) await store.removeModel(model);
      else for (const slot of await store.slotDirs(model)) if (!ms.slots[slot]) await store.discardSlot(model, slot);
    }
    recovery.state.cleanStop = false;
    await this.ledger.save(recovery.state);
    for (const note of recovery.notes) log(note);
    try {
      this.instruction = await store.readInstruction();
    } catch (e) {
      log(`ignoring the stored instruction: ${errorMessage(e)}`);
    }
    for (const model of Object.keys(this.state.models)) await this.runner.loadServing(model);
    this.started = true;
    this.emit();
  }

  /** Marks a clean stop: the next start is not counted as a crash. Call after run() returned. */
  async stop(): Promise<void> {
    if (!this.started) return;
    await this.ledger.update((s) => {
      s.cleanStop = true;
    });
  }

  /**
   * Takes a newly verified instruction (never one older than the last accepted) and plans with it
   * at once; a download or health check it makes pointless is interrupted.
   */
  async accept(next: VerifiedInstruction): Promise<boolean> {
    if (next.version < this.state.instructionVersion) {
      this.deps.log(`instruction ${next.version} refused: older than the accepted ${this.state.instructionVersion}`);
      return false;
    }
    const before = this.instruction;
    const changed =
      !before ||
      before.version !== next.version ||
      JSON.stringify([before.instruction, before.targets]) !== JSON.stringify([next.instruction, next.targets]);
    this.instruction = next;
    if (!changed) return true;
    await this.deps.store.writeInstruction(next);
    if (next.version !== this.state.instructionVersion) {
      await this.ledger.update((s) => {
        s.instructionVersion = next.version;
      });
    }
    this.deps.log(`instruction ${next.version} accepted (${next.instruction.models.length} model(s))`);
    await this.interruptIfObsolete();
    this.wake();
    this.emit();
    return true;
  }

  /** Plans again now (an update lock was released, …). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Every state report from now on (besides `deps.onReport`); returns the unsubscribe. */
  onReport(listener: (report: TStateReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get instructionVersion(): number {
    return this.state.instructionVersion;
  }

  report(): TStateReport {
    return buildStateReport({
      state: this.state,
      instruction: this.instruction,
      runtime: this.deps.runtime,
      progress: this.runner.progress,
      now: this.deps.clock.now(),
      log: this.deps.log,
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(
      this.deps.failureBackoff ?? { initialMs: 5000, maxMs: 5 * 60_000, jitter: 0.3 },
      this.deps.random,
    );
    while (!signal.aborted) {
      const steps = await this.plan();
      await this.noteProgress(steps);
      const step = steps.find((s) => s.kind !== 'noop');
      if (!step) {
        if (steps.length === 0) await this.pruneStaging();
        await this.idle(signal, steps.some((s) => s.kind === 'noop' && s.lock) ? (this.deps.pollMs ?? 5000) : IDLE_MS);
        continue;
      }
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.current = { step, controller };
      try {
        await this.runner.execute(step, controller.signal);
        backoff.reset();
      } catch (e) {
        if (signal.aborted) break;
        if (controller.signal.aborted) {
          this.deps.log(`${step.model}: ${step.kind} interrupted by a new instruction`);
          continue;
        }
        // An install failure is remembered for its attempt, so it is not retried in a loop.
        if (!(await this.fail(step, e))) await this.idle(signal, backoff.next());
      } finally {
        signal.removeEventListener('abort', onAbort);
        this.current = null;
      }
    }
  }

  // ---- planning ----

  private async plan(): Promise<Step[]> {
    const vi = this.instruction;
    return planSteps(
      vi ? { models: vi.instruction.models, targets: vi.targets } : null,
      await this.view(),
      this.deps.locks?.() ?? [],
    );
  }

  private async view(): Promise<Installed> {
    const staging: Record<string, 'part' | 'complete' | 'verified'> = {};
    for (const [sha, s] of Object.entries(await this.deps.store.staging())) {
      staging[sha] = s.kind === 'complete' && this.runner.verified.has(sha) ? 'verified' : s.kind;
    }
    const models: Installed['models'] = Object.fromEntries(
      Object.entries(this.state.models).map(([model, ms]) => [
        model,
        {
          slots: ms.slots,
          serving: ms.serving,
          previous: ms.previous,
          switch: ms.switch,
          failed: ms.failed,
          shadowLoaded: this.runner.shadows.get(model),
        },
      ]),
    );
    return { models, staging };
  }

  /** Reports what waits for a lock, and success for models already as desired. */
  private async noteProgress(steps: Step[]): Promise<void> {
    for (const step of steps) {
      if (step.kind !== 'noop' || !step.lock || !step.job || step.job.purpose !== 'serve') continue;
      const { version, attempt } = step.job;
      await this.runner.setInstall(step.model, { version, attempt, step: 'installing', reason: step.reason });
    }
    // Models with serving work planned (shadow work does not hold back the report of success).
    const planned = new Set(
      steps
        .filter((s) => (hasJob(s) && s.purpose === 'serve') || (s.kind === 'noop' && s.job?.purpose !== 'shadow'))
        .map((s) => s.model),
    );
    for (const d of this.instruction?.instruction.models ?? []) {
      const ms = this.state.models[d.model];
      const serving = ms?.serving ? ms.slots[ms.serving] : undefined;
      if (planned.has(d.model) || serving?.sha256 !== d.sha256 || (ms?.switch && !ms.switch.healthy)) continue;
      const i = ms?.install;
      if (i?.step === 'succeeded' && i.version === d.version && i.attempt === d.attempt) continue;
      await this.runner.setInstall(d.model, { version: d.version, attempt: d.attempt, step: 'succeeded' });
    }
  }

  private async interruptIfObsolete(): Promise<void> {
    const cur = this.current;
    if (!cur || !INTERRUPTIBLE.has(cur.step.kind)) return;
    const same = (await this.plan()).find((s) => s.model === cur.step.model);
    if (JSON.stringify(same) !== JSON.stringify(cur.step)) cur.controller.abort();
  }

  // ---- steps ----

  /** Records the failure for its (version, attempt), cleans staging, reports. False for a step without a version. */
  private async fail(step: Step, e: unknown): Promise<boolean> {
    const reason = clip(errorMessage(e));
    if (!hasJob(step)) {
      this.deps.log(`${step.model}: ${step.kind} failed: ${reason}`);
      return false;
    }
    const retryable = e instanceof StepError || e instanceof DownloadError ? e.retryable : true;
    // A cut download keeps its .part for the next attempt; anything else staged for it goes.
    if ('artifact' in step && !(step.kind === 'download' && retryable)) {
      await this.deps.store.discardStaged(step.artifact.sha256).catch(() => {});
      this.runner.verified.delete(step.artifact.sha256);
    }
    this.runner.progress.delete(step.model);
    const at = this.deps.clock.now().toISOString();
    await this.ledger.update((s) => {
      const ms = modelOf(s, step.model);
      const failure = { version: step.version, attempt: step.attempt, rolloutId: step.rolloutId, reason, at };
      ms.failed = [...ms.failed, failure].slice(-32);
      if (step.purpose === 'serve') {
        ms.install = { version: step.version, attempt: step.attempt, step: 'failed', reason, retryable };
      }
    });
    this.deps.log(`${step.model}: ${label(step)} failed (attempt ${step.attempt}, retryable: ${retryable}): ${reason}`);
    this.emit();
    return true;
  }

  // ---- helpers ----

  /** Deletes staged downloads the instruction no longer needs (only while no step runs). */
  private async pruneStaging(): Promise<void> {
    const keep = new Set(
      (this.instruction?.instruction.models ?? []).flatMap((m) => [m.sha256, ...(m.shadow ? [m.shadow.sha256] : [])]),
    );
    for (const sha of Object.keys(await this.deps.store.staging())) {
      if (keep.has(sha)) continue;
      await this.deps.store.discardStaged(sha);
      this.runner.verified.delete(sha);
    }
  }

  private emit(): void {
    if (!this.started || (!this.deps.onReport && this.listeners.size === 0)) return;
    const report = this.report();
    for (const listener of [this.deps.onReport, ...this.listeners]) {
      try {
        listener?.(report);
      } catch (e) {
        this.deps.log(`state report not sent: ${errorMessage(e)}`);
      }
    }
  }

  private idle(signal: AbortSignal, ms: number): Promise<void> {
    if (this.woken || signal.aborted) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeUp = null;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }
}
