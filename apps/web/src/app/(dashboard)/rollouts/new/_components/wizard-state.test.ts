import { describe, expect, it } from 'vitest';
import { initialState, parseDeviceIds, toCreateInput, toSelector, type WizardState } from './wizard-state';

const base = (patch: Partial<WizardState> = {}): WizardState => ({
  ...initialState('detector', '1.2.0'),
  selectorKind: 'group',
  group: 'lab',
  ...patch,
});

describe('rollout wizard state', () => {
  it('describes no selector until it is complete', () => {
    expect(toSelector(base({ group: ' ' }))).toBeNull();
    expect(toSelector(base({ selectorKind: 'tags', tags: [{ key: '', value: 'x' }] }))).toBeNull();
    expect(toSelector(base({ selectorKind: 'devices', deviceIds: ' , ' }))).toBeNull();
    expect(toSelector(base({ selectorKind: 'all' }))).toEqual({ kind: 'all' });
    expect(
      toSelector(
        base({
          selectorKind: 'tags',
          tags: [
            { key: ' site ', value: ' berlin ' },
            { key: '', value: '' },
          ],
        }),
      ),
    ).toEqual({ kind: 'tags', tags: { site: 'berlin' } });
  });

  it('reads device ids separated any way, once each', () => {
    expect(parseDeviceIds('dev_a, dev_b\ndev_c dev_a')).toEqual(['dev_a', 'dev_b', 'dev_c']);
  });

  it('turns the defaults into a valid create input with phases in seconds', () => {
    const result = toCreateInput(base());
    expect(result).toEqual({
      input: expect.objectContaining({
        model: 'detector',
        version: '1.2.0',
        selector: { kind: 'group', group: 'lab' },
        strategy: {
          kind: 'phases',
          phases: [
            { percent: 10, soakSeconds: 1800 },
            { percent: 50, soakSeconds: 1800 },
            { percent: 100, soakSeconds: 0 },
          ],
        },
        gates: { maxFailurePercent: 5, minSuccesses: 0 },
        onFailure: 'pause',
        stepTimeoutSeconds: 900,
        maxRetries: 2,
        force: false,
      }),
    });
    expect('input' in result && 'window' in result.input).toBe(false);
    expect('input' in result && 'shadow' in result.input).toBe(false);
  });

  it('sends optional gates, the window and the shadow plan only when set', () => {
    const result = toCreateInput(
      base({
        maxErrorRatePercent: '2',
        maxRestarts: '0',
        shadow: true,
        shadowPercent: '5',
        shadowMinutes: '60',
        minAgreementPercent: '97.5',
        window: true,
        windowDays: [6, 0],
        maxConcurrent: '50',
      }),
    );
    if (!('input' in result)) throw new Error(result.error);
    expect(result.input.gates).toEqual({
      maxFailurePercent: 5,
      minSuccesses: 0,
      maxErrorRatePercent: 2,
      maxRestarts: 0,
      minAgreementPercent: 97.5,
    });
    expect(result.input.shadow).toEqual({ percent: 5, durationSeconds: 3600, samplePercent: 100 });
    expect(result.input.window).toEqual({ start: '01:00', end: '05:00', days: [0, 6] });
    expect(result.input.maxConcurrent).toBe(50);
  });

  it('refuses phases that do not widen, and bad numbers, in words', () => {
    const phases = (...p: string[]) => p.map((percent) => ({ percent, soakMinutes: '0' }));
    expect(toCreateInput(base({ phases: phases('50', '10', '100') }))).toEqual({
      error: expect.stringContaining('more devices than the one before'),
    });
    expect(toCreateInput(base({ phases: phases('10', '50') }))).toHaveProperty('input');
    expect(toCreateInput(base({ phases: phases('10', '0') }))).toEqual({
      error: expect.stringContaining('between 0 and 100'),
    });
    expect(toCreateInput(base({ stepTimeoutSeconds: '5' }))).toEqual({
      error: expect.stringMatching(/^Step timeout/),
    });
    expect(toCreateInput(base({ version: '' }))).toEqual({ error: expect.stringContaining('version') });
    expect(toCreateInput(base({ group: '' }))).toEqual({ error: expect.stringContaining('devices') });
  });
});
