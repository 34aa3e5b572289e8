import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testAdmin } from '@edgefleet/core/registry/testing';
import { createRollout } from '@edgefleet/core/rollouts/plan';
import { seedPublishedVersion } from '@edgefleet/core/rollouts/testing';
import { createDb, type Db } from '@edgefleet/db/client';
import { startEmbeddedDatabase } from '@edgefleet/db/embedded';
import { migrateDatabase } from '@edgefleet/db/migrate';
import type { Api } from '../../packages/cli/src/client.ts';
import { signIn, startControlPlane } from './control-plane.ts';
import type { BenchResult, Measurement } from './lib.ts';

const PORT = 3397;

/**
 * A fleet the size of the figure, in a handful of statements: devices in 20 static groups (plus
 * two dynamic ones), varied tags and facts, 88% online and 2% never seen; a served model on every accepted device;
 * firing and acknowledged alerts on 1%; one telemetry sample per device; and an active rollout
 * over the whole fleet, so every part of health.overview has rows to aggregate.
 */
export async function seedFleet(db: Db, count: number) {
  await db.$executeRawUnsafe(`
    INSERT INTO device_groups (id, name, selector)
    SELECT 'grp-site-' || g, 'site-' || g, NULL FROM generate_series(0, 19) AS g
    UNION ALL VALUES ('grp-canary', 'canary', '{"ring":"canary"}'::jsonb), ('grp-cuda', 'cuda', '{"hw":"cuda"}'::jsonb)`);
  await db.$executeRawUnsafe(`
    INSERT INTO devices (id, name, status, facts, tags, "groupId", "publicKeyPem", online, "lastSeenAt", "createdAt", "updatedAt")
    SELECT 'dev-' || lpad(i::text, 6, '0'), 'edge-' || lpad(i::text, 6, '0'),
           (CASE WHEN i % 100 = 1 THEN 'pending' WHEN i % 100 = 2 THEN 'revoked' ELSE 'accepted' END)::"DeviceStatus",
           jsonb_build_object('os', 'linux', 'arch', CASE WHEN i % 3 = 0 THEN 'arm64' ELSE 'x64' END,
             'agentVersion', '0.1.0', 'accelerators',
             CASE WHEN i % 4 = 0 THEN '[{"kind":"cuda","name":"Jetson Orin"}]'::jsonb ELSE '[]'::jsonb END),
           jsonb_build_object('site', 'site-' || (i % 20), 'ring', CASE WHEN i % 10 = 0 THEN 'canary' ELSE 'main' END,
             'hw', CASE WHEN i % 4 = 0 THEN 'cuda' ELSE 'cpu' END),
           'grp-site-' || (i % 20), 'pk-' || i, i % 10 <> 3 AND i % 50 <> 7,
           CASE WHEN i % 50 = 7 THEN NULL ELSE now() - make_interval(secs => i % 3600) END,
           now() - make_interval(secs => i), now()
    FROM generate_series(1, ${count}) AS i`);
  await db.$executeRawUnsafe(`
    INSERT INTO device_installed_models ("deviceId", model, "servingVersion", "updatedAt")
    SELECT id, 'detector', '1.' || (substr(id, 5)::int % 3) || '.0', now() FROM devices WHERE status = 'accepted'`);
  await db.$executeRawUnsafe(`
    INSERT INTO alert_rules (id, name, kind, metric, operator, threshold, "windowSeconds", severity, "updatedAt")
    VALUES ('rule-cpu', 'CPU high', 'metric', 'cpu_percent', 'gt', 90, 300, 'warning', now())`);
  await db.$executeRawUnsafe(`
    INSERT INTO alerts (id, "ruleId", "subjectType", "subjectId", "deviceId", state, severity, summary, value, "openKey", "firedAt")
    SELECT 'alert-' || id, 'rule-cpu', 'device', id, id,
           (CASE WHEN substr(id, 5)::int % 500 = 0 THEN 'acknowledged' ELSE 'firing' END)::"AlertState",
           CASE WHEN substr(id, 5)::int % 300 = 0 THEN 'critical' ELSE 'warning' END, 'CPU above 90%', 95,
           'rule-cpu:device:' || id, now() - make_interval(secs => substr(id, 5)::int % 7200)
    FROM devices WHERE substr(id, 5)::int % 100 = 0`);
  await db.$executeRawUnsafe(`
    INSERT INTO telemetry_samples ("deviceId", seq, ts, "intervalSeconds", "cpuPercent", "memoryUsedBytes",
      "memoryTotalBytes", "diskUsedBytes", "diskTotalBytes", "agentRssBytes", "agentVersion", requests, errors, dropped)
    SELECT id, 1, now(), 10, (substr(id, 5)::int % 100), 2e9, 4e9, 1e10, 3.2e10, 6e7, '0.1.0', 100, 0, 0 FROM devices`);
  await seedPublishedVersion(db, { model: 'detector', version: '2.0.0' });
  await createRollout({ db }, testAdmin, {
    model: 'detector',
    version: '2.0.0',
    selector: { kind: 'all' },
    strategy: {
      kind: 'phases',
      phases: [
        { percent: 1, soakSeconds: 86_400 },
        { percent: 100, soakSeconds: 0 },
      ],
    },
  });
}

/** Milliseconds of each of `n` sequential calls (after a few warm-up calls), p50 and p95. */
async function latency(call: () => Promise<unknown>, n: number): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 3; i++) await call();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await call();
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] as number;
  return { p50: at(0.5), p95: at(0.95) };
}

const calls = (api: Api): Record<string, () => Promise<unknown>> => ({
  'devices.list first page': () => api.devices.list.query({ limit: 50 }),
  'devices.list filtered page': () =>
    api.devices.list.query({
      status: ['accepted'],
      group: 'site-8',
      tag: [{ key: 'hw', value: 'cuda' }],
      q: 'edge-01',
      sort: 'lastSeenAt',
      limit: 50,
    }),
  'health.overview': () => api.health.overview.query(),
});

export const dashboardApi = {
  name: 'dashboard API latency',
  async run({ smoke }: { smoke: boolean }): Promise<BenchResult> {
    const devices = smoke ? 2000 : 100_000;
    const rounds = smoke ? 1 : 3;
    const perRound = smoke ? 10 : 20;
    const dir = mkdtempSync(join(tmpdir(), 'ef-bench-dash-'));
    const dataDir = join(dir, 'data');
    try {
      // Seeded into the embedded database before the launcher opens it (one process at a time).
      const embedded = await startEmbeddedDatabase({ dataDir });
      try {
        await migrateDatabase({ url: embedded.url });
        const db = createDb({ url: embedded.url });
        try {
          await seedFleet(db, devices);
        } finally {
          await db.$disconnect();
        }
      } finally {
        await embedded.close();
      }
      const cp = await startControlPlane({ dataDir, port: PORT });
      try {
        const { api } = await signIn(cp);
        const byName = calls(api);
        const measurements: Measurement[] = [];
        const m = (name: string) => {
          const found = measurements.find((x) => x.name === name);
          if (found) return found;
          const created: Measurement = { name, unit: 'ms', runs: [] };
          measurements.push(created);
          return created;
        };
        const reference: Measurement = { name: 'system.whoami p50', unit: 'ms', runs: [] };
        for (let round = 0; round < rounds; round++) {
          for (const [name, call] of Object.entries(byName)) {
            const { p50, p95 } = await latency(call, perRound);
            m(`${name} p50`).runs.push(p50);
            m(`${name} p95`).runs.push(p95);
          }
          const who = await latency(() => api.system.whoami.query(), perRound);
          reference.runs.push(who.p50);
          m('system.whoami p95').runs.push(who.p95);
        }
        const overview = await api.health.overview.query();
        const page = await api.devices.list.query({ limit: 50 });
        const filtered = (await byName['devices.list filtered page']?.()) as { total: number };
        if (page.total !== devices || overview.devices.accepted < devices * 0.9) {
          throw new Error(
            `seeded ${devices} devices but the API sees ${page.total} (${overview.devices.accepted} accepted)`,
          );
        }
        const label = devices.toLocaleString('en-US');
        return {
          title: `Dashboard API latency with ${label} devices (embedded database)`,
          command: smoke ? 'npm run bench -- --smoke' : 'npm run bench',
          measurements,
          reference,
          ratioOf: 'health.overview p50',
          notes: [
            `The control plane as \`npm start\` runs it (embedded PGlite), seeded with ${label} devices in 20 static and 2 dynamic groups, a served model on each accepted one, a CPU alert on 1% of them, one telemetry sample per device and an active rollout over the fleet. Its own health jobs run meanwhile (offline detection, alert rules): ${overview.alerts.firingTotal} alerts firing when measured.`,
            `Each figure: ${perRound} sequential tRPC calls over HTTP with an API token (the CLI's client, one request per call), after 3 warm-up calls; p50 and p95 per round, median of ${rounds} rounds.`,
            `Filtered page: accepted devices of group site-8 with tag hw=cuda whose name contains "edge-01" (${filtered.total} of them), sorted by last seen. Both list calls also count the matching devices (the total the page shows).`,
            'The reference is `system.whoami`: the same HTTP, authentication and tRPC path with no query, so the ratio is the cost of the query itself.',
          ],
        };
      } finally {
        await cp.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
