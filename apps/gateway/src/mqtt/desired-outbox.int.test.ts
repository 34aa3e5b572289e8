import { loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { seedTestDevice } from '@edgefleet/core/pki/testing';
import { setDesired } from '@edgefleet/core/rollouts/desired';
import { loadOrCreateDirectorKey } from '@edgefleet/core/rollouts/director-key';
import { seedPublishedVersion } from '@edgefleet/core/rollouts/testing';
import { createTestDatabase, type TestDatabase } from '@edgefleet/db/testing';
import { topics } from '@edgefleet/protocol/device';
import { ZDesiredNotice } from '@edgefleet/protocol/rollout';
import { afterEach, describe, expect, it } from 'vitest';
import { DesiredOutbox } from './desired-outbox.ts';

describe('desired-state doorbells', () => {
  let t: TestDatabase | undefined;
  let outbox: DesiredOutbox | undefined;
  afterEach(async () => {
    await outbox?.close();
    await t?.close();
  });

  it('rings again a doorbell the broker did not take, until it does', async () => {
    t = await createTestDatabase('pglite');
    const { db } = t;
    const pki = await loadOrCreateFleetPki(db, { secret: 'o'.repeat(40), publicHost: 'localhost' });
    const director = await loadOrCreateDirectorKey(db, { secret: 'o'.repeat(40) });
    const device = await seedTestDevice(db, pki);
    const v1 = await seedPublishedVersion(db, { model: 'detector', version: '1.0.0' });
    const published: Array<{ topic: string; payload: string; retain: boolean }> = [];
    let refuse = true;
    const logs: string[] = [];
    outbox = new DesiredOutbox({
      db,
      director,
      log: (l) => logs.push(l),
      intervalMs: 50,
      retryMs: 200,
      broker: {
        async publish(topic, payload, opts) {
          if (refuse) throw new Error('broker unavailable');
          published.push({ topic, payload: String(payload), retain: opts?.retain === true });
        },
      },
    });
    await setDesired(db, [
      {
        deviceId: device.deviceId,
        modelId: v1.modelId,
        versionId: v1.versionId,
        artifactPath: v1.artifacts[0]?.path ?? '',
      },
    ]);
    outbox.poke();
    await expect.poll(() => logs.some((l) => l.includes('not sent')), { timeout: 10_000 }).toBe(true);
    const row = await db.deviceInstruction.findUniqueOrThrow({ where: { deviceId: device.deviceId } });
    expect(row.signedVersion).toBeGreaterThan(row.notifiedVersion);

    refuse = false;
    await expect.poll(() => published.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const [first] = published;
    expect(first?.topic).toBe(topics.desired(device.deviceId));
    expect(first?.retain).toBe(true);
    expect(ZDesiredNotice.parse(JSON.parse(first?.payload ?? '')).instructionVersion).toBe(row.signedVersion);
    await expect
      .poll(
        async () =>
          (await db.deviceInstruction.findUniqueOrThrow({ where: { deviceId: device.deviceId } })).notifiedVersion,
      )
      .toBe(row.signedVersion);
  });
});
