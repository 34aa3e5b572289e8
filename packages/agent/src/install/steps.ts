import { stat } from 'node:fs/promises';
import type { TModelTargetCustom } from '@edgefleet/protocol/registry';
import { AgentError, errorMessage } from '../errors.ts';
import { DownloadError, digestFile, downloadArtifact } from './download.ts';
import type { VerifiedInstruction } from './instruction.ts';
import { modelOf, type StateLedger } from './ledger.ts';
import type { Job, Step } from './plan.ts';
import type { ReconcilerDeps } from './reconciler.ts';
import {
  emptyModelState,
  type InstallReport,
  otherSlot,
  type SlotContent,
  type SlotName,
  slotFileName,
} from './slots.ts';

/** A step failed; `retryable` is what the report tells the engine. */
export class StepError extends AgentError {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface StepContext {
  deps: ReconcilerDeps;
  ledger: StateLedger;
  /** The instruction the steps were planned from. */
  instruction: () => VerifiedInstruction | null;
  /** Publishes a state report. */
  emit: () => void;
  startedAt: Date;
}

export const label = (job: Job) => `${job.purpose === 'shadow' ? 'shadow candidate ' : ''}${job.version}`;

/**
 * Carries out one planned step at a time against the disk, the runtime and state.json, with the
 * crash-safety order each needs (see each method). Holds what only lives in this process: staged
 * artifacts verified here, prepared models not handed over yet, what shadows, download progress.
 */
export class StepRunner {
  /** Staged artifacts (by sha256) this process has re-hashed and checked against the publisher's target. */
  readonly verified = new Set<string>();
  readonly shadows = new Map<string, { version: string; samplePercent: number }>();
  readonly progress = new Map<string, { bytes: number; totalBytes: number }>();
  /** Prepared (smoke-tested) models not yet handed to the runtime, by `<model>/<slot>`. */
  private readonly prepared = new Map<string, { sha256: string; prepared: unknown }>();
  private readonly deps: ReconcilerDeps;
  private readonly ledger: StateLedger;

  constructor(private readonly ctx: StepContext) {
    this.deps = ctx.deps;
    this.ledger = ctx.ledger;
  }

  async execute(step: Step, signal: AbortSignal): Promise<void> {
    switch (step.kind) {
      case 'download':
        return this.download(step, signal);
      case 'verify':
        return this.verify(step);
      case 'install':
        return this.install(step);
      case 'activate':
      case 'rollback-to-previous':
        return this.activate(step);
      case 'health-check':
        return this.healthCheck(step, signal);
      case 'shadow-load':
        return this.shadowLoad(step);
      case 'shadow-clear':
        await this.deps.runtime.setShadow(step.model, null);
        this.shadows.delete(step.model);
        this.deps.log(`${step.model}: shadow stopped`);
        return this.ctx.emit();
      case 'unload':
        return this.unload(step.model);
      case 'fail':
        throw new StepError(step.reason, step.retryable);
      case 'noop':
        return;
    }
  }

  private async download(step: Extract<Step, { kind: 'download' }>, signal: AbortSignal): Promise<void> {
    const { store, clock } = this.deps;
    const { sha256, length } = step.artifact;
    const have = await stat(store.partPath(sha256)).then(
      (s) => s.size,
      () => 0,
    );
    this.progress.set(step.model, { bytes: have, totalBytes: length });
    await this.setInstall(step.model, { version: step.version, attempt: step.attempt, step: 'downloading' }, step);
    this.deps.log(`${step.model}: downloading ${label(step)} (${length} bytes${have ? `, resuming at ${have}` : ''})`);
    let last = clock.now().getTime();
    const target = this.ctx.instruction()?.targets[step.artifact.path];
    const neededBytes = target?.ok ? target.custom.memoryBytes : undefined;
    // Preflight: an artifact no backend here can load is refused before a byte is fetched.
    const unsupported = target?.ok ? await this.deps.runtime.unsupported?.(target.custom) : null;
    if (unsupported) throw new DownloadError(`cannot run ${label(step)} on this device: ${unsupported}`, false);
    await downloadArtifact({
      server: this.deps.server,
      sha256,
      length,
      partFile: store.partPath(sha256),
      finalFile: store.stagedPath(sha256),
      tls: this.deps.tls,
      signal,
      sleep: clock.sleep,
      random: this.deps.random,
      ...this.deps.download,
      ...(neededBytes === undefined ? {} : { memory: { neededBytes, freedBytes: this.replacedMemory(step) } }),
      onProgress: (bytes, totalBytes) => {
        this.progress.set(step.model, { bytes, totalBytes });
        const now = clock.now().getTime();
        if (now - last >= (this.deps.progressIntervalMs ?? 5000)) {
          last = now;
          if (step.purpose === 'serve') this.ctx.emit();
        }
      },
    });
    this.progress.delete(step.model);
  }

  /**
   * What unloading the version `job` replaces gives back, as that version's artifact declared (0
   * when it declared nothing): the serving one for an install, the shadow candidate loaded now for
   * a new shadow candidate (which runs beside the serving version, freeing none of it).
   */
  private replacedMemory(job: Job): number {
    const ms = this.ledger.state.models[job.model];
    if (!ms?.serving) return 0;
    const shadow = this.shadows.get(job.model);
    const slot = job.purpose === 'serve' ? ms.serving : shadow ? otherSlot(ms.serving) : undefined;
    const content = slot ? ms.slots[slot] : undefined;
    if (!content || (job.purpose === 'shadow' && content.version !== shadow?.version)) return 0;
    return content.target.memoryBytes ?? 0;
  }

  private async verify(step: Extract<Step, { kind: 'verify' }>): Promise<void> {
    const a = step.artifact;
    await this.setInstall(step.model, { version: step.version, attempt: step.attempt, step: 'verifying' }, step);
    const target = this.target(a.path);
    const got = await digestFile(this.deps.store.stagedPath(a.sha256));
    if (got.length !== a.length || got.sha256 !== a.sha256 || target.sha256 !== got.sha256) {
      throw new StepError(`the staged artifact does not match its signature (sha256 ${got.sha256}); deleted`, true);
    }
    this.verified.add(a.sha256);
  }

  private async install(step: Extract<Step, { kind: 'install' }>): Promise<void> {
    const { store, runtime } = this.deps;
    const { model, version, slot, artifact: a } = step;
    await this.setInstall(model, { version, attempt: step.attempt, step: 'installing' }, step);
    const { custom } = this.target(a.path);
    // The smoke test runs on the staged file, before the slot (maybe holding the previous version) is touched.
    let prepared: unknown;
    try {
      prepared = await runtime.prepare(model, version, store.stagedPath(a.sha256), custom);
    } catch (e) {
      throw new StepError(`${version} failed its smoke test: ${errorMessage(e)}`, false);
    }
    try {
      await this.placeInSlot(step, custom);
    } catch (e) {
      await this.discard(prepared);
      throw e;
    }
    await this.dropPrepared(`${model}/${slot}`);
    this.prepared.set(`${model}/${slot}`, { sha256: a.sha256, prepared });
    this.deps.log(`${model}: ${label(step)} installed in slot ${slot}`);
  }

  /** Crash-safe: `installing` is persisted first, so a start finding it discards the slot instead of loading it. */
  private async placeInSlot(step: Extract<Step, { kind: 'install' }>, custom: TModelTargetCustom): Promise<void> {
    const { model, version, slot, artifact: a } = step;
    await this.ledger.update((s) => {
      const ms = modelOf(s, model);
      ms.installing = slot;
      delete ms.slots[slot];
      if (ms.previous === slot) delete ms.previous;
    });
    const file = slotFileName(custom.runtime);
    await this.deps.store.moveIntoSlot(model, slot, a.sha256, file);
    const content: SlotContent = {
      version,
      path: a.path,
      sha256: a.sha256,
      length: a.length,
      file,
      target: custom,
      installedAt: this.deps.clock.now().toISOString(),
    };
    await this.ledger.update((s) => {
      const ms = modelOf(s, model);
      ms.slots[slot] = content;
      delete ms.installing;
    });
    this.verified.delete(a.sha256);
  }

  private async activate(step: Extract<Step, { kind: 'activate' | 'rollback-to-previous' }>): Promise<void> {
    const { model, version, slot, attempt } = step;
    const content = this.ledger.state.models[model]?.slots[slot];
    if (!content) throw new StepError(`slot ${slot} of ${model} is empty`, true);
    const back = step.kind === 'rollback-to-previous';
    await this.setInstall(model, {
      version,
      attempt,
      step: 'installing',
      reason: back ? `switching back to ${version} in slot ${slot}` : `switching to slot ${slot}`,
    });
    const prepared = await this.preparedFor(model, slot, content);
    const before = structuredClone(this.ledger.state.models[model] ?? emptyModelState());
    const at = this.deps.clock.now().toISOString();
    // Persisted before the runtime switches: a crash from here on restarts on the new slot and counts against it.
    await this.ledger.update((s) => {
      const ms = modelOf(s, model);
      if (ms.serving) ms.previous = ms.serving;
      else delete ms.previous;
      ms.serving = slot;
      ms.servingSince = at;
      ms.switch = { version, attempt, rolloutId: step.rolloutId, at, healthy: false };
      ms.crashStarts = 0;
      ms.restarts = 0;
      ms.install = { version, attempt, step: 'health_check' };
    });
    this.prepared.delete(`${model}/${slot}`);
    try {
      await this.deps.runtime.activate(model, prepared);
    } catch (e) {
      await this.discard(prepared);
      await this.ledger.update((s) => {
        s.models[model] = before;
      });
      throw new StepError(`could not switch to ${version}: ${errorMessage(e)}`, true);
    }
    this.deps.log(`${model}: ${back ? 'rolled back to' : 'serving'} ${version} from slot ${slot}`);
    this.ctx.emit();
  }

  private async healthCheck(step: Extract<Step, { kind: 'health-check' }>, signal: AbortSignal): Promise<void> {
    const { clock } = this.deps;
    const sw = this.ledger.state.models[step.model]?.switch;
    if (!sw) return;
    // A restart during the check starts it over: the version must serve that long without one.
    const from = Math.max(Date.parse(sw.at), this.ctx.startedAt.getTime());
    const wait = from + step.healthCheckSeconds * 1000 - clock.now().getTime();
    if (wait > 0) await clock.sleep(wait, signal);
    await this.ledger.update((s) => {
      const ms = modelOf(s, step.model);
      if (ms.switch) ms.switch.healthy = true;
      ms.install = { version: step.version, attempt: step.attempt, step: 'succeeded' };
    });
    this.deps.log(`${step.model}: ${step.version} passed its health check`);
    this.ctx.emit();
  }

  private async shadowLoad(step: Extract<Step, { kind: 'shadow-load' }>): Promise<void> {
    const content = this.ledger.state.models[step.model]?.slots[step.slot];
    if (!content) throw new StepError(`slot ${step.slot} of ${step.model} is empty`, true);
    const prepared = await this.preparedFor(step.model, step.slot, content);
    this.prepared.delete(`${step.model}/${step.slot}`);
    try {
      await this.deps.runtime.setShadow(step.model, prepared, step.samplePercent);
    } catch (e) {
      await this.discard(prepared);
      throw e;
    }
    this.shadows.set(step.model, { version: step.version, samplePercent: step.samplePercent });
    this.deps.log(`${step.model}: shadowing ${step.version} on ${step.samplePercent}% of requests`);
    this.ctx.emit();
  }

  private async unload(model: string): Promise<void> {
    const ms = this.ledger.state.models[model];
    if (ms?.serving || this.shadows.has(model)) await this.deps.runtime.unload(model);
    await this.deps.store.removeModel(model);
    await this.ledger.update((s) => {
      delete s.models[model];
    });
    this.shadows.delete(model);
    this.progress.delete(model);
    for (const slot of ['a', 'b']) await this.dropPrepared(`${model}/${slot}`);
    this.deps.log(`${model}: not desired any more; unloaded and removed`);
    this.ctx.emit();
  }

  /** On start: serve what state.json says; a slot that no longer loads is discarded and the previous one tried. */
  async loadServing(model: string): Promise<void> {
    const { store, runtime, log } = this.deps;
    for (;;) {
      const ms = this.ledger.state.models[model];
      const slot = ms?.serving;
      const content = slot ? ms.slots[slot] : undefined;
      if (!slot || !content) return;
      try {
        const prepared = await runtime.prepare(
          model,
          content.version,
          store.slotFile(model, slot, content),
          content.target,
        );
        await runtime.activate(model, prepared);
        log(`${model}: serving ${content.version} from slot ${slot}`);
        return;
      } catch (e) {
        log(`${model}: cannot load ${content.version} from slot ${slot}, discarding it: ${errorMessage(e)}`);
        await store.discardSlot(model, slot);
        await this.ledger.update((s) => {
          const m = modelOf(s, model);
          delete m.slots[slot];
          if (m.previous && m.slots[m.previous]) {
            m.serving = m.previous;
            m.servingSince = this.deps.clock.now().toISOString();
          } else {
            delete m.serving;
            delete m.servingSince;
          }
          delete m.previous;
          delete m.switch;
        });
      }
    }
  }

  private async preparedFor(model: string, slot: SlotName, content: SlotContent): Promise<unknown> {
    const cached = this.prepared.get(`${model}/${slot}`);
    if (cached?.sha256 === content.sha256) return cached.prepared;
    try {
      const file = this.deps.store.slotFile(model, slot, content);
      return await this.deps.runtime.prepare(model, content.version, file, content.target);
    } catch (e) {
      throw new StepError(`${content.version} failed its smoke test: ${errorMessage(e)}`, false);
    }
  }

  private async dropPrepared(key: string): Promise<void> {
    const cached = this.prepared.get(key);
    this.prepared.delete(key);
    if (cached) await this.discard(cached.prepared);
  }

  private async discard(prepared: unknown): Promise<void> {
    await this.deps.runtime
      .discard?.(prepared)
      .catch((e) => this.deps.log(`discarding a prepared model: ${errorMessage(e)}`));
  }

  private target(path: string): { sha256: string; custom: TModelTargetCustom } {
    const t = this.ctx.instruction()?.targets[path];
    if (!t?.ok) throw new StepError(`${path} is not verified against its publisher's metadata`, false);
    return t;
  }

  /** Reports an install step; a shadow candidate's steps are not the serving install's. */
  async setInstall(model: string, install: InstallReport, job?: Job): Promise<void> {
    if (job && job.purpose !== 'serve') return;
    if (await this.ledger.setInstall(model, install)) this.ctx.emit();
  }
}
