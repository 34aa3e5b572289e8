import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testAdmin } from '@edgefleet/core/registry/testing';
import { createRollout } from '@edgefleet/core/rollouts/plan';
import { seedPublishedVersion } from '@edgefleet/core/rollouts/testing';
import type { Db } from '@edgefleet/db/client';
import { createTestDatabase, type TestDatabaseKind } from '@edgefleet/db/testing';
import type { BenchResult, Measurement } from './lib.ts';

/** Accepted devices in one statement, with varied tags and hardware so the plan does real work. */
async function seedDevices(db: Db, count: number) {
  await db.$executeRawUnsafe(`
    INSERT INTO devices (id, name, status, facts, tags, "publicKeyPem", "createdAt", "updatedAt")
    SELECT 'dev-' || i, 'device-' || i, 'accepted',
           jsonb_build_object('accelerators', CASE WHEN i % 3 = 0 THEN '[{"kind":"cuda","name":"gpu"}]'::jsonb ELSE '[]'::jsonb END),
           jsonb_build_object('site', 'site-' || (i % 50), 'ring', CASE WHEN i % 10 = 0 THEN 'canary' ELSE 'main' END),
           'pk-' || i, now(), now()
    FROM generate_series(1, ${count}) AS i`);
}

async function planRuns(kind: TestDatabaseKind, devices: number, runs: number): Promise<number[]> {
  const database = await createTestDatabase(kind);
  try {
    const { db } = database;
    await seedDevices(db, devices);
    await seedPublishedVersion(db, { model: 'detector', version: '2.0.0' });
    const seconds: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const created = await createRollout({ db }, testAdmin, {
        model: 'detector',
        version: '2.0.0',
        selector: { kind: 'all' },
        strategy: {
          kind: 'phases',
          phases: [
            { percent: 1, soakSeconds: 600 },
            { percent: 10, soakSeconds: 600 },
            { percent: 50, soakSeconds: 600 },
            { percent: 100, soakSeconds: 0 },
          ],
        },
      });
      seconds.push((performance.now() - started) / 1000);
      if (created.deviceCount !== devices) throw new Error(`planned ${created.deviceCount} of ${devices} devices`);
      // The next run plans the same devices: an active rollout of the model would refuse it.
      await db.$executeRawUnsafe(`DELETE FROM rollouts WHERE id = '${created.id}'`);
    }
    return seconds;
  } finally {
    await database.close();
  }
}

/** PostgreSQL's own bulk load, `COPY … FROM` a CSV of as many rows of the same shape, through psql. */
async function copyRuns(devices: number, runs: number): Promise<number[]> {
  const database = await createTestDatabase('postgres');
  const dir = mkdtempSync(join(tmpdir(), 'bench-copy-'));
  try {
    const csv = join(dir, 'rows.csv');
    const now = new Date().toISOString();
    const lines: string[] = [];
    for (let i = 1; i <= devices; i++) lines.push(`ro_bench,dev-${i},${i % 4},${i},queued,${now},${now}`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
    await database.db.$executeRawUnsafe(
      `CREATE TABLE copy_ref (LIKE rollout_devices INCLUDING DEFAULTS INCLUDING INDEXES)`,
    );
    const seconds: number[] = [];
    for (let i = 0; i < runs; i++) {
      await database.db.$executeRawUnsafe('TRUNCATE copy_ref');
      const started = performance.now();
      const r = spawnSync(
        'psql',
        [
          database.url,
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          `\\copy copy_ref ("rolloutId","deviceId",phase,ordinal,state,"stateChangedAt","updatedAt") FROM '${csv}' WITH (FORMAT csv)`,
        ],
        { encoding: 'utf8' },
      );
      seconds.push((performance.now() - started) / 1000);
      if (r.status !== 0) throw new Error(`psql COPY failed: ${r.stderr || r.error}`);
    }
    return seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await database.close();
  }
}

export const rolloutPlan = {
  name: 'rollout planning',
  async run({ smoke }: { smoke: boolean }): Promise<BenchResult> {
    const devices = smoke ? 1000 : 100_000;
    const runs = smoke ? 1 : 3;
    const label = `${devices.toLocaleString('en-US')} devices`;
    const measurements: Measurement[] = [
      { name: `plan rollout over ${label}, PostgreSQL`, unit: 's', runs: await planRuns('postgres', devices, runs) },
      { name: `plan rollout over ${label}, embedded PGlite`, unit: 's', runs: await planRuns('pglite', devices, runs) },
    ];
    const reference: Measurement = {
      name: `psql COPY of ${label} rollout rows`,
      unit: 's',
      runs: await copyRuns(devices, runs),
    };
    return {
      title: `Rollout planning: selector → per-device rows for ${label}`,
      command: 'npm run bench',
      measurements,
      reference,
      ratioOf: measurements[0]?.name,
      notes: [
        'Planning = validate the version, resolve the selector, refuse overlapping rollouts, and write one row per device with its phase, order and previous version (one INSERT … SELECT). Target: under 5 s for 100k devices.',
        'The reference loads the same number of rows of the same table shape with PostgreSQL COPY from a CSV file (psql \\copy), the fastest way PostgreSQL writes rows.',
      ],
    };
  },
};
