import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { seedTestDevice } from '@edgefleet/core/pki/testing';
import { createTestDatabase, type TestDatabase } from '@edgefleet/db/testing';
import { topics } from '@edgefleet/protocol/device';
import { mqtt } from 'aws-iot-device-sdk-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMosquittoConfig } from './mosquitto.ts';
import { closeQuietly, newDeviceConnection, tryConnect } from './mqtt/testing.ts';
import {
  freePort,
  MOSQUITTO,
  mosquittoInstalled,
  type Running,
  startMosquitto,
  waitForPort,
} from './test-processes.ts';

if (!mosquittoInstalled())
  console.warn(`[mosquitto] skipped: ${MOSQUITTO} is not installed (Debian: apt-get install mosquitto)`);

// The broker is replaceable: Mosquitto with the generated config admits fleet devices and confines them.
describe.skipIf(!mosquittoInstalled())('Mosquitto with the fleet CA', () => {
  let t: TestDatabase;
  let pki: FleetPki;
  let broker: Running;
  let port: number;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    pki = await loadOrCreateFleetPki(t.db, { secret: 'x'.repeat(40), publicHost: 'localhost' });
    port = await freePort();
    const conf = await writeMosquittoConfig(mkdtempSync(join(tmpdir(), 'ef-mosquitto-')), { pki, port });
    broker = startMosquitto(conf);
    await waitForPort(port, broker, 'mosquitto');
  });
  afterAll(async () => {
    await broker?.stop();
    await t?.close();
  });

  it("admits a fleet device to its own namespace and keeps it out of another device's", async () => {
    const a = await seedTestDevice(t.db, pki);
    const b = await seedTestDevice(t.db, pki);
    const ca = newDeviceConnection({ port, caChainPem: pki.caChainPem, clientId: a.deviceId, ...a });
    const cb = newDeviceConnection({ port, caChainPem: pki.caChainPem, clientId: b.deviceId, ...b });
    try {
      expect(await tryConnect(ca)).toBe('connected');
      expect(await tryConnect(cb)).toBe('connected');
      const received: string[] = [];
      const sub = await ca.subscribe(`edgefleet/devices/${a.deviceId}/#`, mqtt.QoS.AtLeastOnce, (_topic, payload) => {
        received.push(Buffer.from(payload).toString());
      });
      expect(sub.qos).toBe(mqtt.QoS.AtLeastOnce);

      // b may neither write into a's namespace nor read from it. (Mosquitto 2.0 grants the
      // subscription and filters each message by the ACL on delivery.)
      await cb.publish(topics.desired(a.deviceId), 'from b', mqtt.QoS.AtLeastOnce);
      const leaked: string[] = [];
      await cb.subscribe(`edgefleet/devices/${a.deviceId}/#`, mqtt.QoS.AtLeastOnce, (_topic, payload) => {
        leaked.push(Buffer.from(payload).toString());
      });

      await ca.publish(topics.events(a.deviceId), 'from a', mqtt.QoS.AtLeastOnce);
      await expect.poll(() => received).toContain('from a');
      await new Promise((r) => setTimeout(r, 300));
      expect(received).toEqual(['from a']);
      expect(leaked).toEqual([]);
    } finally {
      await Promise.all([closeQuietly(ca), closeQuietly(cb)]);
    }
  });

  it('refuses a client without a fleet certificate', async () => {
    const outsider = await createTestDatabase('pglite');
    try {
      const other = await loadOrCreateFleetPki(outsider.db, { secret: 'y'.repeat(40), publicHost: 'localhost' });
      const d = await seedTestDevice(outsider.db, other);
      const c = newDeviceConnection({ port, caChainPem: pki.caChainPem, clientId: d.deviceId, ...d });
      expect(await tryConnect(c)).not.toBe('connected');
      await closeQuietly(c);
    } finally {
      await outsider.close();
    }
  });
});
