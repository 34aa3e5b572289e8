/**
 * Seeding for the e2e tests: straight to the control plane's database through core's own test
 * helpers, for data the dashboard cannot create (signed model versions, devices with no agent).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testFacts } from '@edgefleet/core/identity/testing';
import { createLocalArtifactStore } from '@edgefleet/core/registry/artifact-store';
import { applyStateReport } from '@edgefleet/core/rollouts/reports';
import { seedPublishedVersion } from '@edgefleet/core/rollouts/testing';
import { createDb, type Db } from '@edgefleet/db/client';
import { DATABASE_URL_FILE } from './db-url.ts';

let db: Db | undefined;

/** The running control plane's database (one small pool per worker). */
export function e2eDb(): Db {
  const dataDir = process.env.EDGEFLEET_E2E_DATA_DIR;
  if (!dataDir) throw new Error('EDGEFLEET_E2E_DATA_DIR is not set: run through tests/e2e/playwright.config.ts');
  db ??= createDb({ url: readFileSync(join(dataDir, DATABASE_URL_FILE), 'utf8').trim(), maxConnections: 2 });
  return db;
}

export async function closeE2eDb() {
  await db?.$disconnect();
  db = undefined;
}

/** A published, signed version with its artifact in the control plane's artifact store. */
export function seedModelVersion(model: string, version: string) {
  const dataDir = process.env.EDGEFLEET_E2E_DATA_DIR ?? '';
  return seedPublishedVersion(e2eDb(), { model, version, store: createLocalArtifactStore(join(dataDir, 'artifacts')) });
}

/** `count` accepted devices carrying `tags`, named `<prefix>-01`…, with realistic facts. */
export async function seedAcceptedDevices(count: number, prefix: string, tags: Record<string, string>) {
  const devices = Array.from({ length: count }, (_, i) => {
    const name = `${prefix}-${String(i + 1).padStart(2, '0')}`;
    return { id: `dev_${randomBytes(10).toString('hex')}`, name };
  });
  await e2eDb().device.createMany({
    data: devices.map((d) => ({
      id: d.id,
      name: d.name,
      status: 'accepted' as const,
      facts: testFacts({ hostname: d.name }),
      tags,
      publicKeyPem: `e2e key ${d.id}`,
      decidedAt: new Date(),
    })),
  });
  return devices;
}

/**
 * A device's state report on one install, applied as the gateway applies the reports agents
 * publish (these devices have no agent).
 */
export function reportInstall(
  deviceId: string,
  install: { model: string; version: string; step: 'failed' | 'succeeded'; reason?: string },
) {
  const { model, ...rest } = install;
  return applyStateReport(e2eDb(), deviceId, {
    v: 1,
    ts: new Date().toISOString(),
    instructionVersion: 1,
    // attempt: at least the engine's counter, or the report is taken for a stale one.
    models: [{ model, install: { ...rest, attempt: 99, retryable: false } }],
  });
}
