// The agent against the real control-plane pieces, in-process: the gateway (device HTTPS API +
// Aedes broker with certificate checks), the fleet PKI and a real database.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approveDevice, revokeDevice } from '@edgefleet/core/identity/devices';
import { createEnrollmentToken } from '@edgefleet/core/identity/enrollment-tokens';
import { testOperator } from '@edgefleet/core/identity/testing';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createTestDatabase, type TestDatabase } from '@edgefleet/db/testing';
import { type Gateway, startGateway } from '@edgefleet/gateway/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from './agent.ts';
import { certificateInfo, displayFingerprint } from './certs.ts';
import { DataDir } from './data-dir.ts';
import { main } from './main.ts';
import { awsIotLink } from './mqtt-link.ts';
import { renewCertificate } from './renew.ts';
import { systemClock } from './runtime.ts';
import { waiter } from './test/wait.ts';

let t: TestDatabase;
let pki: FleetPki;
let gw: Gateway;
let dir: string;
let logs: string[];
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  t = await createTestDatabase('pglite');
  pki = await loadOrCreateFleetPki(t.db, { secret: 'agent-test-secret-'.repeat(3), publicHost: 'localhost' });
  gw = await startGateway({
    db: t.db,
    pki,
    bind: '127.0.0.1',
    devicePort: 0,
    mqttPort: 0,
    checkDatabase: async () => {},
    revocationPollMs: 200,
  });
});
afterAll(async () => {
  await gw?.close();
  await t?.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-gw-'));
  logs = [];
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await rm(dir, { recursive: true, force: true });
});

async function agentCli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'edgefleet-agent', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const enrollArgs = (token: string, ...extra: string[]) => [
  'enroll',
  ...['--server', `https://localhost:${gw.devicePort}`, '--token', token, '--data-dir', dir],
  // No --mqtt-port: the gateway's enrollment answer says which port its MQTT listens on.
  ...['--ca-fingerprint', displayFingerprint(pki.fingerprint)],
  ...extra,
];

function runAgent() {
  const controller = new AbortController();
  const done = new Agent({
    dataDir: new DataDir(dir),
    links: awsIotLink,
    clock: systemClock,
    log: (l) => logs.push(l),
    heartbeatMs: 200,
    reconnect: { initialMs: 100, maxMs: 500 },
  }).run(controller.signal);
  const stop = async () => {
    controller.abort();
    await done;
  };
  stops.push(stop);
  return stop;
}

const until = waiter(() => `agent log:\n${logs.join('\n')}`, 20_000);

describe('agent ↔ real gateway', () => {
  it('enrolls with an auto-approve token, connects over mTLS, heartbeats, and the device shows online', async () => {
    const { token } = await createEnrollmentToken(t.db, testOperator, { group: 'lab', autoApprove: true });
    const r = await agentCli(...enrollArgs(token, '--serial', 'SN-AGENT-1'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const identity = (await new DataDir(dir).readIdentity())!;
    expect(identity.mqtt.port).toBe(gw.mqttPort);
    const device = await t.db.device.findUniqueOrThrow({ where: { id: identity.deviceId } });
    expect(device.status).toBe('accepted');
    expect(certificateInfo(await new DataDir(dir).require('cert')).subjectCn).toBe(identity.deviceId);

    runAgent();
    await until('the broker to see the device', () => gw.connectedDeviceIds().includes(identity.deviceId));
    const online = await until('online with a heartbeat', async () => {
      const d = await t.db.device.findUniqueOrThrow({ where: { id: identity.deviceId } });
      return d.online && d.lastSeenAt ? d : null;
    });
    expect(online.lastSeenAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('waits while pending, collects the certificate once an operator approves, then renews it over mTLS', async () => {
    const { token } = await createEnrollmentToken(t.db, testOperator, { group: 'lab' });
    const enrolling = agentCli(...enrollArgs(token, '--poll-interval', '100ms'));
    const data = new DataDir(dir);
    const pending = await until('a pending identity', async () => {
      const id = await data.readIdentity().catch(() => null);
      return id?.status === 'pending' ? id : null;
    });
    expect((await t.db.device.findUniqueOrThrow({ where: { id: pending.deviceId } })).status).toBe('pending');
    await approveDevice({ db: t.db, pki }, testOperator, pending.deviceId);
    const r = await enrolling;
    expect(r.code).toBe(0);
    expect(r.out).toContain(`waiting for an operator to approve device ${pending.deviceId} (pending)`);
    expect((await data.readIdentity())?.status).toBe('accepted');

    const before = certificateInfo(await data.require('cert'));
    const identity = (await data.readIdentity())!;
    await renewCertificate(data, new URL(identity.server), {
      deviceId: identity.deviceId,
      keyPem: await data.require('key'),
      certPem: await data.require('cert'),
      caPem: await data.require('ca'),
    });
    const after = certificateInfo(await data.require('cert'));
    expect(after.serial).not.toBe(before.serial);
    runAgent();
    await until('the broker to see the renewed device', () => gw.connectedDeviceIds().includes(identity.deviceId));
    const certs = await t.db.deviceCertificate.findMany({ where: { deviceId: identity.deviceId } });
    expect(certs.find((c) => c.serial === after.serial)?.firstUsedAt).toBeTruthy();
  });

  it('is cut off when revoked and cannot reconnect', async () => {
    const { token } = await createEnrollmentToken(t.db, testOperator, { group: 'lab', autoApprove: true });
    expect((await agentCli(...enrollArgs(token))).code).toBe(0);
    const { deviceId } = (await new DataDir(dir).readIdentity())!;
    runAgent();
    await until('connected', () => gw.connectedDeviceIds().includes(deviceId));
    await revokeDevice(t.db, testOperator, deviceId);
    await until('the connection to be closed', () => !gw.connectedDeviceIds().includes(deviceId));
    await until('a refused reconnect', () => logs.some((l) => l.startsWith('cannot connect')));
    expect(gw.connectedDeviceIds()).not.toContain(deviceId);
  });

  it('refuses to enroll against the real gateway with a wrong pin, sending nothing', async () => {
    const { token, view } = await createEnrollmentToken(t.db, testOperator, { group: 'lab', autoApprove: true });
    const devices = await t.db.device.count();
    const wrong = 'ab'.repeat(32);
    const r = await agentCli(
      'enroll',
      ...[
        '--server',
        `https://localhost:${gw.devicePort}`,
        '--token',
        token,
        '--data-dir',
        dir,
        '--ca-fingerprint',
        wrong,
      ],
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/does not match the pinned/);
    expect(await t.db.device.count()).toBe(devices);
    expect((await t.db.enrollmentToken.findUniqueOrThrow({ where: { id: view.id } })).uses).toBe(0);
  });
});
