import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, BASE_URL, GATEWAY_METRICS_PORT, PORT } from './fixtures';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// A fresh control plane per run. Workers re-evaluate this file; the env var makes them reuse
// the directory the main process created instead of making new ones.
process.env.EDGEFLEET_E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'edgefleet-e2e-'));
const dataDir = process.env.EDGEFLEET_E2E_DATA_DIR;

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? 'line' : [['list']],
  outputDir: join(tmpdir(), 'edgefleet-e2e-results'),
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  // EDGEFLEET_E2E_EXTERNAL=1 runs against a control plane you started yourself on PORT (debugging only).
  webServer:
    process.env.EDGEFLEET_E2E_EXTERNAL === '1'
      ? undefined
      : {
          // `npm start` behind a wrapper that owns the embedded database, so tests can seed it (db.ts).
          command: 'node --import tsx tests/e2e/serve.ts',
          cwd: repoRoot,
          url: `${BASE_URL}/api/health`,
          timeout: 240_000,
          reuseExistingServer: false,
          stdout: 'ignore', // the launcher's errors go to stderr
          stderr: 'pipe',
          env: {
            EDGEFLEET_DATA_DIR: dataDir,
            PORT: String(PORT),
            EDGEFLEET_DEVICE_PORT: '8453',
            EDGEFLEET_MQTT_PORT: '8893',
            EDGEFLEET_METRICS_PORT: String(GATEWAY_METRICS_PORT),
            EDGEFLEET_ADMIN_EMAIL: ADMIN_EMAIL,
            EDGEFLEET_ADMIN_PASSWORD: ADMIN_PASSWORD,
          },
        },
});
