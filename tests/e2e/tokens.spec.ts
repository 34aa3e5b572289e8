import { expect, test } from '@playwright/test';
import { signInAsAdmin, unique } from './fixtures';

test('admin creates an API token, sees the secret once, revokes it and signs out', async ({ page }) => {
  await signInAsAdmin(page);
  const name = unique('ci-token');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'API tokens' }).click();
  await expect(page).toHaveURL(/\/settings\/tokens$/);

  const form = page.getByTestId('create-token-form');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('models:publish').check();
  await form.getByLabel('models:read').check();
  await form.getByLabel('Expires').selectOption('30');
  await form.getByRole('button', { name: 'Create token' }).click();

  // The secret is shown once, with a warning.
  const secretBox = page.getByTestId('token-secret-box');
  await expect(secretBox).toBeVisible();
  await expect(secretBox).toContainText('won’t be shown again');
  const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
  expect(secret).toMatch(/^eft_[\w-]{20,}$/);

  const row = page.locator(`[data-testid="token-row"][data-token-name="${name}"]`);
  await expect(row).toBeVisible();
  await expect(row).toContainText(secret.slice(0, 10));
  await expect(row).toContainText('models:publish');
  await expect(row).toContainText('never'); // last used
  await expect(row.getByTestId('token-status')).toHaveText('active');

  // Dismissed, the secret is gone for good: not in the page, not after a reload.
  await page.getByRole('button', { name: 'I’ve copied it' }).click();
  await expect(page.getByTestId('token-secret')).toHaveCount(0);
  await page.reload();
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('button', { name: 'Confirm revoke' }).click();
  await expect(row.getByTestId('token-status')).toHaveText('revoked');
  await expect(row.getByRole('button', { name: /Revoke/ })).toHaveCount(0);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  // Signed out for real: the dashboard sends us back.
  await page.goto('/settings/tokens');
  await expect(page).toHaveURL(/\/sign-in/);
});
