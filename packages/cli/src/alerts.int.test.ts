import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiHarness, createTestPki } from '@edgefleet/api/testing';
import { serveFetch } from '@edgefleet/api/testing/http';
import { evaluateAlerts } from '@edgefleet/core/health/alerts/evaluate';
import { storeBundle } from '@edgefleet/core/health/diagnostics';
import { seedFleet } from '@edgefleet/core/rollouts/engine-testing';
import { createTestDatabase } from '@edgefleet/db/testing';
import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import type { TDiagnosticsBundle } from '@edgefleet/protocol/health';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from './test/run-cli.ts';

const bundle: TDiagnosticsBundle = {
  v: PROTOCOL_VERSION,
  collectedAt: '2030-01-07T12:00:00.000Z',
  agentVersion: '0.4.2',
  logTail: ['agent started', 'connected', 'heartbeat'],
  config: { heartbeatMs: 30_000, token: '[redacted]' },
  models: { serving: [{ model: 'detector', version: '1.0.0', since: '2030-01-07T11:00:00.000Z' }] },
  recentErrors: [{ ts: '2030-01-07T11:59:00.000Z', message: 'inference timed out' }],
  system: { os: 'linux' },
};

describe('edgefleet alerts, health and diagnostics against a running API', () => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: Awaited<ReturnType<typeof serveFetch>>;
  let opToken: string;
  let readToken: string;
  let offline: string;
  const dir = mkdtempSync(join(tmpdir(), 'ef-alerts-cli-'));
  const received: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push(body);
      res.writeHead(204).end();
    });
  });

  const cli = (args: string[], token = opToken): Promise<CliRun> =>
    runCli(args, {
      cwd: dir,
      env: { ...process.env, EDGEFLEET_CONFIG_DIR: dir, EDGEFLEET_URL: server.url, EDGEFLEET_TOKEN: token },
    });
  const lines = (s: string) => s.trim().split('\n');

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    const h = createApiHarness(t.db, await createTestPki(t.db));
    const op = await h.makeUser('operator');
    opToken = await h.makeToken(op, ['health:read', 'alerts:write', 'devices:read', 'devices:write']);
    readToken = await h.makeToken(op, ['health:read', 'devices:read']);
    await seedFleet(t.db, 3, { tags: { site: 'berlin' } });
    // One device gone for 11 minutes: the built-in offline rule (10 min) fires for it.
    [offline] = (await seedFleet(t.db, 1, { online: false })) as [string];
    await t.db.device.update({ where: { id: offline }, data: { lastSeenAt: new Date(Date.now() - 11 * 60_000) } });
    await seedFleet(t.db, 2, { status: 'pending' });
    await evaluateAlerts({ db: t.db });
    server = await serveFetch((p, init) => h.request(p, init));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => receiver.close(r));
    await server?.close();
    await t?.close();
  });

  it('creates a rule (--json), lists it, disables, enables and removes it', async () => {
    const create = await cli([
      ...['alerts', 'rules', 'create', '--name', 'Hot CPU', '--kind', 'metric', '--metric', 'cpu_percent'],
      ...['--threshold', '90', '--for', '5m', '--severity', 'critical', '--tag', 'site=berlin', '--json'],
    ]);
    expect(create.stderr).toBe('');
    expect(create.code).toBe(0);
    const rule = JSON.parse(create.stdout) as { id: string };
    expect(await t.db.alertRule.findUniqueOrThrow({ where: { id: rule.id } })).toMatchObject({
      name: 'Hot CPU',
      kind: 'metric',
      metric: 'cpu_percent',
      operator: 'gt',
      threshold: 90,
      windowSeconds: 300,
      severity: 'critical',
      selector: { kind: 'tags', tags: { site: 'berlin' } },
      enabled: true,
    });

    const listed = JSON.parse((await cli(['alerts', 'rules', 'list', '--json'], readToken)).stdout) as Array<{
      id: string;
      builtIn: boolean;
      openAlerts: number;
    }>;
    expect(listed.filter((r) => r.builtIn)).toHaveLength(3);
    expect(listed.find((r) => r.id === rule.id)).toMatchObject({ openAlerts: 0 });
    const table = await cli(['alerts', 'rules', 'list'], readToken);
    expect(table.stdout).toMatch(/ID\s+NAME\s+CONDITION\s+SEVERITY\s+WATCHES\s+ENABLED\s+OPEN/);
    expect(table.stdout).toMatch(
      new RegExp(`${rule.id}\\s+Hot CPU\\s+cpu_percent > 90 for 5m\\s+critical\\s+site=berlin\\s+yes\\s+0`),
    );
    expect(table.stdout).toMatch(/rule_builtin_device_offline\s+.*offline > 10m\s+warning\s+all devices\s+yes\s+1/);

    const disable = await cli(['alerts', 'rules', 'disable', rule.id]);
    expect(disable.stdout).toBe(`Disabled rule ${rule.id} "Hot CPU".\n`);
    expect((await t.db.alertRule.findUniqueOrThrow({ where: { id: rule.id } })).enabled).toBe(false);
    expect((await cli(['alerts', 'rules', 'enable', rule.id])).code).toBe(0);
    expect((await t.db.alertRule.findUniqueOrThrow({ where: { id: rule.id } })).enabled).toBe(true);
    const readOnly = await cli(['alerts', 'rules', 'rm', rule.id], readToken);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toMatch(/alerts:write/);
    expect((await cli(['alerts', 'rules', 'rm', rule.id])).stdout).toBe(`Deleted rule ${rule.id}.\n`);
    expect(await t.db.alertRule.count({ where: { id: rule.id } })).toBe(0);
    const builtIn = await cli(['alerts', 'rules', 'rm', 'rule_builtin_rollout_gate']);
    expect(builtIn.code).toBe(1);
    expect(lines(builtIn.stderr)).toHaveLength(1);
  });

  it.each([
    [
      'a threshold that is no number',
      ['--kind', 'metric', '--metric', 'cpu_percent', '--threshold', 'hot'],
      /--threshold.*"hot" is not a number/,
    ],
    ['an unknown kind', ['--kind', 'cpu'], /--kind.*Allowed choices are metric, device_offline/],
    [
      'a metric rule without a threshold',
      ['--kind', 'metric', '--metric', 'cpu_percent'],
      /needs --metric and --threshold/,
    ],
    [
      'a window under the minimum',
      ['--kind', 'metric', '--metric', 'cpu_percent', '--threshold', '90', '--for', '5s'],
      /--for: at least 10s/,
    ],
    ['a threshold on an offline rule', ['--kind', 'device_offline', '--threshold', '3'], /are for --kind metric/],
  ])('refuses %s with one line and exit code 2, creating nothing', async (_name, args, message) => {
    const before = await t.db.alertRule.count();
    const r = await cli(['alerts', 'rules', 'create', '--name', 'bad', ...args]);
    expect(r.code).toBe(2);
    // The error is one line; Commander's own usage errors add the "(run with --help …)" hint.
    const [first, ...rest] = lines(r.stderr);
    expect(first).toMatch(message);
    expect(rest.filter((l) => !l.startsWith('(run with --help'))).toEqual([]);
    expect(r.stdout).toBe('');
    expect(await t.db.alertRule.count()).toBe(before);
  });

  it('lists the firing alert (table and --json) and acknowledges it once', async () => {
    const list = await cli(['alerts', 'list', '--state', 'firing', '--json'], readToken);
    expect(list.code).toBe(0);
    const page = JSON.parse(list.stdout) as { items: Array<{ id: string; deviceId: string; state: string }> };
    expect(page.items).toEqual([expect.objectContaining({ deviceId: offline, state: 'firing' })]);
    const id = page.items[0]?.id ?? '';

    const table = await cli(['alerts', 'list', '--device', offline], readToken);
    expect(table.stdout).toMatch(/ID\s+SEVERITY\s+STATE\s+FIRED\s+SUBJECT\s+RULE\s+SUMMARY/);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+warning\\s+firing\\s+.*${offline}\\s+Device offline`));
    expect((await cli(['alerts', 'list', '--severity', 'critical'], readToken)).stdout).toBe('No alerts match.\n');

    const refused = await cli(['alerts', 'ack', id], readToken);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/alerts:write/);
    const ack = await cli(['alerts', 'ack', id]);
    expect(ack.stderr).toBe('');
    expect(ack.code).toBe(0);
    expect(ack.stdout).toMatch(new RegExp(`^Acknowledged ${id} \\(Device offline for more than 10 minutes\\): `));
    expect(await t.db.alert.findUniqueOrThrow({ where: { id } })).toMatchObject({ state: 'acknowledged' });
    const again = await cli(['alerts', 'ack', id]);
    expect(again.code).toBe(1);
    expect(lines(again.stderr)).toEqual([`edgefleet: Alert ${id} is acknowledged, not firing`]);
    // Open (the default) still shows it; firing no longer does.
    expect((await cli(['alerts', 'list'], readToken)).stdout).toMatch(new RegExp(`${id}\\s+warning\\s+acknowledged`));
    expect((await cli(['alerts', 'list', '--state', 'firing'], readToken)).stdout).toBe('No alerts match.\n');
  });

  it('creates a webhook showing its secret once, lists it without, tests and removes it', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/secret-path`;
    const create = await cli(['alerts', 'webhooks', 'create', url, '--name', 'ops', '--min-severity', 'warning']);
    expect(create.code).toBe(0);
    const secret = create.stdout.trim();
    expect(secret).toMatch(/^whsec_[\w-]{43}$/);
    expect(create.stderr).toMatch(/Webhook "ops" \(wh_\w+\) created\. .*not shown again/);
    const id = /\((wh_\w+)\)/.exec(create.stderr)?.[1] ?? '';

    const listJson = await cli(['alerts', 'webhooks', 'list', '--json'], readToken);
    expect(JSON.parse(listJson.stdout)).toEqual([
      expect.objectContaining({ id, name: 'ops', minSeverity: 'warning', format: 'json', enabled: true }),
    ]);
    const list = await cli(['alerts', 'webhooks', 'list'], readToken);
    expect(list.stdout).toMatch(
      new RegExp(`${id}\\s+ops\\s+http://127\\.0\\.0\\.1:\\d+/hooks/…\\s+json\\s+warning\\s+yes`),
    );
    for (const out of [listJson.stdout, list.stdout]) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain('secret-path');
    }

    const viaJson = await cli(['alerts', 'webhooks', 'create', url, '--name', 'ci', '--format', 'slack', '--json']);
    expect(JSON.parse(viaJson.stdout)).toMatchObject({ name: 'ci', format: 'slack', signingSecret: /^whsec_/ });

    const test = await cli(['alerts', 'webhooks', 'test', id]);
    expect(test.stdout).toMatch(/^Delivered test event whd_\w+ \(HTTP 204\)\.\n$/);
    expect(test.code).toBe(0);
    expect(JSON.parse(received.at(-1) ?? '{}')).toMatchObject({ event: 'webhook.test' });

    // Nothing listens on port 1: the test send fails, and says why in one line.
    const closed = JSON.parse(
      (await cli(['alerts', 'webhooks', 'create', 'http://127.0.0.1:1/x', '--name', 'down', '--json'])).stdout,
    ) as { id: string };
    const failed = await cli(['alerts', 'webhooks', 'test', closed.id]);
    expect(failed.code).toBe(1);
    expect(lines(failed.stderr)).toEqual([expect.stringMatching(/^edgefleet: test event whd_\w+ not delivered: .+/)]);

    const bad = await cli(['alerts', 'webhooks', 'create', 'ftp://example.com', '--name', 'x']);
    expect(bad.code).toBe(2);
    expect(lines(bad.stderr)).toEqual(['edgefleet: URL: the URL must be http:// or https://']);
    expect((await cli(['alerts', 'webhooks', 'rm', id])).stdout).toBe(`Deleted webhook ${id}.\n`);
    expect(await t.db.webhook.count({ where: { id } })).toBe(0);
  });

  it('devices diagnostics --wait --out writes the bundle once the device uploaded it', async () => {
    const [device] = (await seedFleet(t.db, 1)) as [string];
    const file = join(dir, 'bundle.json');
    const waiting = cli(['devices', 'diagnostics', device, '--wait', '--interval', '1', '--out', file]);
    // The agent, in-process: the request shows up, the bundle is stored as the gateway would.
    await expect
      .poll(() => t.db.diagnosticsRequest.findFirst({ where: { deviceId: device } }), { timeout: 15_000 })
      .toBeTruthy();
    const request = await t.db.diagnosticsRequest.findFirstOrThrow({ where: { deviceId: device } });
    await new Promise((r) => setTimeout(r, 1200));
    await storeBundle({ db: t.db }, { deviceId: device, requestId: request.id, bundle });
    const r = await waiting;
    expect(r.stderr).toMatch(new RegExp(`^Requested diagnostics ${request.id} from ${device}; waiting up to 1m`));
    expect(r.stderr).toMatch(/Bundle uploaded \(1 KiB\)/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Wrote diagnostics ${request.id} to ${file}.\n`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(bundle);

    const show = await cli(['devices', 'diagnostics', device, '--get', request.id], readToken);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/agent\s+0\.4\.2/);
    expect(show.stdout).toMatch(/log lines\s+3/);
    expect(show.stdout).toMatch(/recent errors\s+1 \(last .*: inference timed out\)/);
    expect(show.stdout).toMatch(/models\s+detector 1\.0\.0/);
    const list = await cli(['devices', 'diagnostics', device, '--list', '--json'], readToken);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: request.id, status: 'uploaded' })]);
  });

  it('devices diagnostics --wait gives up after --timeout with one line and exit code 1', async () => {
    const [device] = (await seedFleet(t.db, 1)) as [string];
    const started = Date.now();
    const r = await cli(['devices', 'diagnostics', device, '--wait', '--timeout', '2s', '--interval', '1']);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const request = await t.db.diagnosticsRequest.findFirstOrThrow({ where: { deviceId: device } });
    expect(request.status).toBe('pending');
    expect(lines(r.stderr).at(-1)).toMatch(
      new RegExp(`^edgefleet: no bundle from ${device} after 2s: request ${request.id} stays pending`),
    );
    expect(r.stdout).toBe('');
    const pending = await cli(['devices', 'diagnostics', device, '--list'], readToken);
    expect(pending.stdout).toMatch(new RegExp(`${request.id}\\s+pending`));
  });

  it('health --json matches the database; the text shows the same figures', async () => {
    const r = await cli(['health', '--json'], readToken);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout) as {
      devices: { accepted: number; online: number; offline: number; pending: number };
      alerts: { firingTotal: number; acknowledgedTotal: number };
      rollouts: { active: number };
    };
    const count = (where: object) => t.db.device.count({ where });
    expect(o.devices).toMatchObject({
      accepted: await count({ status: 'accepted' }),
      online: await count({ status: 'accepted', online: true }),
      offline: await count({ status: 'accepted', online: false }),
      pending: await count({ status: 'pending' }),
    });
    expect(o.devices).toMatchObject({ offline: 1, pending: 2 });
    expect(o.alerts.firingTotal).toBe(await t.db.alert.count({ where: { state: 'firing' } }));
    expect(o.alerts.acknowledgedTotal).toBe(await t.db.alert.count({ where: { state: 'acknowledged' } }));
    expect(o.rollouts.active).toBe(0);

    const text = await cli(['health'], readToken);
    expect(lines(text.stdout)).toEqual([
      `devices   ${o.devices.accepted} accepted: ${o.devices.online} online, 1 offline; 2 pending approval`,
      `alerts    none firing, ${o.alerts.acknowledgedTotal} acknowledged`,
      'models    none in service',
      'rollouts  0 active',
    ]);
  });

  it('documents the new commands in --help', async () => {
    const rules = await cli(['alerts', 'rules', 'create', '--help'], '');
    expect(rules.code).toBe(0);
    expect(rules.stdout).toMatch(/--kind <kind>.*choices: "metric",\s+"device_offline"/s);
    expect(rules.stdout).toMatch(/Durations: 90s, 10m, 2h, 1d/);
    const diag = await cli(['devices', 'diagnostics', '--help'], '');
    expect(diag.stdout).toMatch(/--timeout <duration>.*default: 60s/s);
    expect((await cli(['health', '--help'], '')).stdout).toMatch(/Usage: edgefleet health/);
    expect((await cli(['alerts', '--help'], '')).stdout).toMatch(/ack\|acknowledge <id>.*rules.*webhooks/s);
  });
});
