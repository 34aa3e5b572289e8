import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics, ZHeartbeat } from '@edgefleet/protocol/device';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from './agent.ts';
import { certificateInfo, keyMatchesCertificate } from './certs.ts';
import { DataDir } from './data-dir.ts';
import { main } from './main.ts';
import { awsIotLink } from './mqtt-link.ts';
import { systemClock } from './runtime.ts';
import { type FakeGateway, startFakeGateway } from './test/fake-gateway.ts';
import { createTestCa, type TestCa } from './test/fleet-ca.ts';
import { startTlsBroker, type TlsBroker } from './test/tls-broker.ts';
import { waiter } from './test/wait.ts';

const DEVICE = 'dev_aaaaaaaaaaaaaaaaaaaa';
const ca = createTestCa();
const DAY = 86_400_000;

let dir: string;
let data: DataDir;
let logs: string[];
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-run-'));
  data = new DataDir(dir);
  logs = [];
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

async function provision(opts: {
  server: string;
  port: number;
  cert?: { notBefore: Date; notAfter: Date };
  issuer?: TestCa;
}) {
  const device = (opts.issuer ?? ca).device(DEVICE, opts.cert);
  await data.write('key', device.keyPem);
  await data.write('cert', device.certPem);
  await data.write('ca', ca.chainPem);
  await data.writeIdentity({
    v: 1,
    deviceId: DEVICE,
    server: opts.server,
    mqtt: { host: '127.0.0.1', port: opts.port },
    status: 'accepted',
    enrolledAt: new Date().toISOString(),
  });
}

function startAgent(extra: Partial<ConstructorParameters<typeof Agent>[0]> = {}) {
  const controller = new AbortController();
  const agent = new Agent({
    dataDir: data,
    links: awsIotLink,
    clock: systemClock,
    log: (l) => logs.push(l),
    heartbeatMs: 150,
    reconnect: { initialMs: 100, maxMs: 400, jitter: 0.3 },
    ...extra,
  });
  const done = agent.run(controller.signal);
  const stop = async () => {
    controller.abort();
    await done;
  };
  cleanups.push(stop);
  return { stop, done };
}

const until = waiter(() => `agent log:\n${logs.join('\n')}`);

const heartbeats = (b: TlsBroker) => b.received.filter((m) => m.topic === topics.heartbeat(DEVICE));

describe('edgefleet-agent run', () => {
  it('heartbeats over mTLS on its own topic, reconnects after the broker restarts, and stops cleanly', async () => {
    let broker = await startTlsBroker(ca);
    cleanups.push(() => broker.stop());
    const port = broker.port;
    await provision({ server: 'https://127.0.0.1:1', port });
    const { stop } = startAgent();

    const first = await until('a heartbeat', () => heartbeats(broker)[0]);
    expect(first.clientId).toBe(DEVICE);
    const hb = ZHeartbeat.parse(JSON.parse(first.payload));
    expect(hb.certificateNotAfter).toBe(certificateInfo(await data.require('cert')).notAfter.toISOString());
    await until('state connected', async () => (await data.readState())?.connection === 'connected');

    await broker.stop();
    await until('state disconnected', async () => (await data.readState())?.connection === 'disconnected');
    broker = await startTlsBroker(ca, port);
    await until('a heartbeat after the restart', () => heartbeats(broker)[0]);
    expect(logs.some((l) => l.startsWith('disconnected:') && l.includes('reconnecting in'))).toBe(true);
    expect(logs.filter((l) => l.startsWith('connected to')).length).toBeGreaterThanOrEqual(2);

    await stop();
    const state = await data.readState();
    expect(state).toMatchObject({ connection: 'stopped' });
    expect(state?.lastHeartbeatAt).toBeDefined();
  });

  it('backs off while the broker is down and connects once it is up', async () => {
    const probe = await startTlsBroker(ca);
    const port = probe.port;
    await probe.stop();
    await provision({ server: 'https://127.0.0.1:1', port });
    startAgent();
    await until('two failed attempts', () => logs.filter((l) => l.includes('reconnecting in')).length >= 2);
    expect((await data.readState())?.lastError).toBeTruthy();
    const broker = await startTlsBroker(ca, port);
    cleanups.push(() => broker.stop());
    await until('a heartbeat', () => heartbeats(broker)[0]);
  });

  it('will not connect to a broker whose certificate is from another CA', async () => {
    const impostor = createTestCa({ cn: 'Impostor' });
    const broker = await startTlsBroker(impostor);
    cleanups.push(() => broker.stop());
    // The device has a cert the impostor would even accept; the agent must refuse the server side.
    await provision({ server: 'https://127.0.0.1:1', port: broker.port, issuer: impostor });
    await data.write('ca', ca.chainPem);
    startAgent();
    // s2n delays reporting a failed handshake by 10-30 s (its timing-attack "blinding").
    await until('a refused handshake', () => logs.find((l) => /TLS.*negotiation failed/.test(l)), 45_000);
    expect(broker.connects).toEqual([]);
    // After the refusal the agent may already be retrying ('connecting'); it must never be connected.
    expect((await data.readState())?.connection).not.toBe('connected');
  }, 60_000);

  it('renews a certificate with less than a third of its validity left, over mTLS, and reconnects with the new one', async () => {
    const gw: FakeGateway = await startFakeGateway(ca, DEVICE);
    cleanups.push(() => gw.close());
    const broker = await startTlsBroker(ca);
    cleanups.push(() => broker.stop());
    const now = Date.now();
    await provision({
      server: gw.url,
      port: broker.port,
      cert: { notBefore: new Date(now - 20 * DAY), notAfter: new Date(now + 5 * DAY) },
    });
    const oldCert = certificateInfo(await data.require('cert'));
    const oldKey = await data.require('key');
    startAgent();

    const hb = await until('a heartbeat', () => heartbeats(broker)[0]);
    const renew = gw.requests.find((r) => r.path === '/v1/certificate/renew');
    expect(renew?.clientCn).toBe(DEVICE); // proved identity with the old certificate
    const newCert = certificateInfo(await data.require('cert'));
    expect(newCert.serial).not.toBe(oldCert.serial);
    expect(newCert.notAfter.getTime()).toBeGreaterThan(now + 300 * DAY);
    const newKey = await data.require('key');
    expect(newKey).not.toBe(oldKey);
    expect(keyMatchesCertificate(newKey, await data.require('cert'))).toBe(true);
    expect(hb.serial).toBe(newCert.serial);
    expect(broker.connects.map((c) => c.serial)).toEqual([newCert.serial]);
    expect(await data.exists('renewKey')).toBe(false);
    expect(await data.exists('renewCert')).toBe(false);
    expect(logs.some((l) => l.startsWith('certificate renewed'))).toBe(true);
  });

  it('keeps running on the old certificate when renewal fails', async () => {
    const gw = await startFakeGateway(ca, DEVICE);
    cleanups.push(() => gw.close());
    gw.onRenew = () => ({ status: 503, body: { error: 'unavailable', message: 'try later' } });
    const broker = await startTlsBroker(ca);
    cleanups.push(() => broker.stop());
    const now = Date.now();
    await provision({
      server: gw.url,
      port: broker.port,
      cert: { notBefore: new Date(now - 20 * DAY), notAfter: new Date(now + 5 * DAY) },
    });
    const oldSerial = certificateInfo(await data.require('cert')).serial;
    startAgent();
    const hb = await until('a heartbeat', () => heartbeats(broker)[0]);
    expect(hb.serial).toBe(oldSerial);
    expect(logs.some((l) => l.includes('certificate renewal failed') && l.includes('try later'))).toBe(true);
    expect(await data.exists('renewKey')).toBe(true); // dropped at the next start by recoverRenewal
  });
});

describe('the edgefleet-agent binary', () => {
  it('runs, reports status while connected, and exits 0 on SIGTERM', async () => {
    const broker = await startTlsBroker(ca);
    cleanups.push(() => broker.stop());
    await provision({ server: 'https://127.0.0.1:1', port: 1 });
    const bin = new URL('../bin/edgefleet-agent.js', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [
        bin,
        'run',
        '--data-dir',
        dir,
        '--heartbeat',
        '200ms',
        '--mqtt-port',
        String(broker.port),
        '--inference-port',
        '0',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    cleanups.push(async () => void child.kill('SIGKILL'));

    await until('a heartbeat from the binary', () => heartbeats(broker)[0], 20_000);
    const out: string[] = [];
    expect(
      await main(['node', 'edgefleet-agent', 'status', '--data-dir', dir, '--json'], {
        out: (l) => out.push(l),
        err: () => {},
      }),
    ).toBe(0);
    expect(JSON.parse(out.join('\n')).agent).toMatchObject({ running: true, connection: 'connected' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM: stopping');
    expect((await data.readState())?.connection).toBe('stopped');
  });
});
