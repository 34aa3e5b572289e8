import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ZModelTargetCustom, ZSemver } from '@edgefleet/protocol/registry';
import { ZModelReport } from '@edgefleet/protocol/rollout';
import { z } from 'zod';
import { fsyncDir, readJsonFile, writeJsonAtomic } from '../fs-atomic.ts';
import { type VerifiedInstruction, ZVerifiedInstruction } from './instruction.ts';

export const ZSlotName = z.enum(['a', 'b']);
export type SlotName = z.infer<typeof ZSlotName>;
export const otherSlot = (slot: SlotName): SlotName => (slot === 'a' ? 'b' : 'a');

const ZSha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** A complete, verified artifact in a slot directory. */
export const ZSlotContent = z.object({
  version: ZSemver,
  /** TUF target path, e.g. models/detector/1.2.0/onnx-cpu-fp32 */
  path: z.string().min(1),
  sha256: ZSha256,
  length: z.number().int().positive(),
  /** File name inside the slot directory. */
  file: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  target: ZModelTargetCustom,
  installedAt: z.iso.datetime(),
});
export type SlotContent = z.infer<typeof ZSlotContent>;

/** An install that failed for this (version, attempt, rollout): not tried again until the engine bumps the attempt. */
export const ZFailure = z.object({
  version: ZSemver,
  attempt: z.number().int().nonnegative(),
  rolloutId: z.string().nullable(),
  reason: z.string(),
  at: z.iso.datetime(),
});
export type Failure = z.infer<typeof ZFailure>;

/** The last switch of the serving slot; crash starts are counted against it. */
export const ZSwitch = z.object({
  version: ZSemver,
  attempt: z.number().int().nonnegative(),
  rolloutId: z.string().nullable(),
  at: z.iso.datetime(),
  /** The health check passed. */
  healthy: z.boolean(),
});
export type Switch = z.infer<typeof ZSwitch>;

const ZInstallReport = ZModelReport.shape.install.unwrap();
export type InstallReport = z.infer<typeof ZInstallReport>;

export const ZModelState = z.object({
  slots: z.object({ a: ZSlotContent.optional(), b: ZSlotContent.optional() }),
  serving: ZSlotName.optional(),
  servingSince: z.iso.datetime().optional(),
  /** The slot that served before `serving`; what an instant rollback switches to. */
  previous: ZSlotName.optional(),
  /**
   * Set (and persisted) before files move into a slot, cleared once the slot's content is
   * recorded: a start that finds it set discards that slot, so a half-installed model is never loaded.
   */
  installing: ZSlotName.optional(),
  switch: ZSwitch.optional(),
  /** Unclean starts of the agent since `switch` (while in health check or inside the crash window). */
  crashStarts: z.number().int().nonnegative(),
  /** Unclean starts since the serving version started serving. */
  restarts: z.number().int().nonnegative(),
  failed: z.array(ZFailure).max(32),
  /** The install being worked on or last finished, as reported. */
  install: ZInstallReport.optional(),
});
export type ModelState = z.infer<typeof ZModelState>;

export const ZInstallState = z.object({
  v: z.literal(1),
  /** The last director instruction version accepted. */
  instructionVersion: z.number().int().nonnegative(),
  /** Cleared while an agent runs, set when it stops cleanly: a start that finds it false follows a crash. */
  cleanStop: z.boolean(),
  models: z.record(z.string(), ZModelState),
});
export type InstallState = z.infer<typeof ZInstallState>;

export const emptyModelState = (): ModelState => ({ slots: {}, crashStarts: 0, restarts: 0, failed: [] });
export const emptyInstallState = (): InstallState => ({ v: 1, instructionVersion: 0, cleanStop: true, models: {} });

const ARTIFACT_EXTENSION: Record<string, string> = {
  onnx: 'onnx',
  tflite: 'tflite',
  tensorrt: 'engine',
  openvino: 'xml',
  coreml: 'mlmodel',
};
export const slotFileName = (runtime: string) => `model.${ARTIFACT_EXTENSION[runtime] ?? 'bin'}`;

export type StagedArtifact = { kind: 'part'; bytes: number } | { kind: 'complete'; bytes: number };

/**
 * The on-disk layout under `<data-dir>/models`: `state.json` (which slot serves what), the last
 * verified instruction, `<model>/{a,b}/` slot directories and `.staging/` for downloads
 * (`<sha256>.part` while incomplete, `<sha256>` once its length and hash matched). Every state
 * write is atomic and every read validated. One writer: the reconciler.
 */
export class SlotStore {
  readonly root: string;

  constructor(dataRoot: string) {
    this.root = join(dataRoot, 'models');
  }

  get statePath() {
    return join(this.root, 'state.json');
  }
  get instructionPath() {
    return join(this.root, 'instruction.json');
  }
  get stagingDir() {
    return join(this.root, '.staging');
  }
  modelDir = (model: string) => join(this.root, model);
  slotDir = (model: string, slot: SlotName) => join(this.root, model, slot);
  slotFile = (model: string, slot: SlotName, content: Pick<SlotContent, 'file'>) =>
    join(this.slotDir(model, slot), content.file);
  partPath = (sha256: string) => join(this.stagingDir, `${sha256}.part`);
  stagedPath = (sha256: string) => join(this.stagingDir, sha256);

  async ensure(): Promise<void> {
    await mkdir(this.stagingDir, { recursive: true, mode: 0o700 });
  }

  async read(): Promise<InstallState> {
    return (await readJsonFile(this.statePath, ZInstallState)) ?? emptyInstallState();
  }

  async write(state: InstallState): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await writeJsonAtomic(this.statePath, ZInstallState.parse(state));
  }

  readInstruction = () => readJsonFile(this.instructionPath, ZVerifiedInstruction);

  async writeInstruction(instruction: VerifiedInstruction): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await writeJsonAtomic(this.instructionPath, ZVerifiedInstruction.parse(instruction));
  }

  /**
   * Moves a staged artifact into an emptied slot directory. The caller has persisted
   * `installing = slot` first; the rename is made durable before the caller records the content.
   */
  async moveIntoSlot(model: string, slot: SlotName, sha256: string, file: string): Promise<void> {
    const dir = this.slotDir(model, slot);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rename(this.stagedPath(sha256), join(dir, file));
    await fsyncDir(dir);
    await fsyncDir(this.stagingDir);
  }

  async discardSlot(model: string, slot: SlotName): Promise<void> {
    await rm(this.slotDir(model, slot), { recursive: true, force: true });
  }

  async removeModel(model: string): Promise<void> {
    await rm(this.modelDir(model), { recursive: true, force: true });
  }

  /** Slot directories on disk for `model` (to find strays no state entry owns). */
  async slotDirs(model: string): Promise<SlotName[]> {
    const names = await readdir(this.modelDir(model)).catch(() => [] as string[]);
    return names.filter((n): n is SlotName => ZSlotName.safeParse(n).success);
  }

  /** Model directories on disk. */
  async modelDirs(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  }

  /** What staging holds, by sha256. Stray temp files are ignored. */
  async staging(): Promise<Record<string, StagedArtifact>> {
    const out: Record<string, StagedArtifact> = {};
    const names = await readdir(this.stagingDir).catch(() => [] as string[]);
    for (const name of names) {
      const m = /^([0-9a-f]{64})(\.part)?$/.exec(name);
      if (!m?.[1]) continue;
      const bytes = (await stat(join(this.stagingDir, name)).catch(() => null))?.size;
      if (bytes === undefined) continue;
      // A complete file wins over a stale part of the same artifact.
      if (m[2] && out[m[1]]?.kind === 'complete') continue;
      out[m[1]] = m[2] ? { kind: 'part', bytes } : { kind: 'complete', bytes };
    }
    return out;
  }

  async discardStaged(sha256: string): Promise<void> {
    await rm(this.partPath(sha256), { force: true });
    await rm(this.stagedPath(sha256), { force: true });
  }
}
