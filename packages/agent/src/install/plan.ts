import type { TDesiredArtifact, TDesiredModel } from '@edgefleet/protocol/rollout';
import { compareSemver } from '@edgefleet/protocol/semver';
import type { TargetCheck } from './instruction.ts';
import { otherSlot, type SlotName } from './slots.ts';

/** Which install an operation belongs to; failures are remembered per (version, attempt, rollout). */
export interface Job {
  model: string;
  version: string;
  attempt: number;
  rolloutId: string | null;
  /** `shadow`: a candidate run beside the serving version, never served. */
  purpose: 'serve' | 'shadow';
}

export type Step =
  | ({ kind: 'download' } & Job & { artifact: TDesiredArtifact })
  | ({ kind: 'verify' } & Job & { artifact: TDesiredArtifact })
  | ({ kind: 'install' } & Job & { artifact: TDesiredArtifact; slot: SlotName })
  | ({ kind: 'activate' } & Job & { slot: SlotName })
  | ({ kind: 'rollback-to-previous' } & Job & { slot: SlotName })
  | ({ kind: 'health-check' } & Job & { healthCheckSeconds: number })
  | ({ kind: 'shadow-load' } & Job & { slot: SlotName; samplePercent: number })
  | ({ kind: 'fail' } & Job & { reason: string; retryable: boolean })
  | { kind: 'shadow-clear'; model: string }
  | { kind: 'unload'; model: string }
  /** Nothing to do for this model now, and why (a lock, a failed attempt): the loop waits. */
  | { kind: 'noop'; model: string; reason: string; job?: Job; lock?: true };

export interface InstalledModel {
  slots: Partial<Record<SlotName, { version: string; sha256: string }>>;
  serving?: SlotName;
  previous?: SlotName;
  switch?: { version: string; healthy: boolean };
  failed: readonly { version: string; attempt: number; rolloutId: string | null }[];
  /** What the runtime mirrors to as shadow right now (runtime state, not persisted). */
  shadowLoaded?: { version: string; samplePercent: number };
}

export interface Installed {
  models: Readonly<Record<string, InstalledModel>>;
  /** Staged artifacts by sha256: a partial download, complete on disk, or verified by this process. */
  staging: Readonly<Record<string, 'part' | 'complete' | 'verified'>>;
}

/** An update lock held by a local application (POST /v1/locks): on one model, or on all when `model` is absent. */
export interface UpdateLock {
  id: string;
  /** Who holds it, as the application said. */
  holder?: string;
  model?: string;
}

export interface PlanInstruction {
  models: readonly TDesiredModel[];
  targets: Readonly<Record<string, TargetCheck>>;
}

/**
 * The next step for each model, pure: desired (a verified instruction, null before the first one),
 * what is installed, and the update locks in, steps out. The reconciler runs the first step that is
 * not a noop and plans again; an empty list means everything is as desired.
 *
 * Rules: a downgrade needs the signed `rollback`; an install that failed is not retried for the
 * same (version, attempt, rollout); switching what serves (activate, rollback, unload) waits for
 * update locks unless `force`, while downloads go ahead; a version already in the other slot is
 * switched to without a download.
 */
export function planSteps(
  instruction: PlanInstruction | null,
  installed: Installed,
  locks: readonly UpdateLock[],
): Step[] {
  if (!instruction) return [];
  const steps: Step[] = [];
  const desired = new Set<string>();
  for (const d of instruction.models) {
    desired.add(d.model);
    const step = planModel(d, installed.models[d.model], instruction.targets, installed.staging, locks);
    if (step) steps.push(step);
  }
  for (const model of Object.keys(installed.models)) {
    if (desired.has(model)) continue;
    const holders = lockHolders(locks, model);
    steps.push(
      holders.length
        ? {
            kind: 'noop',
            model,
            reason: `not desired any more; waiting for update lock(s) held by ${holders.join(', ')}`,
          }
        : { kind: 'unload', model },
    );
  }
  return steps;
}

const lockHolders = (locks: readonly UpdateLock[], model: string) =>
  locks.filter((l) => l.model === undefined || l.model === model).map((l) => l.holder ?? l.id);

const failedBefore = (m: InstalledModel | undefined, job: Job) =>
  m?.failed.find((f) => f.version === job.version && f.attempt === job.attempt && f.rolloutId === job.rolloutId);

function planModel(
  d: TDesiredModel,
  m: InstalledModel | undefined,
  targets: PlanInstruction['targets'],
  staging: Installed['staging'],
  locks: readonly UpdateLock[],
): Step | null {
  const job: Job = {
    model: d.model,
    version: d.version,
    attempt: d.attempt,
    rolloutId: d.rolloutId ?? null,
    purpose: 'serve',
  };
  const serving = m?.serving ? m.slots[m.serving] : undefined;
  // A version is its bytes and its signed metadata: a new version with the same bytes (a new
  // smoke test, a relabel) still goes through prepare and its own smoke test.
  const same = (slot: { version: string; sha256: string } | undefined) =>
    slot?.sha256 === d.sha256 && slot.version === d.version;
  if (same(serving)) {
    if (m?.switch && !m.switch.healthy && m.switch.version === d.version) {
      return { kind: 'health-check', ...job, healthCheckSeconds: d.healthCheckSeconds };
    }
    return planShadow(d, m as InstalledModel, targets, staging);
  }

  if (failedBefore(m, job)) {
    return { kind: 'noop', model: d.model, job, reason: `${d.version} failed at attempt ${d.attempt}` };
  }
  const refused = checkTarget(d, targets);
  if (refused) return { kind: 'fail', ...job, reason: refused, retryable: false };
  if (serving && !d.rollback && compareSemver(d.version, serving.version) < 0) {
    return {
      kind: 'fail',
      ...job,
      reason: `refusing to downgrade ${d.model} from ${serving.version} to ${d.version} without a signed rollback`,
      retryable: false,
    };
  }

  // Already installed in a slot that is not serving: switch to it, no download.
  const ready = (['a', 'b'] as const).find((s) => s !== m?.serving && same(m?.slots[s]));
  if (ready) {
    if (m?.shadowLoaded) return { kind: 'shadow-clear', model: d.model };
    const holders = d.force ? [] : lockHolders(locks, d.model);
    if (holders.length) {
      return {
        kind: 'noop',
        model: d.model,
        job,
        lock: true,
        reason: `waiting for update lock(s) held by ${holders.join(', ')}`,
      };
    }
    return { kind: m?.previous === ready ? 'rollback-to-previous' : 'activate', ...job, slot: ready };
  }
  // The shadow candidate lives in the slot the install is about to overwrite.
  if (m?.shadowLoaded && staging[d.sha256] === 'verified') return { kind: 'shadow-clear', model: d.model };
  return fetchOrInstall(job, d, m, staging);
}

function planShadow(
  d: TDesiredModel,
  m: InstalledModel,
  targets: PlanInstruction['targets'],
  staging: Installed['staging'],
): Step | null {
  const s = d.shadow;
  const serving = m.serving ? m.slots[m.serving] : undefined;
  if (!s || !m.serving || s.sha256 === serving?.sha256) {
    return m.shadowLoaded ? { kind: 'shadow-clear', model: d.model } : null;
  }
  if (m.shadowLoaded?.version === s.version && m.shadowLoaded.samplePercent === s.samplePercent) return null;
  const job: Job = {
    model: d.model,
    version: s.version,
    attempt: d.attempt,
    rolloutId: d.rolloutId ?? null,
    purpose: 'shadow',
  };
  if (failedBefore(m, job)) {
    return { kind: 'noop', model: d.model, job, reason: `shadow ${s.version} failed at attempt ${d.attempt}` };
  }
  const refused = checkTarget(s, targets);
  if (refused) return { kind: 'fail', ...job, reason: refused, retryable: false };
  const inactive = otherSlot(m.serving);
  if (m.slots[inactive]?.sha256 === s.sha256) {
    return { kind: 'shadow-load', ...job, slot: inactive, samplePercent: s.samplePercent };
  }
  if (m.shadowLoaded && staging[s.sha256] === 'verified') return { kind: 'shadow-clear', model: d.model };
  return fetchOrInstall(job, s, m, staging);
}

function fetchOrInstall(
  job: Job,
  artifact: TDesiredArtifact,
  m: InstalledModel | undefined,
  staging: Installed['staging'],
): Step {
  const a: TDesiredArtifact = {
    version: artifact.version,
    path: artifact.path,
    sha256: artifact.sha256,
    length: artifact.length,
  };
  switch (staging[artifact.sha256]) {
    case 'verified':
      return { kind: 'install', ...job, artifact: a, slot: installSlot(m) };
    case 'complete':
      return { kind: 'verify', ...job, artifact: a };
    default:
      return { kind: 'download', ...job, artifact: a };
  }
}

/** The slot an install overwrites: never the serving one; with nothing serving, an empty one. */
function installSlot(m: InstalledModel | undefined): SlotName {
  if (m?.serving) return otherSlot(m.serving);
  if (m && !m.slots.a) return 'a';
  if (m && !m.slots.b) return 'b';
  return 'a';
}

/** The publisher's role must list the path with the instruction's length and sha256. */
function checkTarget(a: TDesiredArtifact, targets: PlanInstruction['targets']): string | null {
  const t = targets[a.path];
  if (!t) return `${a.path} was not verified against its publisher's signed metadata`;
  if (!t.ok) return t.error;
  if (t.length !== a.length || t.sha256 !== a.sha256) {
    return `${a.path}: the publisher signed length ${t.length} sha256 ${t.sha256}, the instruction says ${a.length} ${a.sha256}`;
  }
  return null;
}
