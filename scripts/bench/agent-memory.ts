import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DataDir } from '@edgefleet/agent/data-dir';
import { createTestCa, type TestCa } from '@edgefleet/agent/testing/fleet-ca';
import { startTlsBroker, type TlsBroker } from '@edgefleet/agent/testing/tls-broker';
import { findRepoRoot } from '@edgefleet/config/env';
import { type BenchResult, type Measurement, peakRssMiB, rssMiB } from './lib.ts';

const root = findRepoRoot();
const BIN = join(root, 'packages/agent/bin/edgefleet-agent.js');
const DEVICE = 'dev_benchmemory0000000';

/** An enrolled, accepted device's data dir: key, certificate and CA from `ca`, MQTT on the broker. */
async function provision(dir: string, ca: TestCa, mqttPort: number): Promise<void> {
  const data = new DataDir(dir);
  await data.ensure();
  const device = ca.device(DEVICE);
  await data.write('key', device.keyPem);
  await data.write('cert', device.certPem);
  await data.write('ca', ca.chainPem);
  await data.writeIdentity({
    v: 1,
    deviceId: DEVICE,
    // Nothing listens there: instruction refreshes fail and back off, so no model is ever loaded.
    server: 'https://127.0.0.1:1',
    mqtt: { host: '127.0.0.1', port: mqttPort },
    status: 'accepted',
    enrolledAt: new Date().toISOString(),
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  if ((await Promise.race([exited, delay(10_000, 'timeout')])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Starts `args` under node, waits until `ready()` and `settleMs` after the start, then reads its RSS (and peak). */
async function settledRss(
  args: string[],
  settleMs: number,
  ready: () => boolean = () => true,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ rss: number; peak: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  try {
    while (!ready()) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited:\n${output}`);
      if (Date.now() - started > 60_000) throw new Error(`${args.join(' ')} not ready after 60 s:\n${output}`);
      await delay(50);
    }
    await delay(Math.max(0, started + settleMs - Date.now()));
    const rss = child.pid ? rssMiB(child.pid) : null;
    const peak = child.pid ? peakRssMiB(child.pid) : null;
    if (rss === null || peak === null) throw new Error(`no /proc status for ${args.join(' ')}:\n${output}`);
    return { rss, peak };
  } finally {
    await stop(child);
  }
}

export const agentMemory = {
  name: 'agent idle memory',
  async run({ smoke }: { smoke: boolean }): Promise<BenchResult> {
    const settleMs = smoke ? 2_000 : 10_000;
    const runs = smoke ? 1 : 3;
    const ca = createTestCa();
    const broker: TlsBroker = await startTlsBroker(ca);
    const dir = mkdtempSync(join(tmpdir(), 'ef-bench-mem-'));
    try {
      // Devices run the bundle (npm run build:agent, docs/agent.md); the bin picks it when it is fresh.
      const bundled = spawnSync(process.execPath, [join(root, 'packages/agent/scripts/bundle.mjs')], {
        encoding: 'utf8',
      });
      if (bundled.status !== 0) throw new Error(`npm run build:agent failed: ${bundled.stderr}`);
      const idle: Measurement = { name: 'edgefleet-agent run, idle, no model', unit: 'MiB', runs: [] };
      const fromSource: Measurement = {
        name: 'the same from TypeScript sources through tsx (development)',
        unit: 'MiB',
        runs: [],
      };
      const peak: Measurement = { name: 'edgefleet-agent run, peak (VmHWM) so far', unit: 'MiB', runs: [] };
      const tsxOnly: Measurement = {
        name: 'node with the tsx loader registered, nothing imported',
        unit: 'MiB',
        runs: [],
      };
      const reference: Measurement = { name: 'bare node -e "setInterval(()=>{},1000)"', unit: 'MiB', runs: [] };
      for (let i = 0; i < runs; i++) {
        const dataDir = join(dir, `run-${i}`);
        await provision(dataDir, ca, broker.port);
        const heartbeatsBefore = broker.received.length;
        // Connected (a heartbeat arrived) and `settleMs` after the start: the idle agent.
        const agent = await settledRss([BIN, 'run', '--data-dir', dataDir, '--inference-port', '0'], settleMs, () =>
          broker.received.slice(heartbeatsBefore).some((m) => m.clientId === DEVICE),
        );
        idle.runs.push(agent.rss);
        peak.runs.push(agent.peak);
        const sourceDir = join(dir, `source-${i}`);
        await provision(sourceDir, ca, broker.port);
        const sourceBefore = broker.received.length;
        fromSource.runs.push(
          (
            await settledRss(
              [BIN, 'run', '--data-dir', sourceDir, '--inference-port', '0'],
              settleMs,
              () => broker.received.slice(sourceBefore).some((m) => m.clientId === DEVICE),
              { ...process.env, EDGEFLEET_AGENT_FROM_SOURCE: '1' },
            )
          ).rss,
        );
        tsxOnly.runs.push(
          (
            await settledRss(
              [
                '--input-type=module',
                '-e',
                'import { register } from "tsx/esm/api"; register(); setInterval(() => {}, 1000)',
              ],
              settleMs,
            )
          ).rss,
        );
        reference.runs.push((await settledRss(['-e', 'setInterval(() => {}, 1000)'], settleMs)).rss);
      }
      return {
        title: 'Agent memory: resident set size of an idle `edgefleet-agent run`',
        command: smoke ? 'npm run bench -- --smoke' : 'npm run bench',
        measurements: [idle, peak, fromSource, tsxOnly],
        reference,
        ratioOf: idle.name,
        notes: [
          `The real binary (packages/agent/bin/edgefleet-agent.js) runs against a local mTLS MQTT broker (Aedes, test CA) with an enrolled data dir; its gateway HTTPS address is a closed port, so it stays connected and idle with no model loaded. VmRSS is read from /proc ${settleMs / 1000} s after the start (once it has heartbeated); every process is measured the same way.`,
          'Target: under 80 MiB idle, for the agent as devices run it: the bundle `npm run build:agent` writes (packages/agent/dist/edgefleet-agent.mjs, our TypeScript in one ES module, third-party packages loaded from node_modules), which the bin runs when it is newer than the sources.',
          'The development lines show what running the TypeScript sources through the tsx loader costs (its module-hooks thread with its own V8 isolate, and esbuild); EDGEFLEET_AGENT_FROM_SOURCE=1 makes the bin do that.',
        ],
      };
    } finally {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
