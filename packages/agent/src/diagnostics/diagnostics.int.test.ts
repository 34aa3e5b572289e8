// Remote diagnostics end to end: a real agent (Agent + DiagnosticsService + collectBundle, wired
// as `edgefleet-agent run` wires them) against the real gateway (mTLS HTTPS + Aedes broker, the
// doorbell) and a real database, with requests made through core as the API makes them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDiagnostics, requestDiagnostics } from '@edgefleet/core/health/diagnostics';
import { createEnrollmentToken } from '@edgefleet/core/identity/enrollment-tokens';
import { testOperator } from '@edgefleet/core/identity/testing';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createTestDatabase, type TestDatabase } from '@edgefleet/db/testing';
import type { Gateway } from '@edgefleet/gateway/server';
import { startTestGateway } from '@edgefleet/gateway/testing';
import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import type { TStateReport } from '@edgefleet/protocol/rollout';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../agent.ts';
import { displayFingerprint } from '../certs.ts';
import { DataDir } from '../data-dir.ts';
import { main } from '../main.ts';
import { awsIotLink } from '../mqtt-link.ts';
import { systemClock } from '../runtime.ts';
import { waiter } from '../test/wait.ts';
import { collectBundle } from './collect.ts';
import { LogRing } from './log-ring.ts';
import { DiagnosticsService } from './service.ts';

let t: TestDatabase;
let pki: FleetPki;
let gw: Gateway;
let dir: string;
let logs: string[];
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  t = await createTestDatabase('pglite');
  pki = await loadOrCreateFleetPki(t.db, { secret: 'diagnostics-secret-'.repeat(3), publicHost: 'localhost' });
  gw = await startTestGateway(t.db, pki);
});
afterAll(async () => {
  await gw?.close();
  await t?.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-diagnostics-'));
  logs = [];
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await rm(dir, { recursive: true, force: true });
});

const until = waiter(() => `agent log:\n${logs.join('\n')}`, 20_000);

/** Enrolls a device into `dir` with an auto-approving token; returns its id and the token. */
async function enroll(): Promise<{ deviceId: string; token: string }> {
  const { token } = await createEnrollmentToken(t.db, testOperator, { group: 'lab', autoApprove: true });
  const args = ['--server', `https://localhost:${gw.devicePort}`, '--token', token, '--data-dir', dir];
  args.push('--ca-fingerprint', displayFingerprint(pki.fingerprint), '--mqtt-port', String(gw.mqttPort));
  const code = await main(['node', 'edgefleet-agent', 'enroll', ...args], { out: () => {}, err: (l) => logs.push(l) });
  expect(code).toBe(0);
  const identity = await new DataDir(dir).readIdentity();
  return { deviceId: identity?.deviceId ?? '', token };
}

const report: TStateReport = {
  v: PROTOCOL_VERSION,
  ts: new Date().toISOString(),
  instructionVersion: 3,
  models: [{ model: 'detector', serving: { version: '1.2.0', slot: 'b', since: new Date().toISOString() } }],
};

/** The agent as `edgefleet-agent run` builds it: its log through a LogRing, diagnostics answered over mTLS. */
function runAgent(extraConfig: Record<string, unknown> = {}) {
  const dataDir = new DataDir(dir);
  const ring = new LogRing(systemClock);
  const log = ring.wrap((l) => logs.push(l));
  const diagnostics = new DiagnosticsService({
    dataDir,
    log,
    collect: () =>
      collectBundle({
        dataDir,
        logs: ring,
        clock: systemClock,
        config: { heartbeat: 200, inferencePort: 0, ...extraConfig },
        installer: { report: () => report },
        telemetryQueue: () => ({ depth: 4, dropped: 0 }),
      }),
  });
  const controller = new AbortController();
  const done = new Agent({
    dataDir,
    links: awsIotLink,
    clock: systemClock,
    log,
    heartbeatMs: 200,
    reconnect: { initialMs: 100, maxMs: 500 },
    diagnostics,
  }).run(controller.signal);
  const stop = async () => {
    controller.abort();
    await done;
  };
  stops.push(stop);
  return { stop, log, diagnostics };
}

const ask = (deviceId: string) => requestDiagnostics({ db: t.db }, { deviceId, actor: testOperator });
const uploaded = (id: string) => async () => {
  const view = await getDiagnostics({ db: t.db }, id);
  return view.status === 'uploaded' ? view : null;
};

describe('remote diagnostics, agent ↔ gateway', () => {
  it('an online device uploads its bundle within seconds: log tail, models, system facts, and no secrets', async () => {
    const { deviceId, token } = await enroll();
    const agent = runAgent({ enrollToken: token });
    await until('connected', () => gw.connectedDeviceIds().includes(deviceId));
    // Secrets that reached the log must not reach the bundle either.
    const keyPem = await new DataDir(dir).require('key');
    agent.log(`edgefleet-agent enroll --token ${token} (re-run by hand)`);
    agent.log(`loaded key ${keyPem}`);
    agent.log('model install failed: hash mismatch');
    // Past the connect (and its pending-list question): the doorbell is what brings this request.
    await new Promise((r) => setTimeout(r, 500));

    const asked = Date.now();
    const r = await ask(deviceId);
    const view = await until('the bundle uploaded', uploaded(r.id), 10_000);
    expect(Date.now() - asked).toBeLessThan(5000);
    const b = view.bundle;
    if (!b) throw new Error('uploaded without a bundle');
    expect(b.logTail.some((l) => l.includes(`connected to mqtts://localhost:${gw.mqttPort} as ${deviceId}`))).toBe(
      true,
    );
    expect(b.recentErrors.map((e) => e.message)).toContain('model install failed: hash mismatch');
    expect(b.models).toMatchObject({
      reported: { instructionVersion: 3, models: [{ model: 'detector', serving: { version: '1.2.0', slot: 'b' } }] },
      installed: { instructionVersion: 0 },
      serving: [],
    });
    expect(b.system).toMatchObject({ os: process.platform, arch: expect.any(String), node: process.version });
    expect(Array.isArray(b.system.backends)).toBe(true);
    expect(b.config).toMatchObject({ heartbeat: 200, identity: { deviceId, status: 'accepted' } });
    expect(b.telemetryQueue).toEqual({ depth: 4, dropped: 0 });

    const stored = JSON.stringify(await t.db.diagnosticsRequest.findUniqueOrThrow({ where: { id: r.id } }));
    const keyBody = keyPem.split('\n')[1] ?? '';
    expect(keyBody.length).toBeGreaterThan(40);
    for (const secret of [token, keyBody, 'PRIVATE KEY']) expect(stored).not.toContain(secret);
    expect(stored).toContain('--token [redacted]');
    expect(b.config.enrollToken).toBe('[redacted]');

    // Answered once: no second upload was tried (a refused one would be audited).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const uploads = await t.db.auditEvent.findMany({
      where: { action: 'device.diagnostics.upload', actorId: deviceId },
    });
    expect(uploads.map((u) => u.outcome)).toEqual(['success']);
    expect(agent.diagnostics.answeredIds()).toEqual([r.id]);
  });

  it('a request made while the agent is stopped is answered when it starts again', async () => {
    const { deviceId } = await enroll();
    const first = runAgent();
    await until('connected', () => gw.connectedDeviceIds().includes(deviceId));
    await first.stop();
    await until('disconnected', () => !gw.connectedDeviceIds().includes(deviceId));

    const r = await ask(deviceId);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await getDiagnostics({ db: t.db }, r.id)).status).toBe('pending');

    runAgent();
    const view = await until('the bundle uploaded after the restart', uploaded(r.id), 15_000);
    expect(view.bundle?.logTail.length).toBeGreaterThan(0);
    // Both the pending list and the retained notice named it: still one upload.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const uploads = await t.db.auditEvent.findMany({
      where: { action: 'device.diagnostics.upload', actorId: deviceId },
    });
    expect(uploads.map((u) => u.outcome)).toEqual(['success']);
  });
});
