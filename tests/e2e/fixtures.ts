import { randomBytes } from 'node:crypto';
import { expect, type Page } from '@playwright/test';

export const PORT = 3310;
export const BASE_URL = `http://127.0.0.1:${PORT}`;
/** The e2e gateway's Prometheus listener (not the default 9464, which a developer's `npm start` holds). */
export const GATEWAY_METRICS_PORT = 9473;
export const ADMIN_EMAIL = 'admin@e2e.test';
/** Only for the throwaway control plane the config starts. */
export const ADMIN_PASSWORD = 'e2e-admin-password-7Qx!';

/** A short unique suffix, so tests never collide with each other's data. */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

/**
 * Submits the sign-in form. Sign-ins are rate-limited per address and every test comes from
 * 127.0.0.1, so a 429 is possible under load: wait as told and submit again.
 */
export async function submitSignIn(page: Page) {
  for (let attempt = 0; ; attempt++) {
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/auth/sign-in/username')),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    if (res.status() !== 429 || attempt >= 3) return res;
    const wait = Number(res.headers()['x-retry-after'] ?? 10);
    await page.waitForTimeout((Number.isFinite(wait) ? wait : 10) * 1000 + 500);
  }
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await submitSignIn(page);
  await expect(page).toHaveURL(/\/devices$/);
  await expect(page.getByTestId('user-email')).toHaveText(email);
}

export const signInAsAdmin = (page: Page) => signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);

/** Calls a tRPC mutation with the page's session cookie (superjson wire format, not batched). */
export function trpcMutation(page: Page, path: string, input: unknown) {
  return page.request.post(`/api/trpc/${path}`, { data: { json: input } });
}

/** Seeds a user through the API as the signed-in admin. */
export async function createUserViaApi(
  page: Page,
  email: string,
  password: string,
  role: 'admin' | 'operator' | 'viewer',
) {
  const res = await trpcMutation(page, 'users.create', { email, password, role });
  expect(res.status(), await res.text()).toBe(200);
}
