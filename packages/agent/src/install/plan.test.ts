import type { TModelTargetCustom } from '@edgefleet/protocol/registry';
import type { TDesiredModel } from '@edgefleet/protocol/rollout';
import { describe, expect, it } from 'vitest';
import type { TargetCheck } from './instruction.ts';
import { type Installed, type InstalledModel, type PlanInstruction, planSteps, type UpdateLock } from './plan.ts';

const sha = (c: string) => c.repeat(64);
const custom: TModelTargetCustom = {
  model: 'detector',
  version: '1.0.0',
  runtime: 'onnx',
  accelerator: 'cpu',
  precision: 'fp32',
  tensors: { inputs: [], outputs: [] },
  card: { metrics: {} },
};

function artifact(version: string, c: string) {
  return { version, path: `models/detector/${version}/onnx-cpu-fp32`, sha256: sha(c), length: 100 };
}

function desired(version: string, c: string, extra: Partial<TDesiredModel> = {}): TDesiredModel {
  return {
    model: 'detector',
    ...artifact(version, c),
    rollback: false,
    force: false,
    attempt: 0,
    healthCheckSeconds: 10,
    ...extra,
  };
}

function instruction(...models: TDesiredModel[]): PlanInstruction {
  const targets: Record<string, TargetCheck> = {};
  for (const m of models) {
    for (const a of [m, m.shadow].filter((x) => x !== undefined)) {
      targets[a.path] = { ok: true, length: a.length, sha256: a.sha256, custom: { ...custom, version: a.version } };
    }
  }
  return { models, targets };
}

/** detector serving 1.0.0 (sha a) from slot a, previous 0.9.0 (sha 9) in slot b. */
function serving(extra: Partial<InstalledModel> = {}): InstalledModel {
  return {
    slots: { a: { version: '1.0.0', sha256: sha('a') }, b: { version: '0.9.0', sha256: sha('9') } },
    serving: 'a',
    previous: 'b',
    switch: { version: '1.0.0', healthy: true },
    failed: [],
    ...extra,
  };
}

const installed = (m?: InstalledModel, staging: Installed['staging'] = {}): Installed => ({
  models: m ? { detector: m } : {},
  staging,
});

const kinds = (steps: { kind: string }[]) => steps.map((s) => s.kind);

describe('planSteps', () => {
  it('does nothing before the first verified instruction, even with models installed', () => {
    expect(planSteps(null, installed(serving()), [])).toEqual([]);
  });

  it('is converged when the desired version serves and passed its health check', () => {
    expect(planSteps(instruction(desired('1.0.0', 'a')), installed(serving()), [])).toEqual([]);
  });

  it('installs a new version whose bytes equal the serving one: its own smoke test must pass before it serves', () => {
    // Same sha as 1.0.0, but 1.1.0's signed metadata (smoke test, card) differs.
    const [first] = planSteps(instruction(desired('1.1.0', 'a')), installed(serving()), []);
    expect(first?.kind).not.toBe('noop');
    expect(first).toMatchObject({ version: '1.1.0' });
    expect(['download', 'verify', 'install']).toContain(first?.kind);
  });

  it('walks a new version through download, verify, install into the inactive slot, activate, health check', () => {
    const want = instruction(desired('1.1.0', 'c', { attempt: 2, rolloutId: 'ro_1' }));
    const [download] = planSteps(want, installed(serving()), []);
    expect(download).toMatchObject({
      kind: 'download',
      version: '1.1.0',
      attempt: 2,
      rolloutId: 'ro_1',
      artifact: { sha256: sha('c'), length: 100 },
    });
    // A partial download resumes.
    expect(kinds(planSteps(want, installed(serving(), { [sha('c')]: 'part' }), []))).toEqual(['download']);
    expect(kinds(planSteps(want, installed(serving(), { [sha('c')]: 'complete' }), []))).toEqual(['verify']);
    expect(planSteps(want, installed(serving(), { [sha('c')]: 'verified' }), [])).toMatchObject([
      { kind: 'install', slot: 'b' },
    ]);
    const inB = serving({
      slots: { a: { version: '1.0.0', sha256: sha('a') }, b: { version: '1.1.0', sha256: sha('c') } },
    });
    delete inB.previous;
    expect(planSteps(want, installed(inB), [])).toMatchObject([{ kind: 'activate', slot: 'b' }]);
    const switched: InstalledModel = {
      ...inB,
      serving: 'b',
      previous: 'a',
      switch: { version: '1.1.0', healthy: false },
    };
    expect(planSteps(want, installed(switched), [])).toMatchObject([{ kind: 'health-check', healthCheckSeconds: 10 }]);
    expect(planSteps(want, installed({ ...switched, switch: { version: '1.1.0', healthy: true } }), [])).toEqual([]);
  });

  it('installs into an empty slot when nothing serves yet', () => {
    const want = instruction(desired('1.0.0', 'a'));
    expect(planSteps(want, installed(undefined, { [sha('a')]: 'verified' }), [])).toMatchObject([
      { kind: 'install', slot: 'a' },
    ]);
    const m: InstalledModel = { slots: { a: { version: '0.1.0', sha256: sha('0') } }, failed: [] };
    expect(planSteps(want, installed(m, { [sha('a')]: 'verified' }), [])).toMatchObject([{ slot: 'b' }]);
  });

  it('refuses a downgrade without the signed rollback flag, and does not repeat the refusal', () => {
    const want = instruction(desired('0.8.0', '8'));
    const [step] = planSteps(want, installed(serving()), []);
    expect(step).toMatchObject({ kind: 'fail', retryable: false, version: '0.8.0' });
    expect(step?.kind === 'fail' && step.reason).toContain('refusing to downgrade detector from 1.0.0 to 0.8.0');
    const failed = serving({ failed: [{ version: '0.8.0', attempt: 0, rolloutId: null }] });
    expect(kinds(planSteps(want, installed(failed), []))).toEqual(['noop']);
    // With rollback the same downgrade is downloaded like any install.
    expect(kinds(planSteps(instruction(desired('0.8.0', '8', { rollback: true })), installed(serving()), []))).toEqual([
      'download',
    ]);
  });

  it('rolls back to the previous slot at once, without a download', () => {
    const want = instruction(desired('0.9.0', '9', { rollback: true }));
    expect(planSteps(want, installed(serving()), [])).toMatchObject([
      { kind: 'rollback-to-previous', slot: 'b', version: '0.9.0' },
    ]);
    // Also in the middle of the new version's health check.
    const checking = serving({ switch: { version: '1.0.0', healthy: false } });
    expect(kinds(planSteps(want, installed(checking), []))).toEqual(['rollback-to-previous']);
  });

  it('does not retry an install that failed for the same (version, attempt, rollout), but does for a new attempt', () => {
    const failed = serving({ failed: [{ version: '1.1.0', attempt: 0, rolloutId: 'ro_1' }] });
    const at = (attempt: number, rolloutId = 'ro_1') =>
      planSteps(instruction(desired('1.1.0', 'c', { attempt, rolloutId })), installed(failed), []);
    expect(at(0)).toMatchObject([{ kind: 'noop', reason: '1.1.0 failed at attempt 0' }]);
    expect(kinds(at(1))).toEqual(['download']);
    expect(kinds(at(0, 'ro_2'))).toEqual(['download']);
  });

  it('switches only when no update lock is held, unless forced; downloads go ahead meanwhile', () => {
    const inB = serving({
      slots: { a: { version: '1.0.0', sha256: sha('a') }, b: { version: '1.1.0', sha256: sha('c') } },
    });
    delete inB.previous;
    const locks: UpdateLock[] = [{ id: 'lock-1', holder: 'camera-app' }];
    const want = instruction(desired('1.1.0', 'c'));
    expect(planSteps(want, installed(inB), locks)).toMatchObject([
      { kind: 'noop', lock: true, reason: 'waiting for update lock(s) held by camera-app' },
    ]);
    expect(planSteps(want, installed(inB), [{ id: 'other', model: 'classifier' }])).toMatchObject([
      { kind: 'activate' },
    ]);
    expect(kinds(planSteps(instruction(desired('1.1.0', 'c', { force: true })), installed(inB), locks))).toEqual([
      'activate',
    ]);
    expect(kinds(planSteps(instruction(desired('1.2.0', 'd')), installed(serving()), locks))).toEqual(['download']);
  });

  it('fails an artifact its publisher did not sign as the instruction says', () => {
    const d = desired('1.1.0', 'c');
    const bad: PlanInstruction = {
      models: [d],
      targets: { [d.path]: { ok: false, error: 'detector@1.1.0: signature invalid' } },
    };
    expect(planSteps(bad, installed(serving()), [])).toMatchObject([
      { kind: 'fail', retryable: false, reason: 'detector@1.1.0: signature invalid' },
    ]);
    const other: PlanInstruction = {
      models: [d],
      targets: { [d.path]: { ok: true, length: 99, sha256: sha('c'), custom } },
    };
    expect(planSteps(other, installed(serving()), [])).toMatchObject([{ kind: 'fail', retryable: false }]);
    expect(planSteps({ models: [d], targets: {} }, installed(serving()), [])).toMatchObject([{ kind: 'fail' }]);
  });

  it('stages a shadow candidate in the inactive slot once the desired version serves, and clears it after', () => {
    const withShadow = instruction(desired('1.0.0', 'a', { shadow: { ...artifact('1.1.0', 'c'), samplePercent: 20 } }));
    expect(planSteps(withShadow, installed(serving()), [])).toMatchObject([
      { kind: 'download', purpose: 'shadow', version: '1.1.0' },
    ]);
    expect(planSteps(withShadow, installed(serving(), { [sha('c')]: 'verified' }), [])).toMatchObject([
      { kind: 'install', purpose: 'shadow', slot: 'b' },
    ]);
    const staged = serving({
      slots: { a: { version: '1.0.0', sha256: sha('a') }, b: { version: '1.1.0', sha256: sha('c') } },
    });
    delete staged.previous; // the install overwrote the previous version
    expect(planSteps(withShadow, installed(staged), [])).toMatchObject([
      { kind: 'shadow-load', slot: 'b', samplePercent: 20 },
    ]);
    const loaded = { ...staged, shadowLoaded: { version: '1.1.0', samplePercent: 20 } };
    expect(planSteps(withShadow, installed(loaded), [])).toEqual([]);
    // A new sample rate reloads; no shadow any more clears it.
    const more = instruction(desired('1.0.0', 'a', { shadow: { ...artifact('1.1.0', 'c'), samplePercent: 50 } }));
    expect(kinds(planSteps(more, installed(loaded), []))).toEqual(['shadow-load']);
    expect(kinds(planSteps(instruction(desired('1.0.0', 'a')), installed(loaded), []))).toEqual(['shadow-clear']);
    // The candidate, once desired, stops shadowing and is activated from its slot without a download.
    expect(kinds(planSteps(instruction(desired('1.1.0', 'c')), installed(loaded), []))).toEqual(['shadow-clear']);
    expect(planSteps(instruction(desired('1.1.0', 'c')), installed(staged), [])).toMatchObject([
      { kind: 'activate', slot: 'b' },
    ]);
  });

  it('waits for the health check of a new version before starting a shadow', () => {
    const checking = serving({ switch: { version: '1.0.0', healthy: false } });
    const withShadow = instruction(desired('1.0.0', 'a', { shadow: { ...artifact('1.1.0', 'c'), samplePercent: 20 } }));
    expect(kinds(planSteps(withShadow, installed(checking), []))).toEqual(['health-check']);
  });

  it('unloads a model the instruction no longer lists, once no lock holds it', () => {
    expect(planSteps({ models: [], targets: {} }, installed(serving()), [])).toEqual([
      { kind: 'unload', model: 'detector' },
    ]);
    expect(
      kinds(planSteps({ models: [], targets: {} }, installed(serving()), [{ id: 'x', model: 'detector' }])),
    ).toEqual(['noop']);
  });

  it('plans every model independently, in the instruction order', () => {
    const classifier = { ...desired('2.0.0', 'e'), model: 'classifier', path: 'models/classifier/2.0.0/onnx-cpu-fp32' };
    const want = instruction(desired('1.1.0', 'c'), classifier);
    expect(planSteps(want, installed(serving()), []).map((s) => [s.kind, s.model])).toEqual([
      ['download', 'detector'],
      ['download', 'classifier'],
    ]);
  });
});
