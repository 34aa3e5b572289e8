import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { DATABASE_URL_FILE } from './db-url.ts';
import { ADMIN_EMAIL, signInAsAdmin } from './fixtures';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });

let replica: ChildProcess | undefined;
let output = '';
let replicaUrl = '';

// A second dashboard replica (`npm run start:web`) beside the one `npm start` runs: same
// database, same secret, nothing else shared. Sessions must work on either.
test.beforeAll(async () => {
  const dataDir = process.env.EDGEFLEET_E2E_DATA_DIR ?? '';
  const port = await freePort();
  replicaUrl = `http://127.0.0.1:${port}`;
  replica = spawn(process.execPath, ['--import', 'tsx', 'apps/web/server.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      EDGEFLEET_BIND: '127.0.0.1',
      EDGEFLEET_DATA_DIR: dataDir,
      DATABASE_URL: readFileSync(join(dataDir, DATABASE_URL_FILE), 'utf8').trim(),
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  replica.stdout?.on('data', (d) => {
    output += d;
  });
  replica.stderr?.on('data', (d) => {
    output += d;
  });
  for (let i = 0; i < 120; i++) {
    if (replica.exitCode !== null) throw new Error(`the second web replica exited:\n${output}`);
    const up = await fetch(`${replicaUrl}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the second web replica did not answer /api/health within 60 s:\n${output}`);
});

test.afterAll(async () => {
  if (replica && replica.exitCode === null) {
    const exited = new Promise((r) => replica?.once('exit', r));
    replica.kill('SIGTERM');
    await exited;
  }
});

test('a session made on one web replica works on the other, and signing out ends it on both', async ({ page }) => {
  await signInAsAdmin(page);
  // Same host, other port: the browser sends the same session cookie to the second replica.
  await page.goto(`${replicaUrl}/devices`);
  await expect(page).toHaveURL(`${replicaUrl}/devices`);
  await expect(page.getByTestId('user-email')).toHaveText(ADMIN_EMAIL);
  const whoami = await page.request.get(`${replicaUrl}/api/trpc/system.whoami`);
  expect(whoami.status()).toBe(200);

  // Signing out on the first replica revokes the session in the shared database: the cookie,
  // replayed to the second replica, is refused there too.
  const cookies = await page.context().cookies();
  await page.goto('/devices');
  await page.getByRole('button', { name: /sign out/i }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.context().addCookies(cookies);
  const after = await page.request.get(`${replicaUrl}/api/trpc/system.whoami`);
  expect(after.status()).toBe(401);
  await page.goto(`${replicaUrl}/devices`);
  await expect(page).toHaveURL(/\/sign-in/);
});
