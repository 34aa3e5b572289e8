import type { Db } from '@edgefleet/db/client';
import type { TStateReport } from '@edgefleet/protocol/rollout';
import { describe, expect, it } from 'vitest';
import { StateIngest } from './state-ingest.ts';

const report = (instructionVersion: number) =>
  Buffer.from(JSON.stringify({ v: 1, ts: new Date().toISOString(), instructionVersion, models: [] }));

describe('StateIngest', () => {
  it('applies at most `concurrency` reports at once, in arrival order per device, and drops none', async () => {
    let active = 0;
    let peak = 0;
    const applied: string[] = [];
    const apply = async (_db: Db, deviceId: string, r: TStateReport) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 1));
      applied.push(`${deviceId}:${r.instructionVersion}`);
      active -= 1;
    };
    const ingest = new StateIngest({} as Db, () => {}, apply, 2);
    // A rollout's burst: 100 devices, each reporting three steps in quick succession.
    for (let step = 1; step <= 3; step++) {
      for (let d = 0; d < 100; d++) ingest.receive(`dev-${d}`, report(step));
    }
    await ingest.close();

    expect(peak).toBe(2);
    expect(ingest.counts()).toEqual({ applied: 300, invalid: 0, failed: 0 });
    for (let d = 0; d < 100; d++) {
      expect(applied.filter((a) => a.startsWith(`dev-${d}:`))).toEqual([`dev-${d}:1`, `dev-${d}:2`, `dev-${d}:3`]);
    }
  });

  it('frees the slot of a report that failed to apply', async () => {
    const ingest = new StateIngest(
      {} as Db,
      () => {},
      async (_db, deviceId) => {
        if (deviceId === 'bad') throw new Error('database trouble');
      },
      1,
    );
    ingest.receive('bad', report(1));
    ingest.receive('good', report(1));
    await ingest.close();
    expect(ingest.counts()).toEqual({ applied: 1, invalid: 0, failed: 1 });
  });
});
