/**
 * Issue #9's end-to-end story, as docs/quickstart.md tells it, with real parts only: the control
 * plane `npm start` runs, the real `edgefleet` CLI (an operator login and a scoped CI token), a
 * real ONNX model built locally (scripts/sample-model.ts), and two real `edgefleet-agent`
 * processes, each with its own identity, data dir and local KServe v2 API. v1 rolls out, v2 rolls
 * out in two phases, a broken v3 rolls itself back, an operator takes the fleet back to v1, then
 * revokes one device. The dashboard is checked at every stage.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';
import { runCli } from '../../packages/cli/src/test/run-cli.ts';
import { writeSampleModel } from '../../scripts/sample-model.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, BASE_URL, signInAsAdmin, unique } from './fixtures';

const AGENT = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/agent/bin/edgefleet-agent.js');
/** playwright.config.ts runs the gateway's device HTTPS here. */
const GATEWAY = 'https://127.0.0.1:8453';

test.describe.configure({ timeout: 240_000 });

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

interface Agent {
  name: string;
  dataDir: string;
  port: number;
  deviceId: string;
  log: () => string;
  proc?: ChildProcess;
}

/** Runs `edgefleet-agent` with the given args; its output goes into `sink` for assertion messages. */
function spawnAgent(args: string[], sink: { out: string }) {
  const child = spawn(process.execPath, [AGENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const add = (d: Buffer) => {
    sink.out = (sink.out + d).slice(-100_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exited = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
  return { child, exited };
}

interface Answer {
  status: number;
  version?: string;
  scores?: number[];
  error?: string;
}

/** One request to an agent's local KServe v2 API. */
async function infer(agent: Agent, model: string, body: unknown): Promise<Answer> {
  try {
    const res = await fetch(`http://127.0.0.1:${agent.port}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { model_version?: string; outputs?: Array<{ data: number[] }>; error?: string };
    return {
      status: res.status,
      ...(json.model_version ? { version: json.model_version } : {}),
      ...(json.outputs?.[0] ? { scores: json.outputs[0].data } : {}),
      ...(json.error ? { error: json.error } : {}),
    };
  } catch (e) {
    return { status: 0, error: String(e) };
  }
}

/** A device's own mTLS call to the gateway, with the key and certificate from its data dir. */
function deviceHttpsStatus(agent: Agent, path: string): Promise<number> {
  const file = (name: string) => readFileSync(join(agent.dataDir, name));
  return new Promise((res, rej) => {
    const req = httpsRequest(
      `${GATEWAY}${path}`,
      {
        key: file('key.pem'),
        cert: file('cert.pem'),
        ca: file('ca.pem'),
        // The chain is verified against the fleet CA; the host name is not what this checks.
        checkServerIdentity: () => undefined,
      },
      (r) => {
        r.resume();
        res(r.statusCode ?? 0);
      },
    );
    req.on('error', rej);
    req.end();
  });
}

const close = (a: number[] | undefined, b: number[]) =>
  a !== undefined && a.length === b.length && a.every((v, i) => Math.abs(v - (b[i] as number)) < 1e-4);

test('the story: publish, enroll two agents, roll out, infer, phase, self-rollback, roll back by hand, revoke', async ({
  page,
}) => {
  const dir = mkdtempSync(join(tmpdir(), 'ef-story-'));
  const base = { ...process.env, EDGEFLEET_CONFIG_DIR: join(dir, 'config'), EDGEFLEET_URL: BASE_URL };
  const operatorEnv = { ...base, EDGEFLEET_TOKEN: '' };
  let ciEnv = operatorEnv;
  const run = async (args: string[], env: NodeJS.ProcessEnv, context = '') => {
    const r = await runCli(args, { cwd: dir, env });
    expect(r.code, `edgefleet ${args.join(' ')}\n${r.stdout}\n${r.stderr}${context}`).toBe(0);
    return r.stdout;
  };
  const operator = (args: string[]) => run(args, operatorEnv);
  const agents: Agent[] = [];
  const agentLogs = () => agents.map((a) => `--- ${a.name} (${a.deviceId}) log:\n${a.log().slice(-4000)}`).join('\n');
  const ci = (args: string[]) => run(args, ciEnv, `\n${agentLogs()}`);

  const model = unique('story').replace(/[^a-z0-9-]/g, '-');
  const group = unique('story-lab');
  const v1 = await writeSampleModel(join(dir, 'v1.onnx'), { seed: 1 });
  const v2 = await writeSampleModel(join(dir, 'v2.onnx'), { seed: 2 });
  const v3 = await writeSampleModel(join(dir, 'v3.onnx'), { seed: 3, wrongExpected: true });
  const request = JSON.parse(readFileSync(v1.infer, 'utf8')) as unknown;

  /** Both agents answer with `version` and its scores; polled, since installs are asynchronous. */
  const bothServe = async (version: string, scores: number[], timeout = 60_000) => {
    for (const a of agents) {
      await expect
        .poll(
          async () => {
            const r = await infer(a, model, request);
            return r.version === version && close(r.scores, scores) ? 'ok' : JSON.stringify(r);
          },
          { timeout, intervals: [500], message: `${a.name} serves ${model}@${version}\n${agentLogs()}` },
        )
        .toBe('ok');
    }
  };
  const servingOnDevicePage = async (p: Page, a: Agent, version: string) => {
    await expect(async () => {
      await p.goto(`/devices/${a.deviceId}`);
      const row = p.locator(`[data-testid="device-model-row"][data-model="${model}"]`);
      await expect(row.getByTestId('serving-version')).toContainText(version, { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
  };
  const rolloutPage = async (id: string, status: RegExp) => {
    await page.goto(`/rollouts/${id}`);
    await expect(page.getByTestId('rollout-title')).toHaveText(new RegExp(`${model}@`));
    await expect(page.getByTestId('rollout-status')).toHaveText(status);
  };
  const rolloutCreate = async (version: string, extra: string[]) => {
    const out = await ci([
      'rollouts',
      'create',
      '--model',
      model,
      '--version',
      version,
      '--group',
      group,
      '--health-check',
      '1s',
      ...extra,
      '--wait',
      '--wait-timeout',
      '90s',
      '--json',
    ]);
    return JSON.parse(out) as { id: string; status: string };
  };

  try {
    // 1. An operator signs in to the dashboard and the CLI.
    await signInAsAdmin(page);
    await operator(['login', '--email', ADMIN_EMAIL, '--password', ADMIN_PASSWORD]);

    // 2. A publisher key (the private half stays here) and a CI token that can publish and roll out, nothing else.
    await operator(['keys', 'generate', '--out', join(dir, 'publisher.key')]);
    await operator(['keys', 'add', '--public', join(dir, 'publisher.key.pub'), '--name', unique('story-ci')]);
    const ciToken = JSON.parse(
      await operator([
        'tokens',
        'create',
        '--name',
        unique('story-ci'),
        '--scope',
        'models:publish',
        '--scope',
        'rollouts:write',
        // `rollouts create --wait` follows the rollout it started: that is a read.
        '--scope',
        'rollouts:read',
        '--json',
      ]),
    ) as { token: string; scopes: string[] };
    expect(ciToken.token).toMatch(/^eft_/);
    ciEnv = { ...base, EDGEFLEET_TOKEN: ciToken.token };
    // The CI token is scoped: it cannot manage devices.
    const refused = await runCli(['devices', 'list'], { cwd: dir, env: ciEnv });
    expect(refused.code, refused.stdout).not.toBe(0);

    // 3. CI publishes v1 with its token.
    const publish = (files: typeof v1, version: string) =>
      ci([
        'models',
        'publish',
        files.model,
        '--model',
        model,
        '--version',
        version,
        '--key',
        join(dir, 'publisher.key'),
        '--sample-input',
        files.input,
        '--expected-output',
        files.expected,
      ]);
    await publish(v1, '1.0.0');

    // 4. An enrollment token; two real agents enroll with it and run, each with its own API port.
    const enrollToken = JSON.parse(
      await operator(['enroll-tokens', 'create', '--group', group, '--auto-approve', '--uses', '2', '--json']),
    ) as { token: string };
    const info = await page.request.get('/api/trpc/system.info');
    const fingerprint = ((await info.json()) as { result: { data: { json: { caFingerprint: string } } } }).result.data
      .json.caFingerprint;
    for (const name of ['agent-a', 'agent-b']) {
      const sink = { out: '' };
      const agent: Agent = {
        name,
        dataDir: join(dir, name),
        port: await freePort(),
        deviceId: '',
        log: () => sink.out,
      };
      agents.push(agent);
      const enroll = spawnAgent(
        [
          'enroll',
          '--server',
          GATEWAY,
          '--token',
          enrollToken.token,
          '--ca-fingerprint',
          fingerprint,
          '--data-dir',
          agent.dataDir,
        ],
        sink,
      );
      expect(await enroll.exited, `${name} enroll\n${sink.out}`).toBe(0);
      agent.deviceId = (
        JSON.parse(readFileSync(join(agent.dataDir, 'identity.json'), 'utf8')) as { deviceId: string }
      ).deviceId;
      agent.proc = spawnAgent(
        ['run', '--data-dir', agent.dataDir, '--inference-port', String(agent.port), '--heartbeat', '2s'],
        sink,
      ).child;
    }

    // Both online in the device list of their group (their mTLS MQTT connections are up).
    await expect(async () => {
      await page.goto(`/devices?group=${group}`);
      for (const a of agents) {
        const row = page.locator(`[data-testid="device-row"][data-device-id="${a.deviceId}"]`);
        await expect(row.getByTestId('device-online'), agentLogs()).toHaveText('online', { timeout: 1000 });
        await expect(row.getByTestId('device-status')).toHaveText('accepted', { timeout: 1000 });
      }
    }).toPass({ timeout: 60_000 });

    // 5. CI rolls v1 out; both agents answer with v1's scores through their local APIs.
    const r1 = await rolloutCreate('1.0.0', ['--phases', '100']);
    expect(r1.status).toBe('completed');
    await bothServe('1.0.0', v1.scores);
    await rolloutPage(r1.id, /completed/);
    for (const a of agents) await servingOnDevicePage(page, a, '1.0.0');

    // Health: the group's tile counts both devices, none offline; both serve v1.
    await expect(async () => {
      await page.goto('/health');
      const tile = page.locator(`[data-testid="group-tile"][data-group="${group}"]`);
      await expect(tile).toHaveAttribute('data-devices', '2', { timeout: 1000 });
      await expect(tile).toHaveAttribute('data-offline', '0', { timeout: 1000 });
      const inService = page.locator(
        `[data-testid="model-version-in-service"][data-model="${model}"][data-version="1.0.0"]`,
      );
      await expect(inService).toHaveAttribute('data-devices', '2', { timeout: 1000 });
    }).toPass({ timeout: 30_000 });

    // 6. v2 (retrained: other weights) in two phases, half the group first, a short soak between.
    await publish(v2, '2.0.0');
    const r2 = await rolloutCreate('2.0.0', ['--phases', '50,100', '--soak', '2s']);
    expect(r2.status).toBe('completed');
    await bothServe('2.0.0', v2.scores);
    await rolloutPage(r2.id, /completed/);
    await expect(page.getByTestId('phase-row')).toHaveCount(2);
    await expect(page.getByTestId('rollout-device-row')).toHaveCount(2);

    // 7. A broken v3: its smoke test expects the wrong scores. The first phase's device refuses it
    //    before switching, the failure gate trips and the engine rolls the rollout back by itself.
    await publish(v3, '3.0.0');
    const broken = await runCli(
      [
        'rollouts',
        'create',
        '--model',
        model,
        '--version',
        '3.0.0',
        '--group',
        group,
        '--phases',
        '50,100',
        '--soak',
        '2s',
        '--retries',
        '0',
        '--on-failure',
        'rollback',
        '--wait',
        '--wait-timeout',
        '90s',
      ],
      { cwd: dir, env: ciEnv },
    );
    expect(broken.code, `${broken.stdout}\n${broken.stderr}\n${agentLogs()}`).not.toBe(0);
    expect(broken.stdout + broken.stderr).toMatch(/rolled.back/i);
    const list = JSON.parse(await ci(['rollouts', 'list', '--model', model, '--json'])) as {
      items: Array<{ id: string; version: string; status: string }>;
    };
    const r3 = list.items.find((r) => r.version === '3.0.0');
    expect(r3?.status).toBe('rolled_back');
    // Nobody ever served v3: both still answer with v2.
    await bothServe('2.0.0', v2.scores, 10_000);
    await rolloutPage(r3?.id ?? '', /rolled back/i);
    await expect(page.getByTestId('rollout-status-reason')).toContainText(/fail/i);
    const refusedBy = page.getByTestId('rollout-device-row').filter({ hasText: /smoke test/i });
    await expect(refusedBy).toHaveCount(1);
    // Alerts: the built-in "rollout gate tripped" rule fires for it (evaluated every 15 s).
    await expect(async () => {
      await page.goto('/alerts');
      const alert = page.locator('[data-testid="alert-row"]', { hasText: `${model}@3.0.0` });
      await expect(alert.getByTestId('alert-state-badge')).toHaveText('firing', { timeout: 1000 });
      await expect(alert.getByTestId('alert-summary')).toContainText(/rolled.back/, { timeout: 1000 });
    }).toPass({ timeout: 40_000 });

    // 8. The operator takes the group back to v1 by hand: a rollout of the lower version, which
    //    the control plane signs with rollback allowed. v1 is still in each agent's other slot.
    const back = await rolloutCreate('1.0.0', ['--phases', '100']);
    expect(back.status).toBe('completed');
    await bothServe('1.0.0', v1.scores);
    for (const a of agents) await servingOnDevicePage(page, a, '1.0.0');
    await expect(async () => {
      await page.goto('/health');
      const inService = page.locator(
        `[data-testid="model-version-in-service"][data-model="${model}"][data-version="1.0.0"]`,
      );
      await expect(inService).toHaveAttribute('data-devices', '2', { timeout: 1000 });
    }).toPass({ timeout: 30_000 });

    // 9. Revoke agent B: the gateway cuts its connection and refuses it after; agent A is untouched.
    const [a, b] = agents as [Agent, Agent];
    const cutAt = b.log().length;
    await operator(['devices', 'revoke', b.deviceId]);
    await page.goto(`/devices/${b.deviceId}`);
    await expect(page.getByTestId('device-status')).toHaveText('revoked');
    await expect(async () => {
      await page.goto(`/devices?group=${group}&status=revoked`);
      const row = page.locator(`[data-testid="device-row"][data-device-id="${b.deviceId}"]`);
      await expect(row.getByTestId('device-online'), agentLogs()).toHaveText('offline', { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
    // Its agent was disconnected and every reconnect is refused (the gateway answers its MQTT
    // CONNECT with "not authorized"), and its certificate no longer opens the device HTTPS API.
    await expect
      .poll(
        () =>
          b
            .log()
            .slice(cutAt)
            .match(/cannot connect to mqtts:/g)?.length ?? 0,
        {
          timeout: 30_000,
          message: `agent-b's reconnects are refused\n${agentLogs()}`,
        },
      )
      .toBeGreaterThanOrEqual(2);
    expect(b.log().slice(cutAt), agentLogs()).toMatch(/disconnected: /);
    expect(await deviceHttpsStatus(b, '/v1/diagnostics/pending')).toBe(403);
    expect(await deviceHttpsStatus(a, '/v1/diagnostics/pending')).toBe(200);
    // A revoked box keeps serving what it has (agents work offline); it only gets no more updates.
    expect((await infer(b, model, request)).version).toBe('1.0.0');
    await page.goto(`/devices?group=${group}`);
    const rowA = page.locator(`[data-testid="device-row"][data-device-id="${a.deviceId}"]`);
    await expect(rowA.getByTestId('device-online')).toHaveText('online');
    // Health counts only accepted devices: the group is down to one, online.
    await expect(async () => {
      await page.goto('/health');
      const tile = page.locator(`[data-testid="group-tile"][data-group="${group}"]`);
      await expect(tile).toHaveAttribute('data-devices', '1', { timeout: 1000 });
      await expect(tile).toHaveAttribute('data-offline', '0', { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
  } finally {
    for (const a of agents) {
      const p = a.proc;
      if (p && p.exitCode === null) {
        p.kill('SIGTERM');
        await new Promise((r) => p.once('close', r));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
