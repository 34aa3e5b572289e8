import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeBundle } from '@edgefleet/core/health/diagnostics';
import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import { expect, test } from '@playwright/test';
import { e2eDb, seedAcceptedDevices } from './db';
import { BASE_URL, signInAsAdmin, unique } from './fixtures';

test('an operator requests diagnostics, sees the bundle when the device answers, and downloads it', async ({
  page,
}) => {
  const [device] = await seedAcceptedDevices(1, unique('diag'), {});
  if (!device) throw new Error('no device seeded');
  await signInAsAdmin(page);
  await page.goto(`/devices/${device.id}`);
  // Shown once the card's own query answered: the page is hydrated and the button live.
  await expect(page.getByText('No diagnostics requested yet.')).toBeVisible();
  await page.getByTestId('request-diagnostics').click();
  const rows = page.getByTestId('diagnostics-requests').locator('li');
  await expect(rows).toHaveCount(1);
  await expect(rows.first().getByTestId('diagnostics-status')).toHaveText('pending');

  // The device answers (as the gateway stores an agent's upload); the card polls until it shows.
  const request = await e2eDb().diagnosticsRequest.findFirstOrThrow({ where: { deviceId: device.id } });
  const logTail = Array.from({ length: 40 }, (_, i) => `2030-01-01T00:00:${String(i).padStart(2, '0')}.000Z line ${i}`);
  await storeBundle(
    { db: e2eDb() },
    {
      deviceId: device.id,
      requestId: request.id,
      bundle: {
        v: PROTOCOL_VERSION,
        collectedAt: new Date().toISOString(),
        agentVersion: '0.1.0',
        logTail: [...logTail, 'connected to mqtts://gateway:8883 as the device'],
        config: { heartbeat: 30_000, identity: { deviceId: device.id, pollSecret: '[redacted]' } },
        models: { serving: [{ model: 'detector', version: '1.2.0', backend: 'onnxruntime-node' }] },
        recentErrors: [{ ts: new Date().toISOString(), message: 'model install failed: hash mismatch' }],
        system: { os: 'linux', arch: 'arm64', backends: ['onnxruntime-node'] },
        telemetryQueue: { depth: 3, dropped: 0 },
      },
    },
  );
  await expect(rows.first().getByTestId('diagnostics-status')).toHaveText('uploaded', { timeout: 10_000 });
  const viewer = page.getByTestId('diagnostics-viewer');
  await expect(viewer.getByTestId('diagnostics-log')).toContainText('connected to mqtts://gateway:8883');
  await viewer.getByRole('tab', { name: 'Errors (1)' }).click();
  await expect(viewer).toContainText('model install failed: hash mismatch');
  await viewer.getByRole('tab', { name: 'Log tail' }).click();
  await page.getByTestId('diagnostics-viewer').evaluate((el) => el.closest('.rounded-lg')?.scrollIntoView());
  await page
    .locator('div.rounded-lg', { has: page.getByTestId('request-diagnostics') })
    .screenshot({ path: join(tmpdir(), 'edgefleet-diagnostics-card.png') });

  const download = await page.request.get(`/api/diagnostics/${request.id}`);
  expect(download.status()).toBe(200);
  expect(download.headers()['content-disposition']).toContain(`diagnostics-${device.id}`);
  const body = await download.json();
  expect(body.bundle.logTail).toHaveLength(41);
  // The same check as the dashboard's query: no session, no bundle.
  const anonymous = await fetch(`${BASE_URL}/api/diagnostics/${request.id}`);
  expect(anonymous.status).toBe(401);
});
