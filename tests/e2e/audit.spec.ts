import { expect, test } from '@playwright/test';
import { createUserViaApi, signIn, signInAsAdmin, trpcMutation, unique } from './fixtures';

test('the audit log shows a token creation and a refused viewer mutation', async ({ browser, page }) => {
  const tokenName = unique('audited-token');
  const viewerEmail = `${unique('audit-viewer')}@e2e.test`;
  const viewerPassword = 'viewer-password-456';

  await signInAsAdmin(page);
  await page.goto('/settings/tokens');
  const form = page.getByTestId('create-token-form');
  await form.getByLabel('Name').fill(tokenName);
  await form.getByLabel('devices:read').check();
  await form.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByTestId('token-secret')).toBeVisible();
  await createUserViaApi(page, viewerEmail, viewerPassword, 'viewer');

  const ctx = await browser.newContext();
  const viewer = await ctx.newPage();
  await signIn(viewer, viewerEmail, viewerPassword);
  const refused = await trpcMutation(viewer, 'tokens.create', { name: unique('x'), scopes: ['devices:read'] });
  expect(refused.status()).toBe(403);
  await ctx.close();

  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page).toHaveURL(/\/settings\/audit$/);
  const table = page.getByTestId('audit-table');
  await expect(table).toBeVisible();

  // Newest first: the refused viewer call, then the admin's token creation.
  const refusedRow = page.locator('[data-testid="audit-row"][data-action="tokens.create"]', { hasText: viewerEmail });
  await expect(refusedRow).toHaveCount(1);
  await expect(refusedRow.getByTestId('audit-outcome')).toHaveText('failure');
  await expect(refusedRow).toContainText('Missing scope tokens:write');

  const createdRow = page
    .locator('[data-testid="audit-row"][data-action="tokens.create"][data-outcome="success"]')
    .filter({ hasText: 'admin@e2e.test' });
  await expect(createdRow.first()).toBeVisible();
  await expect(createdRow.first().getByTestId('audit-outcome')).toHaveText('success');

  // Filtering by actor narrows the list to the viewer's events.
  await page.getByLabel('Actor contains').fill(viewerEmail);
  await page.getByRole('button', { name: 'Filter' }).click();
  const rows = page.getByTestId('audit-row');
  await expect(rows.first()).toContainText(viewerEmail);
  for (const r of await rows.all()) await expect(r).toContainText(viewerEmail);
  await expect(
    page.locator('[data-testid="audit-row"][data-outcome="failure"][data-action="tokens.create"]'),
  ).toHaveCount(1);
});
