// External-broker mode on Debian's Mosquitto 2.0, configured by `npm run broker-config` (run
// in-process here): devices are confined to their namespace on the mTLS listener, the gateways
// authenticate on the control-plane listener and split telemetry through a shared subscription,
// and the fleet CRL keeps revoked devices out at the TLS handshake.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { fleetCrlPem } from '@edgefleet/core/pki/revoked-serials';
import { type SeededDevice, seedTestDevice } from '@edgefleet/core/pki/testing';
import { createTestDatabase, type TestDatabase } from '@edgefleet/db/testing';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { brokerConfig } from './broker-config.ts';
import { writeCrlFile } from './mosquitto.ts';
import {
  freePort,
  MOSQUITTO,
  mosquittoInstalled,
  type Running,
  startMosquitto,
  waitForPort,
} from './test-processes.ts';

const SECRET = 'broker-config-test-secret-'.repeat(2);
const PASSWORD = 'correct horse battery staple';
const GATEWAY_USER = 'edgefleet-gateway';
const SHARED_TELEMETRY = '$share/edgefleet/edgefleet/devices/+/telemetry';

const missing = mosquittoInstalled() ? null : `${MOSQUITTO} is not installed (Debian: apt-get install mosquitto)`;
if (missing) console.warn(`[mosquitto-broker] skipped: ${missing}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing)('Mosquitto configured by broker-config', () => {
  let t: TestDatabase;
  let pki: FleetPki;
  let dir: string;
  let broker: Running;
  const brokerLog = () => broker.output();
  let devicePort: number;
  let gatewayPort: number;
  let cliOut: string[];
  const devices: Record<'a' | 'b' | 'revoked' | 'rejected' | 'later', SeededDevice> = {} as never;
  const clients: MqttClient[] = [];

  /** Resolves to the connected client, or to the error text; never retries (reconnectPeriod 0). */
  async function connect(url: string, opts: IClientOptions): Promise<MqttClient | string> {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...opts });
    clients.push(client);
    return new Promise((resolve) => {
      client.once('connect', () => resolve(client));
      client.once('error', (e) => resolve(e.message));
      client.once('close', () => resolve('closed before CONNACK'));
    });
  }

  const connectDevice = (d: SeededDevice, clientId = d.deviceId) =>
    connect(`mqtts://127.0.0.1:${devicePort}`, {
      clientId,
      key: d.keyPem,
      cert: d.certPem,
      ca: pki.caChainPem,
    });

  const connectGateway = (clientId: string, credentials: { username?: string; password?: string } = {}) =>
    connect(`mqtt://127.0.0.1:${gatewayPort}`, {
      clientId,
      username: GATEWAY_USER,
      password: PASSWORD,
      ...credentials,
    });

  function connected(c: MqttClient | string): MqttClient {
    if (typeof c === 'string') throw new Error(`expected a connection, got: ${c}\nmosquitto log:\n${brokerLog()}`);
    return c;
  }

  /** Collects the messages `client` receives that match `filter` (subscribed at QoS 1). */
  async function collect(client: MqttClient, filter: string) {
    const received: { topic: string; payload: string }[] = [];
    const pattern = filter.replace(/^\$share\/[^/]+\//, '').split('/');
    const matches = (topic: string) => {
      const parts = topic.split('/');
      return (
        pattern.every((p, i) => p === '#' || (i < parts.length && (p === '+' || p === parts[i]))) &&
        (pattern.at(-1) === '#' || parts.length === pattern.length)
      );
    };
    client.on('message', (topic, payload) => {
      if (matches(topic)) received.push({ topic, payload: payload.toString() });
    });
    const granted = await client.subscribeAsync(filter, { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    return received;
  }

  const closed = (c: MqttClient) => new Promise<void>((resolve) => c.once('close', () => resolve()));

  /** SIGHUP: Mosquitto reloads at once (the signal interrupts its poll); it logs nothing at these levels. */
  async function reload() {
    broker.child.kill('SIGHUP');
    await sleep(1000);
  }

  async function rewriteCrl() {
    await writeCrlFile(join(dir, 'crl.pem'), await fleetCrlPem(t.db, { secret: SECRET }));
  }

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    pki = await loadOrCreateFleetPki(t.db, { secret: SECRET, publicHost: 'localhost' });
    devices.a = await seedTestDevice(t.db, pki);
    devices.b = await seedTestDevice(t.db, pki);
    devices.revoked = await seedTestDevice(t.db, pki);
    await t.db.deviceCertificate.update({ where: { serial: devices.revoked.serial }, data: { revokedAt: new Date() } });
    devices.rejected = await seedTestDevice(t.db, pki, { status: 'rejected' });
    devices.later = await seedTestDevice(t.db, pki);

    dir = await mkdtemp(join(tmpdir(), 'ef-broker-config-'));
    [devicePort, gatewayPort] = [await freePort(), await freePort()];
    cliOut = [];
    const err: string[] = [];
    const code = await brokerConfig(
      [
        ...['--out', dir, '--device-host', 'broker.example.test'],
        ...['--device-port', String(devicePort), '--device-bind', '127.0.0.1'],
        ...['--gateway-port', String(gatewayPort), '--gateway-bind', '127.0.0.1'],
        // Tests run as root: Mosquitto must not drop to the `mosquitto` user, which cannot read the dir.
        ...['--user', userInfo().username],
      ],
      {
        env: { DATABASE_URL: t.url, EDGEFLEET_SECRET: SECRET, EDGEFLEET_MQTT_PASSWORD: PASSWORD },
        out: (l) => cliOut.push(l),
        err: (l) => err.push(l),
      },
    );
    expect(err).toEqual([]);
    expect(code).toBe(0);

    broker = startMosquitto(join(dir, 'mosquitto.conf'));
    await waitForPort(devicePort, broker, 'mosquitto');
    await waitForPort(gatewayPort, broker, 'mosquitto');
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
  });

  afterAll(async () => {
    await broker?.stop();
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the layout the contract describes', async () => {
    const conf = await readFile(join(dir, 'mosquitto.conf'), 'utf8');
    expect(conf).toContain('per_listener_settings true');
    expect(conf).toContain(`persistence_location ${dir}/data/`);
    expect(await readFile(join(dir, 'passwd'), 'utf8')).toMatch(
      new RegExp(`^${GATEWAY_USER}:\\$7\\$101\\$[A-Za-z0-9+/]{16}\\$[A-Za-z0-9+/]{86}==\\n$`),
    );
    expect(await readFile(join(dir, 'acl-gateway'), 'utf8')).toBe(
      `user ${GATEWAY_USER}\ntopic readwrite edgefleet/#\n`,
    );
    expect(cliOut[0]).toBe(`wrote ${join(dir, 'mosquitto.conf')}`);
    expect(cliOut.join('\n')).toContain('crl.pem: 2 revoked certificate(s)');
  });

  it('confines a fleet device to its own namespace and delivers its telemetry to the gateway', async () => {
    const gw = connected(await connectGateway('gw-1'));
    const telemetry = await collect(gw, SHARED_TELEMETRY);
    const desired = await collect(gw, 'edgefleet/devices/+/desired');
    const a = connected(await connectDevice(devices.a));
    const toA = await collect(a, `edgefleet/devices/${devices.a.deviceId}/desired`);

    // Into b's namespace, and onto a topic only the control plane writes: both dropped by the ACL.
    await a.publishAsync(`edgefleet/devices/${devices.b.deviceId}/telemetry`, 'forged', { qos: 1 });
    await a.publishAsync(`edgefleet/devices/${devices.a.deviceId}/desired`, 'self-assigned', { qos: 1 });
    await a.publishAsync(`edgefleet/devices/${devices.a.deviceId}/telemetry`, 'genuine', { qos: 1 });
    // One client's messages are delivered in order: once 'genuine' is here, the others would have been.
    await expect.poll(() => telemetry.map((m) => m.payload)).toContain('genuine');
    expect(telemetry).toEqual([{ topic: `edgefleet/devices/${devices.a.deviceId}/telemetry`, payload: 'genuine' }]);

    // The gateway writes the device's desired state; the device reads it.
    await gw.publishAsync(`edgefleet/devices/${devices.a.deviceId}/desired`, 'from the control plane', { qos: 1 });
    await expect.poll(() => toA.map((m) => m.payload)).toEqual(['from the control plane']);
    expect(desired.map((m) => m.payload)).toEqual(['from the control plane']);
  });

  it('splits telemetry between gateway replicas in the shared subscription, each message once', async () => {
    const [gw1, gw2] = [connected(await connectGateway('gw-1')), connected(await connectGateway('gw-2'))];
    const [r1, r2] = [await collect(gw1, SHARED_TELEMETRY), await collect(gw2, SHARED_TELEMETRY)];
    const b = connected(await connectDevice(devices.b));
    const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const m of sent) await b.publishAsync(`edgefleet/devices/${devices.b.deviceId}/telemetry`, m, { qos: 1 });
    await expect.poll(() => r1.length + r2.length).toBe(sent.length);
    await sleep(200);
    expect([...r1, ...r2].map((m) => m.payload).sort()).toEqual([...sent].sort());
    expect(r1.length).toBeGreaterThan(0);
    expect(r2.length).toBeGreaterThan(0);
  });

  it('admits the gateway user only with its password on the control-plane listener', async () => {
    expect(await connectGateway('gw-wrong', { password: 'not the password' })).toMatch(/Not authorized/);
    expect(await connectGateway('gw-anon', { username: undefined, password: undefined })).toMatch(/Not authorized/);
    expect(await connectGateway('gw-other-user', { username: 'someone-else' })).toMatch(/Not authorized/);
    connected(await connectGateway('gw-right'));
  });

  it('keeps client ids to the certificate: a device cannot take over another device or a gateway', async () => {
    const gw = connected(await connectGateway('gw-1'));
    const a = connected(await connectDevice(devices.a));
    let kicked = '';
    gw.once('close', () => (kicked += 'gateway '));
    a.once('close', () => (kicked += 'device a'));
    // use_username_as_clientid: b's requested ids are replaced by its own CN, so neither is kicked.
    connected(await connectDevice(devices.b, devices.a.deviceId));
    connected(await connectDevice(devices.b, 'gw-1'));
    await sleep(500);
    expect(kicked).toBe('');
    expect(brokerLog()).not.toMatch(/Client gw-1 already connected/);
  });

  it('refuses at the TLS handshake a revoked certificate and a device that is no longer accepted', async () => {
    expect(await connectDevice(devices.revoked)).toMatch(/alert certificate revoked/);
    expect(await connectDevice(devices.rejected)).toMatch(/alert certificate revoked/);
    connected(await connectDevice(devices.a)); // the same listener, an unlisted certificate
  });

  // Mosquitto 2.0.11 reads crlfile when it builds a listener's TLS context: at start and on SIGHUP.
  // Rewriting the file alone changes nothing; live connections survive even the reload, and the
  // control plane cuts one by taking over its client id from its own listener.
  it('applies a rewritten CRL to new connections after SIGHUP; a client-id takeover cuts the live one', async () => {
    const gw = connected(await connectGateway('gw-1'));
    const telemetry = await collect(gw, SHARED_TELEMETRY);
    const topic = `edgefleet/devices/${devices.later.deviceId}/telemetry`;
    const first = connected(await connectDevice(devices.later));

    await t.db.deviceCertificate.update({ where: { serial: devices.later.serial }, data: { revokedAt: new Date() } });
    await rewriteCrl();
    await sleep(1000);
    // Not reloaded: the revoked certificate is still admitted (taking over its own earlier session).
    const live = connected(await connectDevice(devices.later));
    await expect.poll(() => first.connected).toBe(false);

    await reload();
    expect(await connectDevice(devices.later)).toMatch(/alert certificate revoked/);
    connected(await connectDevice(devices.a)); // others unaffected

    // The reload leaves the established session alone: it still publishes, and it is delivered.
    await live.publishAsync(topic, 'after the reload', { qos: 1 });
    await expect.poll(() => telemetry.map((m) => m.payload)).toContain('after the reload');

    // The gateway's user on the control-plane listener, under the device's client id, cuts it.
    const cut = closed(live);
    const kicker = connected(await connectGateway(devices.later.deviceId));
    await cut;
    expect(brokerLog()).toContain(`Client ${devices.later.deviceId} already connected, closing old connection.`);
    await kicker.endAsync();
    expect(await connectDevice(devices.later)).toMatch(/alert certificate revoked/);
  });

  // Both directions of failure, so the CRL writer knows what it must never do.
  it('refuses every device once the CRL is past nextUpdate, and serves without one it cannot read', async () => {
    const expired = await fleetCrlPem(t.db, { secret: SECRET, now: new Date(Date.now() - 8 * 86_400_000) });
    await writeCrlFile(join(dir, 'crl.pem'), expired);
    await reload();
    // OpenSSL reports an expired CRL to the client as an expired certificate: fail closed, fleet-wide.
    expect(await connectDevice(devices.a)).toMatch(/alert certificate expired/);

    // A CRL that does not parse (a torn write; a missing file behaves the same): Mosquitto logs an
    // error and serves with no CRL at all, admitting revoked devices. Hence writeCrlFile renames
    // into place and refuses to write such a file; here it is written behind its back.
    const torn = (await fleetCrlPem(t.db, { secret: SECRET })).slice(0, 200);
    await expect(writeCrlFile(join(dir, 'crl.pem'), torn)).rejects.toThrowError(/not a single PEM "X509 CRL"/);
    await writeFile(join(dir, 'crl.pem'), torn);
    await reload();
    expect(brokerLog()).toMatch(/Unable to load certificate revocation file/);
    connected(await connectDevice(devices.revoked));

    await rewriteCrl();
    await reload();
    expect(await connectDevice(devices.revoked)).toMatch(/alert certificate revoked/);
    connected(await connectDevice(devices.a));
    expect(broker.child.exitCode).toBeNull();
  });
});
