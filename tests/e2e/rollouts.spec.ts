import { expect, type Page, test } from '@playwright/test';
import { closeE2eDb, e2eDb, reportInstall, seedAcceptedDevices, seedModelVersion } from './db';
import { createUserViaApi, signIn, signInAsAdmin, unique } from './fixtures';

test.afterAll(closeE2eDb);

/** Model, version and the tag selector in the wizard; returns once the live count shows `matched`. */
async function fillWizard(page: Page, o: { model: string; version: string; tag: string; matched: number }) {
  await page.getByLabel('Model', { exact: true }).selectOption(o.model);
  await expect(page.locator(`[data-testid="version-choice"][data-version="${o.version}"] input`)).toBeChecked();
  await page.getByRole('radio', { name: /^Tags/ }).check();
  await page.getByLabel('Tag 1 key').fill('wave');
  await page.getByLabel('Tag 1 value').fill(o.tag);
  await expect(page.getByTestId('preview-matched')).toHaveText(String(o.matched));
}

test('an operator rolls a version out through the wizard, then pauses, resumes and aborts it', async ({
  page,
  browser,
}) => {
  const model = unique('det').toLowerCase();
  const tag = unique('w');
  await seedModelVersion(model, '1.0.0');
  await seedModelVersion(model, '1.1.0');
  const devices = await seedAcceptedDevices(3, unique('edge'), { wave: tag });

  await signInAsAdmin(page);
  await page.getByRole('link', { name: 'Rollouts' }).first().click();
  await page.getByRole('link', { name: 'New rollout' }).first().click();
  await expect(page).toHaveURL(/\/rollouts\/new$/);

  // The newest version is chosen; the live count follows the selector as it is typed.
  await fillWizard(page, { model, version: '1.1.0', tag, matched: 3 });
  await expect(page.getByTestId('preview-eligible')).toHaveText('3');
  await expect(page.getByTestId('preview-busy')).toHaveText('0');
  await expect(page.getByTestId('review-version')).toHaveText(`${model}@1.1.0`);
  await page.getByRole('button', { name: 'Start rollout' }).click();

  await expect(page).toHaveURL(/\/rollouts\/ro_[0-9a-z]+$/);
  const rolloutUrl = page.url();
  await expect(page.getByTestId('rollout-title')).toHaveText(`${model}@1.1.0`);
  await expect(page.getByTestId('rollout-status')).toHaveText('running');
  await expect(page.getByTestId('phase-row')).toHaveCount(3);
  const rows = page.getByTestId('rollout-device-row');
  await expect(rows).toHaveCount(3);
  for (const d of devices) await expect(page.getByRole('link', { name: d.name })).toBeVisible();
  await expect(page.locator('[data-testid="rollout-event"][data-kind="created"]')).toBeVisible();

  // The same devices cannot be in two rollouts of one model: the wizard says so before and after.
  await page.goto(`/rollouts/new?model=${model}&version=1.0.0`);
  await fillWizard(page, { model, version: '1.0.0', tag, matched: 3 });
  await expect(page.getByTestId('preview-busy')).toHaveText('3');
  await expect(page.getByTestId('preview-busy-note')).toBeVisible();
  await page.getByRole('button', { name: 'Start rollout' }).click();
  await expect(page.getByTestId('create-rollout-error')).toContainText(/ro_/);
  await expect(page).toHaveURL(/\/rollouts\/new/);

  await page.goto(rolloutUrl);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('rollout-status')).toHaveText('paused');
  await expect(page.locator('[data-testid="rollout-event"][data-kind="paused"]')).toBeVisible();
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('rollout-status')).toHaveText('running');

  // A viewer sees the rollout live but no buttons.
  const email = `${unique('viewer')}@e2e.test`;
  await createUserViaApi(page, email, 'viewer-password-123', 'viewer');
  const ctx = await browser.newContext();
  const viewer = await ctx.newPage();
  await signIn(viewer, email, 'viewer-password-123');
  await viewer.goto(rolloutUrl);
  await expect(viewer.getByTestId('rollout-status')).toHaveText('running');
  await expect(viewer.getByTestId('rollout-device-row')).toHaveCount(3);
  await expect(viewer.getByTestId('rollout-actions')).toHaveCount(0);
  await ctx.close();

  // The phase-1 device reports a failed install; the engine trips the failure gate and pauses
  // the rollout, and the page (polling) shows why.
  const rolloutId = rolloutUrl.split('/').at(-1) ?? '';
  const first = await e2eDb().rolloutDevice.findFirstOrThrow({ where: { rolloutId, phase: 0 } });
  await reportInstall(first.deviceId, { model, version: '1.1.0', step: 'failed', reason: 'smoke test failed: NaN' });
  await expect(page.getByTestId('rollout-status')).toHaveText('paused');
  await expect(page.getByTestId('rollout-status-reason')).toContainText('maxFailurePercent');
  const failed = page.locator(`[data-testid="rollout-device-row"][data-device-id="${first.deviceId}"]`);
  await expect(failed.getByTestId('device-state')).toHaveText('failed');
  await expect(failed.getByTestId('device-reason')).toHaveText('smoke test failed: NaN');
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('rollout-status')).toHaveText('running');
  await expect(page.getByTestId('rollout-status-reason')).toHaveCount(0);

  await page.getByRole('button', { name: 'Abort' }).click();
  await page.getByRole('button', { name: 'Confirm abort' }).click();
  await expect(page.getByTestId('rollout-status')).toHaveText('aborted');
  await expect(page.getByRole('button', { name: 'Pause' })).toHaveCount(0);

  // The device page shows what the device reported for the model.
  await failed.getByRole('link').first().click();
  await expect(page).toHaveURL(new RegExp(`/devices/${first.deviceId}$`));
  const modelRow = page.locator(`[data-testid="device-model-row"][data-model="${model}"]`);
  await expect(modelRow.getByTestId('install-step')).toHaveText('failed');
  await expect(modelRow).toContainText('smoke test failed: NaN');

  // The list shows it, and the status chips filter it.
  await page.goto('/rollouts?status=aborted');
  const row = page.locator(`[data-testid="rollout-row"][data-rollout-id="${rolloutId}"]`);
  await expect(row.getByTestId('rollout-status')).toHaveText('aborted');
  await expect(row).toContainText(`${model}@1.1.0`);
});
