import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { evaluateAlerts } from '@edgefleet/core/health/alerts/evaluate';
import { expect, type Page, test } from '@playwright/test';
import { closeE2eDb, e2eDb, seedAcceptedDevices } from './db';
import { signInAsAdmin, unique } from './fixtures';

test.afterAll(closeE2eDb);

/** Set EDGEFLEET_E2E_SCREENSHOTS=<dir> to keep a picture of each page (for reviewing the look). */
const snap = async (page: Page, name: string) => {
  const dir = process.env.EDGEFLEET_E2E_SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/alerts-${name}.png`, fullPage: true });
};

test('an operator acknowledges an alert, writes a rule, and sets up a signed webhook', async ({ page }) => {
  const [box] = await seedAcceptedDevices(1, unique('gone'), {});
  await e2eDb().device.update({
    where: { id: box?.id },
    data: { online: false, lastSeenAt: new Date(Date.now() - 3600_000) },
  });
  // The gateway evaluates every 15 s; evaluating here too is harmless (one alert per rule and device).
  await evaluateAlerts({ db: e2eDb() });

  await signInAsAdmin(page);
  await page.getByRole('link', { name: 'Alerts' }).first().click();
  await expect(page).toHaveURL(/\/alerts$/);
  const row = page.locator('[data-testid="alert-row"]', { hasText: box?.name ?? '' });
  await expect(row).toBeVisible();
  await expect(row.getByTestId('alert-state-badge')).toHaveText('firing');
  await expect(row.getByTestId('severity-badge')).toHaveText('warning');
  await expect(row.getByTestId('alert-summary')).toContainText('offline since');
  await snap(page, 'list');
  await row.getByTestId('ack-alert').click();
  await expect(row.getByTestId('alert-state-badge')).toHaveText('acknowledged');
  await expect(row).toContainText('by admin@e2e.test');

  // A metric rule through the editor: the threshold's unit follows the metric.
  await page.getByRole('link', { name: 'Rules' }).click();
  await expect(page.getByTestId('rule-row').filter({ hasText: 'built in' })).toHaveCount(3);
  await page.getByRole('button', { name: 'New rule' }).click();
  const ruleName = unique('hot');
  await page.getByLabel('Name').fill(ruleName);
  await page.getByLabel('Metric').selectOption('temperature_c');
  await expect(page.getByTestId('threshold-unit')).toHaveText('°C');
  await page.getByLabel('Threshold').fill('80');
  await page.getByLabel('Severity').selectOption('critical');
  await snap(page, 'rule-form');
  await page.getByRole('button', { name: 'Create rule' }).click();
  const rule = page.locator('[data-testid="rule-row"]', { hasText: ruleName });
  await expect(rule.getByTestId('rule-condition')).toHaveText('Temperature > 80 °C for 5 min');
  await rule.getByTestId('rule-enabled').click(); // the box follows the server's answer
  await expect(rule.getByTestId('rule-enabled')).not.toBeChecked();
  await snap(page, 'rules');

  // A webhook: the signing secret is shown once, and a test arrives signed with it.
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByLabel('Name').fill('On-call');
    await page.getByLabel('URL').fill(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const secret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    const hook = page.locator('[data-testid="webhook-row"]', { hasText: 'On-call' });
    await hook.getByTestId('webhook-test').click();
    await expect(hook.getByTestId('webhook-test-result')).toContainText('HTTP 200');
    await expect(page.getByTestId('delivery-row').first()).toContainText('webhook.test');
    await snap(page, 'webhooks');
    const test = received.at(-1);
    expect(test?.headers['x-edgefleet-signature']).toBe(
      `sha256=${createHmac('sha256', secret)
        .update(test?.body ?? '')
        .digest('hex')}`,
    );
    await page.getByRole('button', { name: 'I’ve copied it' }).click();
    await expect(page.getByTestId('webhook-secret-box')).toHaveCount(0);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
