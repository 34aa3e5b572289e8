import type { TStateReport } from '@edgefleet/protocol/rollout';
import { compareSemver } from '@edgefleet/protocol/semver';
import type { TDeviceEvent } from '@edgefleet/protocol/telemetry';

export type EventDraft = Pick<TDeviceEvent, 'kind' | 'severity' | 'message' | 'model' | 'version'>;

/** Per model, the last finished install already turned into an event: `version#attempt#step`. */
export type SeenInstalls = Record<string, string>;

/**
 * The events for installs that reached an end (succeeded, failed, rolled_back) since `seen`,
 * and the new `seen`. Pure: the installer sends full snapshots, often several per step, so the
 * same end is recognised by its key and reported once.
 */
export function installEvents(report: TStateReport, seen: SeenInstalls): { events: EventDraft[]; seen: SeenInstalls } {
  const events: EventDraft[] = [];
  const next: SeenInstalls = { ...seen };
  for (const m of report.models) {
    const i = m.install;
    if (!i || !(i.step === 'succeeded' || i.step === 'failed' || i.step === 'rolled_back')) continue;
    const key = `${i.version}#${i.attempt}#${i.step}`;
    if (seen[m.model] === key) continue;
    next[m.model] = key;
    const label = `${m.model}@${i.version}`;
    const about = { model: m.model, version: i.version };
    if (i.step === 'rolled_back') {
      events.push({ kind: 'crash_loop_revert', severity: 'error', message: i.reason ?? `${label} reverted`, ...about });
    } else if (i.step === 'failed') {
      const message = `${label} failed to install (attempt ${i.attempt})${i.reason ? `: ${i.reason}` : ''}`;
      events.push({ kind: 'install', severity: 'error', message, ...about });
    } else if (m.previous && m.serving?.version === i.version && compareSemver(i.version, m.previous.version) < 0) {
      // Serving an older version than the one before it: a signed rollback went through.
      const message = `${m.model} rolled back to ${i.version} (from ${m.previous.version})`;
      events.push({ kind: 'rollback', severity: 'warning', message, ...about });
    } else {
      events.push({
        kind: 'install',
        severity: 'info',
        message: `${label} installed (attempt ${i.attempt})`,
        ...about,
      });
    }
  }
  return { events, seen: next };
}
