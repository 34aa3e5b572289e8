// The broker is replaceable: the real agent, enrolled through the real gateway, keeps its mTLS
// MQTT session on Debian's Mosquitto (started here with the config the gateway generates)
// instead of the embedded Aedes broker, and Mosquitto refuses a certificate from another CA.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEnrollmentToken } from '@edgefleet/core/identity/enrollment-tokens';
import { testOperator } from '@edgefleet/core/identity/testing';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { makeTestCsr, makeTestKey, seedTestDevice } from '@edgefleet/core/pki/testing';
import { createTestDatabase, type TestDatabase } from '@edgefleet/db/testing';
// @edgefleet/gateway exports only ./server; this test needs the Mosquitto config writer as well.
import { writeMosquittoConfig } from '@edgefleet/gateway/mosquitto';
import { type Gateway, startGateway } from '@edgefleet/gateway/server';
import { type THeartbeat, topics, ZHeartbeat } from '@edgefleet/protocol/device';
import { iot, mqtt } from 'aws-iot-device-sdk-v2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from './agent.ts';
import { certificateInfo, displayFingerprint } from './certs.ts';
import { DataDir } from './data-dir.ts';
import { main } from './main.ts';
import { awsIotLink } from './mqtt-link.ts';
import { systemClock } from './runtime.ts';
import { waiter } from './test/wait.ts';

const MOSQUITTO = '/usr/sbin/mosquitto';
/** Not a device: a reader of every device's namespace, allowed by an ACL block this test appends. */
const OBSERVER = 'test-observer';

let t: TestDatabase;
let pki: FleetPki;
let gw: Gateway;
let broker: ChildProcess | undefined;
let brokerLog = '';
let port: number;
let confDir: string;
let dir: string;
let logs: string[];
const cleanups: (() => Promise<void>)[] = [];

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
      .on('error', reject)
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
  });

async function waitForPort(p: number, child: ChildProcess) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}:\n${brokerLog}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(p, '127.0.0.1', () => s.end(() => resolve(true))).on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`mosquitto did not listen on ${p}:\n${brokerLog}`);
}

beforeAll(async () => {
  if (!existsSync(MOSQUITTO)) {
    throw new Error(
      `${MOSQUITTO} is missing: this test proves the agent works against Mosquitto and must not be skipped. ` +
        'Install it (Debian: apt-get install mosquitto).',
    );
  }
  t = await createTestDatabase('pglite');
  pki = await loadOrCreateFleetPki(t.db, { secret: 'mosquitto-test-secret-'.repeat(3), publicHost: 'localhost' });
  // The gateway is only the enrollment path here (device HTTPS API); its Aedes broker must stay unused.
  gw = await startGateway({
    db: t.db,
    pki,
    bind: '127.0.0.1',
    devicePort: 0,
    mqttPort: 0,
    checkDatabase: async () => {},
  });

  port = await freePort();
  confDir = await mkdtemp(join(tmpdir(), 'agent-mosquitto-'));
  const conf = await writeMosquittoConfig(confDir, { pki, port });
  // The generated ACL confines every certificate to edgefleet/devices/<its CN>/#, so nothing could
  // watch the agent's heartbeats from outside its namespace. The test grants one extra identity,
  // with a certificate from the same fleet PKI, read access to all devices: it stands in for the
  // control plane's consumer and is not part of the generated config.
  await appendFile(join(dirname(conf), 'acl'), `\nuser ${OBSERVER}\ntopic read edgefleet/devices/#\n`);
  broker = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  broker.stderr?.on('data', (d) => {
    brokerLog += d;
  });
  await waitForPort(port, broker);
});

afterAll(async () => {
  if (broker?.pid && broker.exitCode === null) {
    const exited = new Promise((r) => broker?.once('exit', r));
    broker.kill('SIGTERM');
    await exited;
  }
  await gw?.close();
  await t?.close();
  if (confDir) await rm(confDir, { recursive: true, force: true });
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-mosq-data-'));
  logs = [];
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function agentCli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'edgefleet-agent', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

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
  cleanups.push(async () => {
    controller.abort();
    await done;
  });
}

/** Subscribes as OBSERVER to `filter`, collecting every payload delivered. */
async function observe(filter: string) {
  const key = makeTestKey();
  const issued = pki.issueDeviceCertificate({ csrPem: makeTestCsr(key), deviceId: OBSERVER, validityDays: 1 });
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(issued.pem, key.keyPem)
    .with_certificate_authority(pki.caChainPem)
    .with_endpoint('localhost')
    .with_port(port)
    .with_client_id(`${OBSERVER}-${process.pid}`)
    .with_clean_session(true)
    .with_keep_alive_seconds(30)
    .with_timeout_ms(5000)
    .build();
  const connection = new mqtt.MqttClient().new_connection(config);
  connection.on('error', () => {});
  await connection.connect();
  cleanups.push(() => connection.disconnect().catch(() => {}));
  const received: { topic: string; payload: string }[] = [];
  await connection.subscribe(filter, mqtt.QoS.AtLeastOnce, (topic, payload) => {
    received.push({ topic, payload: Buffer.from(payload).toString() });
  });
  return received;
}

const until = waiter(() => `agent log:\n${logs.join('\n')}\nmosquitto log:\n${brokerLog}`);

describe('agent ↔ Mosquitto with the fleet CA', () => {
  it('enrolls through the gateway, connects to Mosquitto over mTLS and its heartbeats are delivered', async () => {
    const { token } = await createEnrollmentToken(t.db, testOperator, { group: 'lab', autoApprove: true });
    const enrolled = await agentCli(
      'enroll',
      ...['--server', `https://localhost:${gw.devicePort}`, '--token', token, '--data-dir', dir],
      // The stored MQTT endpoint is Mosquitto's: `run` needs no override.
      ...['--ca-fingerprint', displayFingerprint(pki.fingerprint), '--mqtt-port', String(port)],
    );
    expect(enrolled.err).toBe('');
    expect(enrolled.code).toBe(0);
    const data = new DataDir(dir);
    const identity = (await data.readIdentity())!;
    expect(identity).toMatchObject({ status: 'accepted', mqtt: { host: 'localhost', port } });
    const cert = certificateInfo(await data.require('cert'));
    expect(cert.subjectCn).toBe(identity.deviceId);

    const received = await observe(topics.heartbeat(identity.deviceId));
    runAgent();

    const state = await until('state.json to say connected with a heartbeat', async () => {
      const s = await data.readState().catch(() => null);
      return s?.connection === 'connected' && s.lastHeartbeatAt ? s : null;
    });
    expect(state.lastError).toBeUndefined();
    expect(logs).toContain(`connected to mqtts://localhost:${port} as ${identity.deviceId}`);

    const status = await agentCli('status', '--data-dir', dir, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({
      deviceId: identity.deviceId,
      mqtt: { host: 'localhost', port },
      agent: { running: true, connection: 'connected' },
    });

    const first = await until('a heartbeat delivered by Mosquitto', () => received[0]);
    expect(first.topic).toBe(topics.heartbeat(identity.deviceId));
    const heartbeat: THeartbeat = ZHeartbeat.parse(JSON.parse(first.payload));
    expect(heartbeat.certificateNotAfter).toBe(cert.notAfter.toISOString());
    // Heartbeats keep coming over the same session (every 200 ms here).
    await until('a second heartbeat', () => received.length >= 2);
    // It was Mosquitto, not the gateway's embedded broker, that carried them.
    expect(gw.connectedDeviceIds()).not.toContain(identity.deviceId);
  });

  it('is refused by Mosquitto with a certificate from another CA, and says so in state.json', async () => {
    const outsider = await createTestDatabase('pglite');
    cleanups.push(() => outsider.close());
    const otherPki = await loadOrCreateFleetPki(outsider.db, {
      secret: 'other-fleet-'.repeat(4),
      publicHost: 'localhost',
    });
    // Same shape as an enrolled device (trusting our fleet CA, so only the client certificate is foreign).
    const foreign = await seedTestDevice(outsider.db, otherPki);
    const data = new DataDir(dir);
    await data.ensure();
    await data.writeIdentity({
      v: 1,
      deviceId: foreign.deviceId,
      server: `https://localhost:${gw.devicePort}`,
      mqtt: { host: 'localhost', port },
      status: 'accepted',
      enrolledAt: new Date().toISOString(),
    });
    await data.write('key', foreign.keyPem);
    await data.write('cert', foreign.certPem);
    await data.write('ca', pki.caChainPem);

    const received = await observe('edgefleet/devices/#');
    runAgent();

    const state = await until('state.json to record the refused connection', async () => {
      const s = await data.readState().catch(() => null);
      return s?.connection === 'disconnected' && s.lastError ? s : null;
    });
    expect(state.lastConnectedAt).toBeUndefined();
    expect(state.lastHeartbeatAt).toBeUndefined();
    expect(logs.some((l) => l.startsWith(`cannot connect to mqtts://localhost:${port}`))).toBe(true);
    expect(logs.some((l) => l.startsWith('connected'))).toBe(false);
    expect(received).toEqual([]);
    // Refused by Mosquitto's certificate check, not by anything on the agent's side.
    await until('mosquitto to log the refused certificate', () => brokerLog.includes('certificate verify failed'));
  });
});
