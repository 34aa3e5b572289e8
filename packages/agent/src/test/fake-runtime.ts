// A ModelRuntime that "loads" a model by reading its file: enough to see what the installer asks
// the inference server to do, with smoke-test failures and slow or failing loads on demand.
import { readFile } from 'node:fs/promises';
import type { TModelTargetCustom } from '@edgefleet/protocol/registry';
import type { TInferenceStats, TShadowStats } from '@edgefleet/protocol/rollout';
import type { ModelRuntime } from '../install/model-runtime.ts';

export interface FakePrepared {
  model: string;
  version: string;
  file: string;
  bytes: Buffer;
}

export class FakeRuntime implements ModelRuntime<FakePrepared> {
  readonly serving = new Map<string, FakePrepared>();
  readonly shadow = new Map<string, { prepared: FakePrepared; samplePercent: number }>();
  readonly calls: string[] = [];
  /** Versions whose smoke test fails. */
  readonly failSmoke = new Set<string>();
  /** Accelerators this "device" has no backend for (preflight refuses their artifacts). */
  readonly missingAccelerators = new Set<string>();
  /** Called at the start of every prepare (e.g. to stop the agent there). */
  onPrepare?: (model: string, version: string) => void | Promise<void>;

  async prepare(model: string, version: string, file: string, target: TModelTargetCustom): Promise<FakePrepared> {
    this.calls.push(`prepare ${model}@${version}`);
    await this.onPrepare?.(model, version);
    if (target.model !== model || target.version !== version) throw new Error('target does not match');
    const bytes = await readFile(file);
    if (this.failSmoke.has(version)) throw new Error('smoke test: output[0] is NaN');
    return { model, version, file, bytes };
  }

  async unsupported(target: Pick<TModelTargetCustom, 'runtime' | 'accelerator'>): Promise<string | null> {
    return this.missingAccelerators.has(target.accelerator) ? `no backend here can use ${target.accelerator}` : null;
  }

  async activate(model: string, prepared: FakePrepared): Promise<void> {
    this.calls.push(`activate ${model}@${prepared.version}`);
    this.serving.set(model, prepared);
  }

  async setShadow(model: string, prepared: FakePrepared | null, samplePercent = 100): Promise<void> {
    this.calls.push(prepared ? `shadow ${model}@${prepared.version} ${samplePercent}%` : `shadow ${model} off`);
    if (prepared) this.shadow.set(model, { prepared, samplePercent });
    else this.shadow.delete(model);
  }

  async unload(model: string): Promise<void> {
    this.calls.push(`unload ${model}`);
    this.serving.delete(model);
    this.shadow.delete(model);
  }

  report(model: string): { stats: TInferenceStats[]; shadow?: TShadowStats } {
    const s = this.serving.get(model);
    const sh = this.shadow.get(model);
    return {
      stats: s ? [{ version: s.version, requests: 3, errors: 0, p50Ms: 1, p95Ms: 2 }] : [],
      ...(sh ? { shadow: { version: sh.prepared.version, samples: 1, agreement: 1, errors: 0 } } : {}),
    };
  }

  version = (model: string) => this.serving.get(model)?.version;
}
