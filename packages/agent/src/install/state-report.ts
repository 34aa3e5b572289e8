import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import type { TModelReport, TStateReport } from '@edgefleet/protocol/rollout';
import { errorMessage } from '../errors.ts';
import type { VerifiedInstruction } from './instruction.ts';
import type { ModelRuntime } from './model-runtime.ts';
import type { InstallState } from './slots.ts';

export const clip = (text: string, max = 1000) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The full snapshot the agent publishes on `state`: per model what serves, what served before,
 * the install in progress or last finished, inference figures and restarts. Models the
 * instruction lists but that have nothing installed yet appear too (with their install, if any).
 */
export function buildStateReport(input: {
  state: InstallState;
  instruction: VerifiedInstruction | null;
  runtime: Pick<ModelRuntime, 'report'>;
  progress: ReadonlyMap<string, { bytes: number; totalBytes: number }>;
  now: Date;
  log?: (line: string) => void;
}): TStateReport {
  const { state, instruction, runtime, progress, now } = input;
  const names = new Set([...Object.keys(state.models), ...(instruction?.instruction.models.map((m) => m.model) ?? [])]);
  const models = [...names].sort().map((model): TModelReport => {
    const ms = state.models[model];
    const report: TModelReport = { model };
    if (!ms) return report;
    const serving = ms.serving ? ms.slots[ms.serving] : undefined;
    if (ms.serving && serving) {
      report.serving = { version: serving.version, slot: ms.serving, since: ms.servingSince ?? now.toISOString() };
    }
    const previous = ms.previous ? ms.slots[ms.previous] : undefined;
    if (ms.previous && previous) report.previous = { version: previous.version, slot: ms.previous };
    if (ms.install) {
      report.install = { ...ms.install, ...(ms.install.reason ? { reason: clip(ms.install.reason) } : {}) };
      const p = progress.get(model);
      if (ms.install.step === 'downloading' && p) Object.assign(report.install, p);
    }
    if (serving) {
      try {
        const figures = runtime.report(model);
        if (figures.stats.length > 0) report.stats = figures.stats.slice(0, 8);
        if (figures.shadow) report.shadow = figures.shadow;
      } catch (e) {
        input.log?.(`${model}: no inference figures: ${errorMessage(e)}`);
      }
      report.restarts = ms.restarts;
    }
    return report;
  });
  return {
    v: PROTOCOL_VERSION,
    ts: now.toISOString(),
    instructionVersion: state.instructionVersion,
    models: models.slice(0, 64),
  };
}
