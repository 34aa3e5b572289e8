import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start` as a user runs it: first start with no admin configured, restart with data kept,
 * a SIGKILL of the launcher, and recovery. Ports are offset from the defaults so a control
 * plane running on this machine does not interfere.
 */
const root = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'ef-start-'));
const PORT = 3350;
const base = `http://127.0.0.1:${PORT}`;
const env = {
  ...process.env,
  EDGEFLEET_DATA_DIR: dataDir,
  PORT: String(PORT),
  EDGEFLEET_DEVICE_PORT: '8490',
  EDGEFLEET_MQTT_PORT: '8890',
  EDGEFLEET_METRICS_PORT: '0', // several test servers may run at once; none needs the gateway's metrics
  EDGEFLEET_ADMIN_EMAIL: '',
  EDGEFLEET_ADMIN_PASSWORD: '',
  DATABASE_URL: '',
};

const running: ChildProcess[] = [];

function start(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('ready — press Ctrl-C')) {
        clearInterval(timer);
        resolve({ child, output: () => output });
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`npm start exited with ${child.exitCode}:\n${output}`));
      }
    }, 200);
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  // A child killed by a signal has exitCode null and signalCode set; it will not emit 'exit' again.
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

async function signIn(email: string, password: string) {
  return fetch(`${base}/api/auth/sign-in/username`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ username: email, password }),
  });
}

afterAll(async () => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(running.map(exited));
});

/** Waits until nothing answers on the dashboard port: the killed launcher's children are gone. */
async function portFreed(): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const up = await fetch(`${base}/api/health`).then(
      () => true,
      () => false,
    );
    if (!up) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the killed launcher's children still serve ${base}`);
}

describe('npm start', { timeout: 300_000 }, () => {
  let password = '';

  it('starts, reports healthy, and writes the first admin password privately', async () => {
    const { child, output } = await start();
    expect(output()).toContain(`first admin admin@localhost: password in ${join(dataDir, 'initial-admin.txt')}`);
    const health = await fetch(`${base}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'embedded' });

    const file = join(dataDir, 'initial-admin.txt');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    password = /password: (\S+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect((await signIn('admin@localhost', password)).status).toBe(200);

    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(output()).toContain('[edgefleet] stopped');
  });

  it('keeps data across restarts and survives being killed', async () => {
    const second = await start();
    expect(second.output()).not.toContain('first admin');
    expect((await signIn('admin@localhost', password)).status).toBe(200);

    // A second launcher on the same data dir is refused while this one runs.
    const clash = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env });
    let clashOut = '';
    clash.stderr.on('data', (d) => {
      clashOut += d;
    });
    expect(await exited(clash)).toBe(1);
    expect(clashOut).toMatch(/already open in process/);

    // SIGKILL: no clean shutdown, no checkpoint. The children notice and exit on their own.
    second.child.kill('SIGKILL');
    await exited(second.child);
    await portFreed();

    const third = await start();
    expect((await signIn('admin@localhost', password)).status).toBe(200);
    third.child.kill('SIGTERM');
    expect(await exited(third.child)).toBe(0);
  });
});
