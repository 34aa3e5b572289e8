import type { TModelTargetCustom } from '@edgefleet/protocol/registry';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CRASH_POLICY, recover } from './recovery.ts';
import { emptyInstallState, type InstallState, type ModelState, type SlotContent } from './slots.ts';

const NOW = new Date('2030-01-01T12:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

const target: TModelTargetCustom = {
  model: 'detector',
  version: '1.0.0',
  runtime: 'onnx',
  accelerator: 'cpu',
  precision: 'fp32',
  tensors: { inputs: [], outputs: [] },
  card: { metrics: {} },
};
const content = (version: string): SlotContent => ({
  version,
  path: `models/detector/${version}/onnx-cpu-fp32`,
  sha256: version.replace(/\./g, '').padEnd(64, '0'),
  length: 10,
  file: 'model.onnx',
  target: { ...target, version },
  installedAt: minutesAgo(60),
});

/** 1.1.0 serving in b since `switchedMinutesAgo`, 1.0.0 previous in a. */
function state(extra: Partial<ModelState> = {}, switchedMinutesAgo = 1, healthy = false): InstallState {
  return {
    ...emptyInstallState(),
    cleanStop: false,
    models: {
      detector: {
        slots: { a: content('1.0.0'), b: content('1.1.0') },
        serving: 'b',
        servingSince: minutesAgo(switchedMinutesAgo),
        previous: 'a',
        switch: { version: '1.1.0', attempt: 2, rolloutId: 'ro_1', at: minutesAgo(switchedMinutesAgo), healthy },
        crashStarts: 0,
        restarts: 0,
        failed: [],
        ...extra,
      },
    },
  };
}

const run = (s: InstallState, crashed = true) => recover(s, { crashed, now: NOW, policy: DEFAULT_CRASH_POLICY });

describe('recover', () => {
  it('counts an unclean start in health check, and reverts at the third', () => {
    const first = run(state());
    expect(first.state.models.detector).toMatchObject({ crashStarts: 1, restarts: 1, serving: 'b' });
    const third = run(state({ crashStarts: 2, restarts: 2 }));
    const m = third.state.models.detector;
    expect(m).toMatchObject({ serving: 'a', crashStarts: 0, restarts: 0 });
    expect(m?.previous).toBeUndefined();
    expect(m?.switch).toBeUndefined();
    expect(m?.slots.b?.version).toBe('1.1.0'); // kept: a retry needs no download
    expect(m?.install).toMatchObject({ version: '1.1.0', step: 'rolled_back', attempt: 2 });
    expect(m?.install?.reason).toMatch(
      /^crash loop: the agent restarted 3 times within 10 min of switching to 1\.1\.0/,
    );
    expect(m?.failed).toMatchObject([{ version: '1.1.0', attempt: 2, rolloutId: 'ro_1' }]);
  });

  it('counts crash starts within the window after a healthy switch, not after it', () => {
    expect(run(state({}, 5, true)).state.models.detector?.crashStarts).toBe(1);
    const later = run(state({ crashStarts: 2 }, 30, true)).state.models.detector;
    expect(later).toMatchObject({ crashStarts: 0, serving: 'b', restarts: 1 });
  });

  it('does not count a clean stop', () => {
    const clean = run(state({ crashStarts: 2 }), false).state.models.detector;
    expect(clean).toMatchObject({ crashStarts: 2, restarts: 0, serving: 'b' });
  });

  it('stops serving a crash-looping first install that has nothing to go back to', () => {
    const s = state({ crashStarts: 2, slots: { b: content('1.1.0') } });
    delete s.models.detector?.previous;
    const m = run(s).state.models.detector;
    expect(m?.serving).toBeUndefined();
    expect(m?.install?.reason).toContain('nothing to go back to');
  });

  it('discards a slot whose install was interrupted, whatever the stop', () => {
    const s = state({ installing: 'a' });
    const r = run(s, false);
    expect(r.discard).toEqual([{ model: 'detector', slot: 'a' }]);
    expect(r.state.models.detector?.slots.a).toBeUndefined();
    expect(r.state.models.detector?.previous).toBeUndefined();
    expect(r.state.models.detector?.installing).toBeUndefined();
    // The input is not modified.
    expect(s.models.detector?.installing).toBe('a');
  });
});
