/**
 * Issue #6's acceptance story with real parts: 50 real agents (the simulator runs the agent's own
 * enrollment, mTLS MQTT, TUF verification, downloads, A/B slots and onnxruntime sessions) against
 * the control plane `npm start` runs; models published and rolled out with the real CLI; a broken
 * version trips the failure gate and the engine rolls it back by itself; the dashboard shows it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { seededInputs, writeClassifierModel } from '../../packages/agent/src/test/models.ts';
import { runCli } from '../../packages/cli/src/test/run-cli.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, BASE_URL, signInAsAdmin, unique } from './fixtures';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEVICES = 50;
const GATEWAY = 'https://127.0.0.1:8453';
/** playwright.config.ts runs the gateway's MQTT on this port. */
const MQTT_PORT = '8893';

test.describe.configure({ timeout: 600_000 });

test('50 agents: a phased rollout succeeds, a broken version rolls itself back, the dashboard shows both', async ({
  page,
}) => {
  const dir = mkdtempSync(join(tmpdir(), 'ef-fleet-e2e-'));
  const env = { ...process.env, EDGEFLEET_CONFIG_DIR: dir, EDGEFLEET_URL: BASE_URL, EDGEFLEET_TOKEN: '' };
  const cli = (args: string[]) => runCli(args, { cwd: dir, env });
  const ok = async (args: string[]) => {
    const r = await cli(args);
    expect(r.code, `edgefleet ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  let sim: ChildProcess | undefined;
  try {
    // An operator signs the CLI in, makes a publisher key and an enrollment token.
    await ok(['login', '--email', ADMIN_EMAIL, '--password', ADMIN_PASSWORD]);
    await ok(['keys', 'generate', '--out', join(dir, 'publisher.key')]);
    await ok(['keys', 'add', '--public', join(dir, 'publisher.key.pub'), '--name', unique('fleet-ci')]);
    const model = unique('fleet').replace(/[^a-z0-9-]/g, '-');
    const group = unique('fleet-lab');
    const enrollToken = JSON.parse(
      await ok(['enroll-tokens', 'create', '--group', group, '--auto-approve', '--json']),
    ) as { token: string };

    // v1.0.0 is a real ONNX classifier with a smoke test that passes; v1.1.0 ships a smoke test
    // whose expected output is wrong, as a broken build would.
    const onnx = join(dir, 'model.onnx');
    const classifier = await writeClassifierModel(onnx, { inFeatures: 4, classes: 3, seed: 7 });
    const x = seededInputs(11, 1, 4);
    const y = classifier.predict(x, 1);
    writeFileSync(join(dir, 'input.json'), JSON.stringify({ x: [[...x]] }));
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ scores: [[...y]] }));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ scores: [[...y].map((v) => v + 0.5)] }));
    const publish = (version: string, expected: string) =>
      ok([
        'models',
        'publish',
        onnx,
        '--model',
        model,
        '--version',
        version,
        '--key',
        join(dir, 'publisher.key'),
        '--sample-input',
        join(dir, 'input.json'),
        '--expected-output',
        join(dir, expected),
      ]);
    await publish('1.0.0', 'good.json');
    await publish('1.1.0', 'bad.json');

    // 50 real agents enroll with the token and pin the fleet CA by its fingerprint.
    await signInAsAdmin(page);
    const info = await page.request.get('/api/trpc/system.info');
    const fingerprint = ((await info.json()) as { result: { data: { json: { caFingerprint: string } } } }).result.data
      .json.caFingerprint;
    let simOut = '';
    sim = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'packages/agent/src/simulate/main.ts'),
        '--devices',
        String(DEVICES),
        '--server',
        GATEWAY,
        '--mqtt-port',
        MQTT_PORT,
        '--token',
        enrollToken.token,
        '--ca-fingerprint',
        fingerprint,
        '--data-dir',
        join(dir, 'sim'),
        '--rate',
        '1/5s',
        '--json',
      ],
      { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    sim.stdout?.on('data', (d) => {
      simOut = (simOut + d).slice(-200_000);
    });
    sim.stderr?.on('data', (d) => {
      simOut = (simOut + d).slice(-200_000);
    });
    const latest = () => {
      const lines = simOut.split('\n').filter((l) => l.startsWith('{'));
      for (let i = lines.length - 1; i >= 0; i--) {
        try {
          return JSON.parse(lines[i] as string) as {
            summary: string;
            devices: Array<{ connected: boolean; models?: Array<{ model: string; serving?: string }> }>;
          };
        } catch {}
      }
      return null;
    };
    await expect
      .poll(() => latest()?.devices.filter((d) => d.connected).length ?? 0, {
        timeout: 240_000,
        intervals: [2000],
        message: `all ${DEVICES} agents online\n${simOut.slice(-3000)}`,
      })
      .toBe(DEVICES);

    // A phased rollout of v1.0.0 to the group, waited for as CI would.
    const first = await cli([
      'rollouts',
      'create',
      '--model',
      model,
      '--version',
      '1.0.0',
      '--group',
      group,
      '--phases',
      '10,50,100',
      '--soak',
      '1s',
      '--health-check',
      '1s',
      '--wait',
      '--wait-timeout',
      '5m',
      '--json',
    ]);
    expect(first.code, `${first.stdout}\n${first.stderr}\n${latest()?.summary}`).toBe(0);
    const serving = (version: string) =>
      latest()?.devices.filter((d) => d.models?.some((m) => m.model === model && m.serving === version)).length ?? 0;
    await expect.poll(() => serving('1.0.0'), { timeout: 60_000, intervals: [1000] }).toBe(DEVICES);

    // The broken v1.1.0: its first phase fails the smoke test, the failure gate trips, and the
    // engine rolls back by itself. --wait exits non-zero with the reason.
    const broken = await cli([
      'rollouts',
      'create',
      '--model',
      model,
      '--version',
      '1.1.0',
      '--group',
      group,
      '--phases',
      '10,50,100',
      '--soak',
      '1s',
      '--retries',
      '0',
      '--max-failure',
      '20',
      '--on-failure',
      'rollback',
      '--wait',
      '--wait-timeout',
      '5m',
    ]);
    expect(broken.code, broken.stdout).not.toBe(0);
    expect(broken.stderr + broken.stdout).toMatch(/rolled.back/i);
    const list = JSON.parse(await ok(['rollouts', 'list', '--model', model, '--json'])) as {
      items: Array<{ id: string; version: string; status: string }>;
    };
    const rolledBack = list.items.find((r) => r.version === '1.1.0');
    expect(rolledBack?.status).toBe('rolled_back');
    // Every device still serves v1.0.0: the broken version never served a request anywhere.
    await expect.poll(() => serving('1.0.0'), { timeout: 60_000, intervals: [1000] }).toBe(DEVICES);
    expect(serving('1.1.0')).toBe(0);

    // The dashboard shows the rolled-back rollout with the gate that tripped, and its devices.
    await page.goto(`/rollouts/${rolledBack?.id}`);
    await expect(page.getByTestId('rollout-status')).toContainText(/rolled back/i);
    await expect(page.getByText(/failure/i).first()).toBeVisible();
    await page.goto('/rollouts');
    await expect(page.getByRole('link', { name: new RegExp(`${model}@1.0.0`) }).first()).toBeVisible();
  } finally {
    if (sim && sim.exitCode === null) {
      sim.kill('SIGTERM');
      await new Promise((r) => sim?.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
