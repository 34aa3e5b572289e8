import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '@edgefleet/config/env';
import { type Api, createApi } from '../../packages/cli/src/client.ts';
import { timed } from './lib.ts';

const root = findRepoRoot();
const CLI = join(root, 'packages/cli/bin/edgefleet.js');
export const BENCH_ADMIN = { email: 'bench@edgefleet.test', password: 'bench-password-123' };

export interface ControlPlane {
  url: string;
  devicePort: number;
  /** The CLI's config dir (where `login` stores its token). */
  configDir: string;
  /** The fleet CA fingerprint the launcher printed (what devices pin). */
  fingerprint: string;
  launcher: ChildProcess;
  /** Runs the real CLI against this control plane; throws with its stderr on a non-zero exit. */
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; seconds: number }>;
  stop(): Promise<void>;
}

/**
 * The control plane as `npm start` runs it (scripts/start.ts: embedded database unless
 * DATABASE_URL is given, web and gateway as child processes), on its own ports and data dir.
 */
export async function startControlPlane(opts: {
  dataDir: string;
  /** Dashboard port; the device port is +5100, MQTT +5500 (e.g. 3396 → 8496, 8896). */
  port: number;
  env?: NodeJS.ProcessEnv;
}): Promise<ControlPlane> {
  const devicePort = opts.port + 5100;
  const launcher = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      EDGEFLEET_DATA_DIR: opts.dataDir,
      PORT: String(opts.port),
      EDGEFLEET_DEVICE_PORT: String(devicePort),
      EDGEFLEET_MQTT_PORT: String(opts.port + 5500),
      EDGEFLEET_METRICS_PORT: '0',
      EDGEFLEET_ADMIN_EMAIL: BENCH_ADMIN.email,
      EDGEFLEET_ADMIN_PASSWORD: BENCH_ADMIN.password,
      EDGEFLEET_LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  launcher.stdout?.on('data', (d) => {
    out = (out + d).slice(-200_000);
  });
  launcher.stderr?.on('data', (d) => {
    out = (out + d).slice(-200_000);
  });
  for (let i = 0; i < 1500 && !out.includes('ready — press Ctrl-C'); i++) {
    if (launcher.exitCode !== null) throw new Error(`control plane exited:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const fingerprint = /fleet CA:\s+sha256 ([0-9a-f]{64})/.exec(out)?.[1];
  const stop = async () => {
    if (launcher.exitCode !== null || launcher.signalCode !== null) return;
    const exited = new Promise((r) => launcher.once('exit', r));
    launcher.kill('SIGTERM');
    await exited;
  };
  if (!out.includes('ready') || !fingerprint) {
    await stop();
    throw new Error(`control plane did not start:\n${out}`);
  }
  const url = `http://127.0.0.1:${opts.port}`;
  const configDir = join(opts.dataDir, '..', 'cli');
  const env = { ...process.env, EDGEFLEET_URL: url, EDGEFLEET_CONFIG_DIR: configDir };
  return {
    url,
    devicePort,
    configDir,
    fingerprint,
    launcher,
    async cli(args, extra = {}) {
      const r = await timed(process.execPath, [CLI, ...args], { ...env, ...extra });
      if (r.code !== 0) throw new Error(`edgefleet ${args.join(' ')} failed: ${r.stderr}`);
      return r;
    },
    stop,
  };
}

/** Signs the bench admin in with the real CLI and returns a tRPC client on the API token it stored. */
export async function signIn(cp: ControlPlane): Promise<{ api: Api; token: string }> {
  await cp.cli(['login', '--email', BENCH_ADMIN.email, '--password', BENCH_ADMIN.password]);
  const { token } = JSON.parse(readFileSync(join(cp.configDir, 'config.json'), 'utf8')) as { token: string };
  return { api: createApi(cp.url, { token }), token };
}
