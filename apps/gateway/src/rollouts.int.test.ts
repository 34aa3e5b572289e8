// The gateway's rollout transports against a real database: each device's TUF repository and
// artifacts over mTLS, the retained `desired` doorbell, and state reports into core.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { type SeededDevice, seedTestDevice } from '@edgefleet/core/pki/testing';
import { type ArtifactStore, createLocalArtifactStore } from '@edgefleet/core/registry/artifact-store';
import { testAdmin } from '@edgefleet/core/registry/testing';
import { setDesired } from '@edgefleet/core/rollouts/desired';
import { type DirectorKey, loadOrCreateDirectorKey } from '@edgefleet/core/rollouts/director-key';
import { createRollout } from '@edgefleet/core/rollouts/plan';
import { type SeededVersion, seedPublishedVersion } from '@edgefleet/core/rollouts/testing';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { PROTOCOL_VERSION, topics } from '@edgefleet/protocol/device';
import { MAX_STATE_REPORT_BYTES, type TStateReport, ZDesiredNotice } from '@edgefleet/protocol/rollout';
import { mqtt } from 'aws-iot-device-sdk-v2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeQuietly, interrupted, newDeviceConnection, tryConnect } from './mqtt/testing.ts';
import { type Gateway, startGateway } from './server.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function httpsGet(
  port: number,
  pki: FleetPki,
  path: string,
  device?: SeededDevice,
  headers: Record<string, string> = {},
) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: pki.caChainPem,
        servername: 'localhost',
        headers,
        ...(device ? { key: device.keyPem, cert: device.certPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe.each(testDatabaseKinds())('gateway rollout transports on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;
  let director: DirectorKey;
  let store: ArtifactStore;
  let storeDir: string;
  let gw: Gateway;
  let v1: SeededVersion;
  const logs: string[] = [];
  const open: mqtt.MqttClientConnection[] = [];

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    pki = await loadOrCreateFleetPki(t.db, { secret: 'g'.repeat(40), publicHost: 'localhost' });
    director = await loadOrCreateDirectorKey(t.db, { secret: 'g'.repeat(40) });
    storeDir = await mkdtemp(join(tmpdir(), 'ef-gw-artifacts-'));
    store = createLocalArtifactStore(storeDir);
    v1 = await seedPublishedVersion(t.db, { model: 'detector', version: '1.0.0', store });
    gw = await startGateway({
      db: t.db,
      pki,
      director,
      artifacts: store,
      bind: '127.0.0.1',
      devicePort: 0,
      mqttPort: 0,
      checkDatabase: async () => {},
      outboxIntervalMs: 100,
      log: (m) => logs.push(m),
    });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map(closeQuietly));
  });
  afterAll(async () => {
    await gw?.close();
    await t?.close();
    await rm(storeDir, { recursive: true, force: true });
  });

  const get = (path: string, device?: SeededDevice, headers: Record<string, string> = {}) =>
    httpsGet(gw.devicePort, pki, path, device, headers);
  const json = (r: Reply) => JSON.parse(r.body.toString('utf8'));
  const connection = (d: SeededDevice) => {
    const c = newDeviceConnection({ port: gw.mqttPort, caChainPem: pki.caChainPem, clientId: d.deviceId, ...d });
    open.push(c);
    return c;
  };
  const desire = (deviceId: string, version = v1) =>
    setDesired(t.db, [
      {
        deviceId,
        modelId: version.modelId,
        versionId: version.versionId,
        artifactPath: version.artifacts[0]?.path ?? '',
      },
    ]);

  describe('GET /v1/tuf/<file>', () => {
    it("serves the calling device's own signed repository, uncached", async () => {
      const d = await seedTestDevice(t.db, pki);
      await desire(d.deviceId);
      const root = await get('/v1/tuf/1.root.json', d);
      expect(root.status).toBe(200);
      expect(root.headers['cache-control']).toBe('no-store');
      expect(root.headers['content-type']).toMatch(/^application\/json/);
      expect(json(root).signed).toMatchObject({ _type: 'root', version: 1 });
      expect(Object.keys(json(root).signed.keys)).toEqual([director.keyId]);

      const timestamp = await get('/v1/tuf/timestamp.json', d);
      expect(json(timestamp).signed._type).toBe('timestamp');
      const targets = json(await get('/v1/tuf/targets.json', d));
      expect(targets.signed.custom).toMatchObject({
        deviceId: d.deviceId,
        models: [{ model: 'detector', version: '1.0.0', sha256: v1.artifacts[0]?.sha256 }],
      });
      // The delegated role is the publisher's metadata, byte for byte, under its URL-encoded name.
      const role = await get('/v1/tuf/detector%401.0.0.json', d);
      expect(role.status).toBe(200);
      expect(role.body.toString('utf8')).toBe(v1.signedMetadata);
    });

    it('never shows one device the instruction of another', async () => {
      const a = await seedTestDevice(t.db, pki);
      const b = await seedTestDevice(t.db, pki);
      await desire(b.deviceId);
      const targets = json(await get('/v1/tuf/targets.json', a));
      expect(targets.signed.custom).toMatchObject({ deviceId: a.deviceId, models: [] });
      // A role the caller's own targets do not delegate to is not there for it.
      expect((await get('/v1/tuf/detector%401.0.0.json', a)).status).toBe(404);
    });

    it('answers 404 (JSON) for files that do not exist, 401 without a certificate, 403 when revoked', async () => {
      const d = await seedTestDevice(t.db, pki);
      const missing = await get('/v1/tuf/2.root.json', d);
      expect(missing.status).toBe(404);
      expect(json(missing)).toMatchObject({ error: 'not_found' });
      expect((await get('/v1/tuf/nonsense', d)).status).toBe(404);
      expect((await get('/v1/tuf/1.root.json')).status).toBe(401);
      await t.db.deviceCertificate.updateMany({ where: { deviceId: d.deviceId }, data: { revokedAt: new Date() } });
      const refused = await get('/v1/tuf/timestamp.json', d);
      expect(refused.status).toBe(403);
      expect(json(refused).message).toMatch(/revoked/);
      expect(
        await t.db.auditEvent.count({ where: { action: 'device.tuf', targetId: d.deviceId, outcome: 'failure' } }),
      ).toBe(1);
    });
  });

  describe('GET /v1/artifacts/<sha256>', () => {
    it('streams a published artifact with its length, and resumes from a Range', async () => {
      const d = await seedTestDevice(t.db, pki);
      const artifact = v1.artifacts[0];
      if (!artifact) throw new Error('seeded version has an artifact');
      const whole = await get(`/v1/artifacts/${artifact.sha256}`, d);
      expect(whole.status).toBe(200);
      expect(whole.headers['content-length']).toBe(String(artifact.length));
      expect(whole.body.equals(artifact.bytes)).toBe(true);

      const rest = await get(`/v1/artifacts/${artifact.sha256}`, d, { range: 'bytes=100-' });
      expect(rest.status).toBe(206);
      expect(rest.headers['content-range']).toBe(`bytes 100-${artifact.length - 1}/${artifact.length}`);
      expect(rest.headers['content-length']).toBe(String(artifact.length - 100));
      expect(rest.body.equals(artifact.bytes.subarray(100))).toBe(true);

      const past = await get(`/v1/artifacts/${artifact.sha256}`, d, { range: `bytes=${artifact.length}-` });
      expect(past.status).toBe(416);
      expect(past.headers['content-range']).toBe(`bytes */${artifact.length}`);
    });

    it('serves nothing that is not an artifact of a published version, nor to a stranger', async () => {
      const d = await seedTestDevice(t.db, pki);
      const draft = await seedPublishedVersion(t.db, { model: 'detector', version: '1.1.0-rc.1', store });
      await t.db.modelVersion.update({ where: { id: draft.versionId }, data: { status: 'uploading' } });
      const sha = draft.artifacts[0]?.sha256 ?? '';
      expect(await store.has(sha)).toBe(true);
      expect((await get(`/v1/artifacts/${sha}`, d)).status).toBe(404);
      expect((await get(`/v1/artifacts/${randomBytes(32).toString('hex')}`, d)).status).toBe(404);
      expect((await get('/v1/artifacts/..%2f..%2fetc%2fpasswd', d)).status).toBe(404);
      expect((await get(`/v1/artifacts/${v1.artifacts[0]?.sha256}`)).status).toBe(401);
    });
  });

  describe('MQTT', () => {
    it('rings the retained desired doorbell after signing, also for a device that subscribes later', async () => {
      const d = await seedTestDevice(t.db, pki);
      await desire(d.deviceId);
      await expect
        .poll(
          async () => (await t.db.deviceInstruction.findUnique({ where: { deviceId: d.deviceId } }))?.notifiedVersion,
          {
            timeout: 5000,
          },
        )
        .toBeGreaterThan(0);
      const row = await t.db.deviceInstruction.findUniqueOrThrow({ where: { deviceId: d.deviceId } });
      expect(row.notifiedVersion).toBe(row.signedVersion);

      // The device connects only now: the retained notice is waiting for it.
      const c = connection(d);
      expect(await tryConnect(c)).toBe('connected');
      const notices: unknown[] = [];
      await c.subscribe(topics.desired(d.deviceId), mqtt.QoS.AtLeastOnce, (_topic, payload) => {
        notices.push(JSON.parse(Buffer.from(payload).toString('utf8')));
      });
      await expect.poll(() => notices, { timeout: 5000 }).toHaveLength(1);
      expect(ZDesiredNotice.parse(notices[0])).toMatchObject({ v: 1, instructionVersion: row.signedVersion });
    });

    const report = (over: Partial<TStateReport> = {}): TStateReport => ({
      v: PROTOCOL_VERSION,
      ts: new Date().toISOString(),
      instructionVersion: 1,
      models: [{ model: 'detector', install: { version: '1.0.0', step: 'downloading', attempt: 0 } }],
      ...over,
    });

    it('applies valid state reports, and counts and logs invalid ones without dropping the device', async () => {
      const d = await seedTestDevice(t.db, pki);
      const c = connection(d);
      expect(await tryConnect(c)).toBe('connected');
      const before = gw.stateReports();
      await c.publish(topics.state(d.deviceId), 'not json', mqtt.QoS.AtLeastOnce);
      await c.publish(topics.state(d.deviceId), JSON.stringify({ v: 1, models: 'many' }), mqtt.QoS.AtLeastOnce);
      const huge = JSON.stringify(report({ models: [] })).replace(
        '"models"',
        `"pad":"${'x'.repeat(MAX_STATE_REPORT_BYTES)}","models"`,
      );
      await c.publish(topics.state(d.deviceId), huge, mqtt.QoS.AtLeastOnce);
      await c.publish(topics.state(d.deviceId), JSON.stringify(report()), mqtt.QoS.AtLeastOnce);
      await expect.poll(() => gw.stateReports().applied, { timeout: 5000 }).toBe(before.applied + 1);
      expect(gw.stateReports().invalid).toBe(before.invalid + 3);
      expect(logs.filter((l) => l.startsWith(`invalid state report from ${d.deviceId}`))).toHaveLength(3);
      expect(
        await t.db.deviceInstalledModel.findUnique({
          where: { deviceId_model: { deviceId: d.deviceId, model: 'detector' } },
        }),
      ).toMatchObject({
        installVersion: '1.0.0',
        installStep: 'downloading',
      });
      expect(gw.connectedDeviceIds()).toContain(d.deviceId);
    });

    it("a device cannot move another device's rollout state", async () => {
      const a = await seedTestDevice(t.db, pki);
      const b = await seedTestDevice(t.db, pki);
      const rolloutId = `ro_${randomBytes(8).toString('hex')}`;
      await t.db.rollout.create({
        data: {
          id: rolloutId,
          modelId: v1.modelId,
          versionId: v1.versionId,
          selector: { kind: 'devices', deviceIds: [b.deviceId] },
          strategy: { kind: 'all' },
          gates: { maxFailurePercent: 5, minSuccesses: 0 },
          onFailure: 'pause',
          stepTimeoutSeconds: 900,
          maxRetries: 2,
          status: 'running',
          currentPhase: 0,
          phaseStartedAt: new Date(),
          deviceCount: 1,
          devices: {
            create: { deviceId: b.deviceId, phase: 0, ordinal: 0, state: 'notified', stateChangedAt: new Date() },
          },
        },
      });
      const state = async () =>
        (
          await t.db.rolloutDevice.findUniqueOrThrow({
            where: { rolloutId_deviceId: { rolloutId, deviceId: b.deviceId } },
          })
        ).state;

      const attacker = connection(a);
      expect(await tryConnect(attacker)).toBe('connected');
      const cut = interrupted(attacker);
      const forged = report({
        models: [{ model: 'detector', install: { version: '1.0.0', step: 'succeeded', attempt: 0 } }],
      });
      void attacker.publish(topics.state(b.deviceId), JSON.stringify(forged), mqtt.QoS.AtLeastOnce).catch(() => {});
      await cut;
      // Its own topic only ever speaks for itself.
      await expect
        .poll(() => t.db.auditEvent.count({ where: { action: 'device.mqtt.publish', actorId: a.deviceId } }))
        .toBe(1);
      expect(await state()).toBe('notified');

      // The row does move when B itself reports.
      const owner = connection(b);
      expect(await tryConnect(owner)).toBe('connected');
      await owner.publish(topics.state(b.deviceId), JSON.stringify(forged), mqtt.QoS.AtLeastOnce);
      await expect.poll(state, { timeout: 5000 }).toBe('succeeded');
    });
  });
});

describe.each(testDatabaseKinds())('gateway running the rollout engine on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;
  let gw: Gateway;
  let storeDir: string;
  const open: mqtt.MqttClientConnection[] = [];

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    pki = await loadOrCreateFleetPki(t.db, { secret: 'e'.repeat(40), publicHost: 'localhost' });
    storeDir = await mkdtemp(join(tmpdir(), 'ef-gw-engine-'));
    const store = createLocalArtifactStore(storeDir);
    await seedPublishedVersion(t.db, { model: 'detector', version: '2.0.0', store });
    gw = await startGateway({
      db: t.db,
      pki,
      director: await loadOrCreateDirectorKey(t.db, { secret: 'e'.repeat(40) }),
      artifacts: store,
      engine: { databaseUrl: t.url, tickMs: 100, retryMs: 200 },
      bind: '127.0.0.1',
      devicePort: 0,
      mqttPort: 0,
      checkDatabase: async () => {},
      log: () => {},
    });
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map(closeQuietly));
    await gw?.close();
    await t?.close();
    await rm(storeDir, { recursive: true, force: true });
  });

  it('takes a device from rollout to doorbell to signed instruction to reported success', async () => {
    await expect.poll(() => gw.isEngineLeader(), { timeout: 10_000 }).toBe(true);
    const d = await seedTestDevice(t.db, pki);
    const c = newDeviceConnection({ port: gw.mqttPort, caChainPem: pki.caChainPem, clientId: d.deviceId, ...d });
    open.push(c);
    expect(await tryConnect(c)).toBe('connected');
    const notices: number[] = [];
    await c.subscribe(topics.desired(d.deviceId), mqtt.QoS.AtLeastOnce, (_topic, payload) => {
      notices.push(ZDesiredNotice.parse(JSON.parse(Buffer.from(payload).toString('utf8'))).instructionVersion);
    });

    const { id } = await createRollout({ db: t.db }, testAdmin, {
      model: 'detector',
      version: '2.0.0',
      selector: { kind: 'devices', deviceIds: [d.deviceId] },
    });
    // The engine tick notifies the device and pokes the outbox: the doorbell rings within a tick or two.
    await expect.poll(() => notices.length, { timeout: 5000 }).toBeGreaterThan(0);
    const targets = JSON.parse((await httpsGet(gw.devicePort, pki, '/v1/tuf/targets.json', d)).body.toString('utf8'));
    expect(targets.signed.version).toBe(notices.at(-1));
    const [desired] = targets.signed.custom.models;
    expect(desired).toMatchObject({ model: 'detector', version: '2.0.0', rolloutId: id });

    const report: TStateReport = {
      v: PROTOCOL_VERSION,
      ts: new Date().toISOString(),
      instructionVersion: targets.signed.version,
      models: [
        {
          model: 'detector',
          serving: { version: '2.0.0', slot: 'b', since: new Date().toISOString() },
          install: { version: '2.0.0', step: 'succeeded', attempt: desired.attempt },
        },
      ],
    };
    await c.publish(topics.state(d.deviceId), JSON.stringify(report), mqtt.QoS.AtLeastOnce);
    await expect
      .poll(async () => (await t.db.rollout.findUniqueOrThrow({ where: { id } })).status, { timeout: 10_000 })
      .toBe('completed');
  });
});
