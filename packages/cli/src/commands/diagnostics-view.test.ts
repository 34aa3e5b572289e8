import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import { describe, expect, it } from 'vitest';
import { bundleModels, bundleSummary } from './diagnostics-view.ts';

describe('diagnostics bundle summary', () => {
  it('names the models serving, else the installed ones, from whatever shape the agent sent', () => {
    const serving = {
      serving: [
        { model: 'detector', version: '1.2.0' },
        { model: 'ocr', version: '0.3.0', shadow: { version: '0.4.0' } },
      ],
    };
    expect(bundleModels(serving)).toEqual(['detector 1.2.0', 'ocr 0.3.0 + shadow']);
    const installedOnly = {
      serving: [],
      installed: {
        models: { detector: { serving: 'b', slots: { a: { version: '1.0.0' }, b: { version: '1.1.0' } } } },
      },
    };
    expect(bundleModels(installedOnly)).toEqual(['detector 1.1.0']);
    expect(bundleModels({ installed: { models: { idle: { serving: null, slots: {} } } } })).toEqual([
      'idle (not serving)',
    ]);
    expect(bundleModels([{ model: 'detector', serving: { version: '1.0.0', slot: 'a' } }])).toEqual(['detector 1.0.0']);
    for (const odd of [null, 'text', 42, { installed: { error: 'EACCES' } }]) expect(bundleModels(odd)).toEqual([]);
  });

  it('prints agent version, log lines, recent errors and models in a few lines', () => {
    const lines = bundleSummary(
      { id: 'diag_1', deviceId: 'dev_1', uploadedAt: '2030-01-07T12:00:30.000Z', sizeBytes: 3000 },
      {
        v: PROTOCOL_VERSION,
        collectedAt: '2030-01-07T12:00:00.000Z',
        agentVersion: '0.4.2',
        logTail: ['a', 'b'],
        config: {},
        models: { serving: [] },
        recentErrors: [{ ts: '2030-01-07T11:59:00.000Z', message: 'boom\nstack…' }],
        system: {},
        telemetryQueue: { depth: 4, dropped: 0 },
      },
    );
    expect(lines).toEqual([
      'diag_1  dev_1  uploaded 2030-01-07 12:00 (3 KiB)',
      'agent            0.4.2',
      'collected        2030-01-07 12:00',
      'log lines        2',
      'recent errors    1 (last 2030-01-07 11:59: boom)',
      'models           none',
      'telemetry queue  4 waiting, 0 dropped',
    ]);
  });
});
