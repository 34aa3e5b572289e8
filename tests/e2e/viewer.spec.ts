import { expect, test } from '@playwright/test';
import { signIn, signInAsAdmin, trpcMutation, unique } from './fixtures';

test('admin adds a viewer; the viewer is read-only in the UI and refused by the API', async ({ browser, page }) => {
  const email = `${unique('viewer')}@e2e.test`;
  const password = 'viewer-password-123';

  await signInAsAdmin(page);
  await page.goto('/settings/users');
  const form = page.getByTestId('add-user-form');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel(/^Name/).fill('Vera Viewer');
  await form.getByLabel('Password').fill(password);
  await form.getByLabel('Role').selectOption('viewer');
  await form.getByRole('button', { name: 'Add user' }).click();
  const row = page.locator(`[data-testid="user-row"][data-user-email="${email}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByRole('combobox')).toHaveValue('viewer');

  // The viewer, in a separate browser context (own cookies).
  const ctx = await browser.newContext();
  const viewer = await ctx.newPage();
  await signIn(viewer, email, password);
  await expect(viewer.getByTestId('role-badge')).toHaveText('viewer');

  await viewer.goto('/settings/tokens');
  await expect(viewer.getByTestId('read-only-note')).toContainText('read-only');
  await expect(viewer.getByTestId('create-token-form')).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: 'Create token' })).toHaveCount(0);

  // Hiding the form is cosmetic; the procedure is what refuses.
  const res = await trpcMutation(viewer, 'tokens.create', { name: unique('sneaky'), scopes: ['devices:read'] });
  expect(res.status()).toBe(403);

  await viewer.goto('/settings/audit');
  await expect(viewer.getByTestId('not-allowed')).toContainText('Only admins can read the audit log');
  await expect(viewer.getByTestId('audit-table')).toHaveCount(0);
  const audit = await viewer.request.get('/api/trpc/audit.list');
  expect(audit.status()).toBe(403);

  await viewer.goto('/settings/users');
  await expect(viewer.getByTestId('not-allowed')).toContainText('Only admins can manage users');
  await ctx.close();
});
