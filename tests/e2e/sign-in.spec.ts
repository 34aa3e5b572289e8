import { expect, test } from '@playwright/test';
import { ADMIN_EMAIL, signInAsAdmin, submitSignIn } from './fixtures';

test('a wrong password shows an error in place and stays on /sign-in', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill('definitely-not-the-password');
  const res = await submitSignIn(page);
  expect(res.status()).toBe(401);

  const error = page.getByTestId('sign-in-error');
  await expect(error).toBeVisible();
  await expect(error).toHaveText(/invalid/i);
  await expect(page).toHaveURL(/\/sign-in$/);
  // The form is usable again, and the email is kept.
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  await expect(page.getByLabel('Email')).toHaveValue(ADMIN_EMAIL);
});

test('signed-out visitors are sent to /sign-in with a way back', async ({ page }) => {
  await page.goto('/settings/users');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fsettings%2Fusers$/);
  await expect(page.getByRole('heading', { name: 'Sign in to your fleet' })).toBeVisible();
});

test('unknown routes get a real 404 page', async ({ page }) => {
  await signInAsAdmin(page);
  const res = await page.goto('/no-such-page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Go to devices' }).click();
  await expect(page).toHaveURL(/\/devices$/);
});
