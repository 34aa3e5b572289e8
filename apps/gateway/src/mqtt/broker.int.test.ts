import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { makeTestCsr, makeTestKey, type SeededDevice, seedTestDevice } from '@edgefleet/core/pki/testing';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { PROTOCOL_VERSION, topics } from '@edgefleet/protocol/device';
import { mqtt } from 'aws-iot-device-sdk-v2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startAedesBroker } from './aedes-broker.ts';
import { closeQuietly, interrupted, newDeviceConnection, tryConnect } from './testing.ts';

const heartbeat = () =>
  JSON.stringify({ v: PROTOCOL_VERSION, ts: new Date().toISOString(), uptimeSeconds: 5, agentVersion: '0.1.0' });

describe.each(testDatabaseKinds())('MQTT broker on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;
  let broker: EmbeddedBroker;
  const open: mqtt.MqttClientConnection[] = [];

  const connection = (d: Pick<SeededDevice, 'certPem' | 'keyPem'>, clientId: string) => {
    const c = newDeviceConnection({ port: broker.port, caChainPem: pki.caChainPem, clientId, ...d });
    open.push(c);
    return c;
  };
  const audits = (action: string, deviceId: string) =>
    t.db.auditEvent.findMany({ where: { action, targetId: deviceId, outcome: 'failure' } });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    pki = await loadOrCreateFleetPki(t.db, { secret: 'x'.repeat(40), publicHost: 'localhost' });
    broker = await startAedesBroker({ db: t.db, pki, bind: '127.0.0.1', port: 0, log: () => {} });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map(closeQuietly));
  });
  afterAll(async () => {
    await broker?.close();
    await t?.close();
  });

  it('lets an accepted device in; its heartbeat marks it online with lastSeenAt', async () => {
    const d = await seedTestDevice(t.db, pki);
    const c = connection(d, d.deviceId);
    expect(await tryConnect(c)).toBe('connected');
    await c.publish(topics.heartbeat(d.deviceId), heartbeat(), mqtt.QoS.AtLeastOnce);
    await expect
      .poll(async () => t.db.device.findUniqueOrThrow({ where: { id: d.deviceId } }), { timeout: 5000 })
      .toMatchObject({ online: true, lastSeenAt: expect.any(Date) });
    expect(broker.connectedDeviceIds()).toContain(d.deviceId);
    await c.disconnect();
    await expect
      .poll(async () => (await t.db.device.findUniqueOrThrow({ where: { id: d.deviceId } })).online, { timeout: 5000 })
      .toBe(false);
  });

  it('refuses a certificate from another CA, and records it', async () => {
    const d = await seedTestDevice(t.db, pki);
    const other = await createTestDatabase('pglite');
    try {
      // Another installation's PKI issuing a certificate for this very device id.
      const foreign = await loadOrCreateFleetPki(other.db, { secret: 'y'.repeat(40), publicHost: 'localhost' });
      const key = makeTestKey();
      const cert = foreign.issueDeviceCertificate({ csrPem: makeTestCsr(key), deviceId: d.deviceId, validityDays: 1 });
      expect(await tryConnect(connection({ certPem: cert.pem, keyPem: key.keyPem }, d.deviceId))).not.toBe('connected');
      await expect
        .poll(() => audits('device.mqtt.connect', d.deviceId))
        .toEqual([
          expect.objectContaining({
            actorType: 'anonymous',
            detail: expect.objectContaining({
              reason: expect.stringMatching(/^certificate not issued by this fleet's CA/),
            }),
          }),
        ]);
    } finally {
      await other.close();
    }
    expect(broker.connectedDeviceIds()).not.toContain(d.deviceId);
  });

  it("refuses a valid certificate used with another device's client id", async () => {
    const a = await seedTestDevice(t.db, pki);
    const b = await seedTestDevice(t.db, pki);
    expect(await tryConnect(connection(a, b.deviceId))).not.toBe('connected');
    expect(broker.connectedDeviceIds()).not.toContain(b.deviceId);
    await expect
      .poll(() => audits('device.mqtt.connect', b.deviceId))
      .toEqual([
        expect.objectContaining({
          actorId: a.deviceId,
          detail: expect.objectContaining({
            reason: `client id ${b.deviceId} does not match certificate CN ${a.deviceId}`,
          }),
        }),
      ]);
  });

  it("refuses publishing to another device's topic: not delivered, connection closed, audited", async () => {
    const a = await seedTestDevice(t.db, pki);
    const b = await seedTestDevice(t.db, pki);
    const victim = connection(b, b.deviceId);
    expect(await tryConnect(victim)).toBe('connected');
    const received: string[] = [];
    await victim.subscribe(`edgefleet/devices/${b.deviceId}/#`, mqtt.QoS.AtLeastOnce, (topic) => {
      received.push(topic);
    });
    const attacker = connection(a, a.deviceId);
    expect(await tryConnect(attacker)).toBe('connected');
    const cut = interrupted(attacker);
    void attacker.publish(topics.desired(b.deviceId), '{"evil":true}', mqtt.QoS.AtMostOnce).catch(() => {});
    await cut;
    await expect
      .poll(() => audits('device.mqtt.publish', a.deviceId))
      .toEqual([expect.objectContaining({ detail: expect.objectContaining({ topic: topics.desired(b.deviceId) }) })]);
    // The victim still gets its own messages, and never saw the attacker's.
    await victim.publish(topics.events(b.deviceId), '{}', mqtt.QoS.AtLeastOnce);
    await expect.poll(() => received).toEqual([topics.events(b.deviceId)]);
  });

  it("refuses subscribing to another device's topics or to wildcards above its namespace, and audits", async () => {
    const a = await seedTestDevice(t.db, pki);
    const b = await seedTestDevice(t.db, pki);
    const c = connection(a, a.deviceId);
    expect(await tryConnect(c)).toBe('connected');
    const other = await c.subscribe(`edgefleet/devices/${b.deviceId}/#`, mqtt.QoS.AtLeastOnce);
    expect(other.qos).toBe(128);
    const wide = await c.subscribe('edgefleet/devices/+/desired', mqtt.QoS.AtLeastOnce);
    expect(wide.qos).toBe(128);
    const own = await c.subscribe(`edgefleet/devices/${a.deviceId}/desired`, mqtt.QoS.AtLeastOnce);
    expect(own.qos).toBe(mqtt.QoS.AtLeastOnce);
    await expect.poll(async () => (await audits('device.mqtt.subscribe', a.deviceId)).length).toBe(2);
  });

  it('refuses a revoked device, a revoked serial and a pending device at connect', async () => {
    const revoked = await seedTestDevice(t.db, pki, { status: 'revoked' });
    expect(await tryConnect(connection(revoked, revoked.deviceId))).not.toBe('connected');
    const pending = await seedTestDevice(t.db, pki, { status: 'pending' });
    expect(await tryConnect(connection(pending, pending.deviceId))).not.toBe('connected');
    const d = await seedTestDevice(t.db, pki);
    await t.db.deviceCertificate.update({ where: { serial: d.serial }, data: { revokedAt: new Date() } });
    expect(await tryConnect(connection(d, d.deviceId))).not.toBe('connected');
    await expect
      .poll(() => audits('device.mqtt.connect', revoked.deviceId))
      .toEqual([expect.objectContaining({ detail: expect.objectContaining({ reason: 'device is revoked' }) })]);
    await expect
      .poll(() => audits('device.mqtt.connect', d.deviceId))
      .toEqual([expect.objectContaining({ detail: expect.objectContaining({ reason: 'certificate is revoked' }) })]);
  });

  it('closes a live connection within seconds of the device being revoked', async () => {
    const d = await seedTestDevice(t.db, pki);
    const c = connection(d, d.deviceId);
    expect(await tryConnect(c)).toBe('connected');
    const cut = interrupted(c);
    const started = Date.now();
    await t.db.device.update({ where: { id: d.deviceId }, data: { status: 'revoked' } });
    await cut;
    expect(Date.now() - started).toBeLessThan(3000);
    await expect.poll(() => broker.connectedDeviceIds()).not.toContain(d.deviceId);
    await expect
      .poll(() => t.db.auditEvent.findFirst({ where: { action: 'device.mqtt.disconnect', targetId: d.deviceId } }))
      .toMatchObject({ detail: { reason: 'device no longer accepted' } });
  });

  it('closes a live connection whose certificate is revoked', async () => {
    const d = await seedTestDevice(t.db, pki);
    const c = connection(d, d.deviceId);
    expect(await tryConnect(c)).toBe('connected');
    const cut = interrupted(c);
    await t.db.deviceCertificate.update({ where: { serial: d.serial }, data: { revokedAt: new Date() } });
    await cut;
    expect(await tryConnect(connection(d, d.deviceId))).not.toBe('connected');
  });
});
