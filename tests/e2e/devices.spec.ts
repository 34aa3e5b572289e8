import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { createUserViaApi, signIn, signInAsAdmin, trpcMutation, unique } from './fixtures';

const AGENT = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/agent/bin/edgefleet-agent.js');

/** The real agent, enrolling against the e2e control plane's gateway; its output is collected for assertions. */
function startAgent(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [AGENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
  return {
    output: () => output,
    exited,
    kill: () => child.exitCode === null && child.kill('SIGTERM'),
    async waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = output.match(re);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`agent never printed ${re} (exit ${child.exitCode}):\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

test('operator creates an enrollment token, a device enrolls and waits, the operator approves it', async ({ page }) => {
  await signInAsAdmin(page);
  const group = unique('e2e-lab');
  const serial = unique('SN').toUpperCase();

  await page.getByRole('link', { name: 'Enroll devices' }).first().click();
  await expect(page).toHaveURL(/\/devices\/enroll$/);
  const form = page.getByTestId('create-enroll-token-form');
  await form.getByLabel('Group').fill(group);
  await form.getByLabel(/^Tags/).fill('site=e2e, rack=7');
  await form.getByLabel(/^Uses/).fill('2');
  await form.getByLabel('Expires after').selectOption('24');
  await form.getByRole('button', { name: 'Create enrollment token' }).click();

  // Shown once, with the command to run on the device (real port, pinned CA fingerprint).
  const token = (await page.getByTestId('enroll-token-secret').textContent()) ?? '';
  expect(token).toMatch(/^efe_[\w-]{40,}$/);
  const command = (await page.getByTestId('agent-command').textContent()) ?? '';
  expect(command).toContain(`--token ${token}`);
  expect(command).toContain('--server https://127.0.0.1:8453');
  const fingerprint = command.match(/--ca-fingerprint ([0-9a-f]{64})/)?.[1] ?? '';
  expect(fingerprint).toHaveLength(64);
  const row = page.locator(`[data-testid="enroll-token-row"][data-token-name="enroll into ${group}"]`);
  await expect(row.getByTestId('enroll-token-uses')).toHaveText('0 / 2');
  await expect(row.getByTestId('enroll-token-status')).toHaveText('active');

  // Settings shows the same fingerprint.
  await page.goto('/settings');
  await expect(page.getByTestId('info-ca-fingerprint')).toHaveText(fingerprint);

  const dataDir = mkdtempSync(join(tmpdir(), 'ef-e2e-agent-'));
  const agent = startAgent([
    'enroll',
    '--server',
    'https://127.0.0.1:8453',
    '--token',
    token,
    '--ca-fingerprint',
    fingerprint,
    '--data-dir',
    dataDir,
    '--poll-interval',
    '1s',
    '--serial',
    serial,
  ]);
  try {
    const [, deviceId = ''] = await agent.waitFor(/approve device (dev_[0-9a-z]+)/);

    // Pending in the list, with inline Approve / Reject.
    await page.goto('/devices');
    await expect(page.getByTestId('status-chip-pending')).toContainText(/[1-9]/);
    await page.getByLabel('Search').fill(serial);
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(new RegExp(`q=${serial}`));
    const deviceRow = page.locator(`[data-testid="device-row"][data-device-id="${deviceId}"]`);
    await expect(deviceRow.getByTestId('device-status')).toHaveText('pending');
    await expect(deviceRow).toContainText(group);
    await expect(deviceRow).toContainText('site=e2e');
    await deviceRow.getByRole('button', { name: 'Approve' }).click();
    await expect(deviceRow.getByTestId('device-status')).toHaveText('accepted');
    await expect(deviceRow.getByRole('button', { name: 'Approve' })).toHaveCount(0);

    // The waiting agent collects its certificate.
    await agent.waitFor(new RegExp(`Enrolled as ${deviceId}`));
    expect(await agent.exited).toBe(0);
    expect(readFileSync(join(dataDir, 'cert.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');

    // Detail page: accepted, one current certificate, the facts the agent sent, the token's name.
    await deviceRow.getByRole('link').first().click();
    await expect(page).toHaveURL(new RegExp(`/devices/${deviceId}$`));
    await expect(page.getByTestId('device-status')).toHaveText('accepted');
    const certs = page.getByTestId('certificate-row');
    await expect(certs).toHaveCount(1);
    await expect(certs.getByTestId('certificate-state')).toHaveText('current');
    await expect(page.getByTestId('device-facts')).toContainText(serial);
    await expect(page.getByText(`enroll into ${group}`)).toBeVisible();

    // Back on the enroll page, the token counts the use.
    await page.goto('/devices/enroll');
    await expect(row.getByTestId('enroll-token-uses')).toHaveText('1 / 2');
  } finally {
    agent.kill();
  }
});

test('a viewer sees devices and enrollment tokens read-only', async ({ browser, page }) => {
  await signInAsAdmin(page);
  const email = `${unique('viewer')}@e2e.test`;
  await createUserViaApi(page, email, 'viewer-password-123', 'viewer');
  const created = await trpcMutation(page, 'enrollTokens.create', { group: unique('ro') });
  expect(created.status()).toBe(200);

  const ctx = await browser.newContext();
  const viewer = await ctx.newPage();
  await signIn(viewer, email, 'viewer-password-123');
  // The previous test enrolled a device (tests in a file run in order, one worker).
  await expect(viewer.getByTestId('devices-table')).toBeVisible();
  await expect(viewer.getByRole('button', { name: /Approve|Reject/ })).toHaveCount(0);

  await viewer.getByTestId('device-row').first().getByRole('link').first().click();
  await expect(viewer.getByTestId('device-facts')).toBeVisible();
  await expect(viewer.getByTestId('device-actions')).toHaveCount(0);
  await expect(viewer.getByTestId('tags-editor')).toHaveCount(0);

  await viewer.goto('/devices/enroll');
  await expect(viewer.getByTestId('read-only-note')).toBeVisible();
  await expect(viewer.getByTestId('create-enroll-token-form')).toHaveCount(0);
  await expect(viewer.getByTestId('preauthorize-form')).toHaveCount(0);
  await expect(viewer.getByTestId('enroll-token-row').first()).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Revoke' })).toHaveCount(0);

  const refused = await trpcMutation(viewer, 'enrollTokens.create', { group: 'sneaky' });
  expect(refused.status()).toBe(403);
  await ctx.close();
});

test('an auto-approved device connects over mTLS, shows online, and is cut off when revoked', async ({ page }) => {
  await signInAsAdmin(page);
  const group = unique('e2e-auto');
  await page.goto('/devices/enroll');
  const form = page.getByTestId('create-enroll-token-form');
  await form.getByLabel('Group').fill(group);
  await form.getByText('Auto-approve', { exact: true }).click();
  await form.getByRole('button', { name: 'Create enrollment token' }).click();
  const token = (await page.getByTestId('enroll-token-secret').textContent()) ?? '';
  const command = (await page.getByTestId('agent-command').textContent()) ?? '';
  const fingerprint = command.match(/--ca-fingerprint ([0-9a-f]{64})/)?.[1] ?? '';

  // Accepted at once: enroll exits 0 without waiting for anyone.
  const dataDir = mkdtempSync(join(tmpdir(), 'ef-e2e-agent-'));
  const enroll = startAgent([
    'enroll',
    '--server',
    'https://127.0.0.1:8453',
    '--token',
    token,
    '--ca-fingerprint',
    fingerprint,
    '--data-dir',
    dataDir,
    '--mqtt-port',
    '8893',
  ]);
  expect(await enroll.exited, enroll.output()).toBe(0);
  const identity = JSON.parse(readFileSync(join(dataDir, 'identity.json'), 'utf8')) as { deviceId: string };
  const deviceId = identity.deviceId;
  expect(deviceId).toMatch(/^dev_/);

  const run = startAgent(['run', '--data-dir', dataDir, '--heartbeat', '2s']);
  try {
    // Online in the dashboard once its mTLS MQTT connection is up.
    const deviceRow = page.locator(`[data-testid="device-row"][data-device-id="${deviceId}"]`);
    await expect(async () => {
      await page.goto(`/devices?q=${deviceId}`);
      await expect(deviceRow.getByTestId('device-online')).toHaveText('online', { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
    await expect(deviceRow.getByTestId('device-status')).toHaveText('accepted');

    // Revoked from the detail page: the gateway closes the live connection and refuses it after.
    await page.goto(`/devices/${deviceId}`);
    await page.getByTestId('device-actions').getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('confirm-revoke').getByRole('button', { name: 'Confirm revoke' }).click();
    await expect(page.getByTestId('device-status')).toHaveText('revoked');
    await expect(async () => {
      await page.goto(`/devices?q=${deviceId}`);
      await expect(deviceRow.getByTestId('device-online')).toHaveText('offline', { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
  } finally {
    run.kill();
    await run.exited;
  }
});
