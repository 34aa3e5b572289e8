import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot } from '@edgefleet/config/env';
import { writeTestModel } from '@edgefleet/onnx/testing';
import type { Api } from '../../packages/cli/src/client.ts';
import { type ControlPlane, signIn, startControlPlane } from './control-plane.ts';
import { type BenchResult, type Measurement, peakRssMiB } from './lib.ts';

const root = findRepoRoot();
const PORT = 3396;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `npm run simulate` as a child process; its stderr tail explains a failure. */
function startSimulator(cp: ControlPlane, token: string, devices: number, dataDir: string) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'packages/agent/src/simulate/main.ts'),
      ...['--devices', String(devices), '--token', token, '--ca-fingerprint', cp.fingerprint],
      ...['--server', `https://127.0.0.1:${cp.devicePort}`, '--data-dir', dataDir, '--status-every', '10s'],
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let tail = '';
  const keep = (d: Buffer) => {
    tail = (tail + d).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, tail: () => tail };
}

async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** Until every device is accepted and online, as the control plane sees it; returns the seconds waited. */
async function waitOnline(api: Api, devices: number, sim: ReturnType<typeof startSimulator>): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + 30 * 60_000;
  while (Date.now() < deadline) {
    if (sim.child.exitCode !== null) throw new Error(`simulator exited:\n${sim.tail()}`);
    const { devices: c } = await api.health.overview.query();
    if (c.accepted === devices && c.online === devices) return (performance.now() - started) / 1000;
    await sleep(1000);
  }
  throw new Error(`devices not all online after 30 min:\n${sim.tail()}`);
}

/** Seconds from creating the rollout to 95% and to 100% of its devices succeeded (polled every 200 ms). */
async function rollOut(api: Api, version: string, devices: number): Promise<{ t95: number; t100: number }> {
  const started = performance.now();
  const { id } = await api.rollouts.create.mutate({
    model: 'bench-rollout',
    version,
    selector: { kind: 'all' },
    strategy: { kind: 'all' },
    // The default 10 s of serving before success is a wait, not work: measure the machinery.
    healthCheckSeconds: 0,
  });
  let t95: number | undefined;
  const deadline = Date.now() + 20 * 60_000;
  while (Date.now() < deadline) {
    const r = await api.rollouts.get.query({ id });
    const at = (performance.now() - started) / 1000;
    const succeeded = r.counts.succeeded ?? 0;
    if (t95 === undefined && succeeded >= Math.ceil(devices * 0.95)) t95 = at;
    if (succeeded >= devices) return { t95: t95 ?? at, t100: at };
    if (r.status !== 'running') throw new Error(`rollout ${version} ended ${r.status}: ${JSON.stringify(r.counts)}`);
    await sleep(200);
  }
  throw new Error(`rollout ${version} did not finish in 20 min`);
}

/**
 * The transfer floor: every device fetches the artifact once, all at once, over HTTPS with its
 * own certificate (a TLS handshake with client authentication each, as the agent's download
 * does), without a rollout: no planning, doorbell, signed metadata, verification or install.
 */
async function fetchAll(port: number, sha256: string, devicesDir: string): Promise<number> {
  const identities = readdirSync(devicesDir).map((d) => ({
    key: readFileSync(join(devicesDir, d, 'key.pem')),
    cert: readFileSync(join(devicesDir, d, 'cert.pem')),
    ca: readFileSync(join(devicesDir, d, 'ca.pem')),
  }));
  const started = performance.now();
  await Promise.all(
    identities.map(
      (tls) =>
        new Promise<void>((resolve, reject) => {
          get({ host: '127.0.0.1', port, path: `/v1/artifacts/${sha256}`, agent: false, ...tls }, (res) => {
            const hash = createHash('sha256');
            res.on('data', (d) => hash.update(d));
            res.on('end', () =>
              res.statusCode === 200 && hash.digest('hex') === sha256
                ? resolve()
                : reject(new Error(`artifact fetch: HTTP ${res.statusCode}`)),
            );
          }).on('error', reject);
        }),
    ),
  );
  return (performance.now() - started) / 1000;
}

export const rollout1000 = {
  name: 'rollout to 1,000 simulated devices',
  async run({ smoke }: { smoke: boolean }): Promise<BenchResult> {
    const devices = smoke ? 10 : 1000;
    const runs = smoke ? 1 : 3;
    const dir = mkdtempSync(join(tmpdir(), 'ef-bench-rollout-'));
    // Enrollment is rate-limited per address and every simulated device shares one.
    const cp = await startControlPlane({
      dataDir: join(dir, 'data'),
      port: PORT,
      env: { EDGEFLEET_ENROLL_RATE_LIMIT: '100000' },
    });
    let sim: ReturnType<typeof startSimulator> | undefined;
    try {
      const { api } = await signIn(cp);
      const key = join(dir, 'publisher.key');
      await cp.cli(['keys', 'generate', '--out', key]);
      await cp.cli(['keys', 'add', '--public', `${key}.pub`, '--name', 'bench']);
      const { token } = JSON.parse(
        (await cp.cli(['enroll-tokens', 'create', '--group', 'bench', '--auto-approve', '--json'])).stdout,
      ) as { token: string };
      const devicesDir = join(dir, 'devices');
      sim = startSimulator(cp, token, devices, devicesDir);
      const online = await waitOnline(api, devices, sim);

      const t95: Measurement = { name: 'rollout: 95% of devices succeeded', unit: 's', runs: [] };
      const t100: Measurement = { name: 'rollout: 100% of devices succeeded', unit: 's', runs: [] };
      const reference: Measurement = { name: 'every device fetches the artifact once', unit: 's', runs: [] };
      for (let i = 0; i < runs; i++) {
        const model = join(dir, `model-${i}.onnx`);
        // A new tiny model per run (the weights differ), so every run downloads new bytes.
        await writeTestModel(model, { inFeatures: 4 + i, outFeatures: 3 });
        const version = `1.0.${i}`;
        await cp.cli(['models', 'publish', model, '--model', 'bench-rollout', '--version', version, '--key', key]);
        const r = await rollOut(api, version, devices);
        t95.runs.push(r.t95);
        t100.runs.push(r.t100);
        const sha256 = createHash('sha256').update(readFileSync(model)).digest('hex');
        reference.runs.push(await fetchAll(cp.devicePort, sha256, devicesDir));
      }
      const simPeak = sim.child.pid ? peakRssMiB(sim.child.pid) : null;
      const label = devices.toLocaleString('en-US');
      return {
        title: `Rollout of one version to ${label} simulated devices`,
        command: smoke ? 'npm run bench -- --smoke' : 'npm run bench',
        measurements: [
          t95,
          t100,
          { name: `enroll and connect ${label} devices`, unit: 's', runs: [online] },
          { name: 'simulator peak RSS', unit: 'MiB', runs: [simPeak ?? Number.NaN] },
        ],
        reference,
        ratioOf: t100.name,
        notes: [
          `The control plane as \`npm start\` runs it (embedded database, rollout engine in the gateway); ${label} real agents in one \`npm run simulate\` process on the same machine: own keys and certificates, mTLS MQTT, TUF, download, hash and signature checks, A/B install with an onnxruntime session each.`,
          'Each run publishes a new tiny ONNX model with the real CLI and rolls it out to every device through the API (one phase, health check 0 s: the default 10 s of serving before a device reports success is a wait, not work), polling the rollout every 200 ms.',
          'The reference is the transfer floor: the same devices each fetch the same artifact once, all at once, over HTTPS with their own client certificates, with no rollout machinery (no planning, doorbell, signed metadata, verification or install).',
          'Enroll and connect is measured once (first run); the gateway enrollment limit is raised with EDGEFLEET_ENROLL_RATE_LIMIT since every simulated device shares one address.',
        ],
      };
    } finally {
      if (sim) await stopChild(sim.child);
      await cp.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
