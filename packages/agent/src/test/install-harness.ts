// A control plane just big enough for install tests: a PGlite database with published versions,
// the director key, and core's device repository served over mTLS with artifacts next to it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { makePublisherKey, sha256Of, signVersionForTest } from '@edgefleet/core/registry/testing';
import { type DesiredWrite, setDesired } from '@edgefleet/core/rollouts/desired';
import { type RepositoryDeps, readDeviceMetadata } from '@edgefleet/core/rollouts/device-repository';
import { loadOrCreateDirectorKey } from '@edgefleet/core/rollouts/director-key';
import { type SeededVersion, seedBareDevices, seedPublishedVersion } from '@edgefleet/core/rollouts/testing';
import { createTestDatabase, type TestDatabase } from '@edgefleet/db/testing';
import { artifactPath, type TModelTargetCustom } from '@edgefleet/protocol/registry';
import { DataDir } from '../data-dir.ts';
import { dataDirTls, type TlsSource } from '../install/https.ts';
import { saveTrustedRoot, TufClient } from '../install/tuf-client.ts';
import type { Clock } from '../runtime.ts';
import { createTestCa, type TestCa } from './fleet-ca.ts';
import { type FleetServer, startFleetServer } from './fleet-server.ts';

export interface TestDevice {
  id: string;
  dir: string;
  dataDir: DataDir;
  tls: TlsSource;
  tuf: TufClient;
  /** Sets what this device should run (core's setDesired), for detector. */
  desire(
    version: SeededVersion,
    opts?: Partial<Pick<DesiredWrite, 'rollback' | 'force' | 'attempt'>> & {
      shadow?: { version: SeededVersion; samplePercent: number } | null;
    },
  ): Promise<void>;
}

export interface InstallHarness {
  t: TestDatabase;
  ca: TestCa;
  fleet: FleetServer;
  server: URL;
  /** What the gateway signs with; tests may change `now` or `ttlMs`. */
  repo: RepositoryDeps;
  publish(version: string, opts?: Parameters<typeof seedPublishedVersion>[1]): Promise<SeededVersion>;
  /** Publishes a real artifact (e.g. an ONNX model) with its `custom`, as the registry would store it. */
  publishFile(custom: TModelTargetCustom, bytes: Buffer): Promise<SeededVersion>;
  device(): Promise<TestDevice>;
  close(): Promise<void>;
}

/** Real time, except that no sleep lasts longer than `capMs` (health checks and backoff pass quickly). */
export const fastClock = (capMs = 20): Clock => ({
  now: () => new Date(),
  sleep: (ms, signal) => delay(Math.min(ms, capMs), undefined, { signal }),
});

export async function startInstallHarness(): Promise<InstallHarness> {
  const t = await createTestDatabase('pglite');
  const director = await loadOrCreateDirectorKey(t.db, { secret: 'agent install test secret' });
  const repo: RepositoryDeps = { db: t.db, director };
  const ca = createTestCa();
  const fleet = await startFleetServer(ca);
  fleet.tuf = (deviceId, file) => readDeviceMetadata(repo, deviceId, file);
  const server = new URL(fleet.url);
  const publisher = makePublisherKey();
  const dirs: string[] = [];

  return {
    t,
    ca,
    fleet,
    server,
    repo,
    async publish(version, opts = {}) {
      const seeded = await seedPublishedVersion(t.db, { publisher, version, ...opts });
      for (const a of seeded.artifacts) fleet.artifacts.set(a.sha256, a.bytes);
      return seeded;
    },
    async publishFile(custom, bytes) {
      const artifact = { custom, bytes, length: bytes.length, sha256: sha256Of(bytes), path: artifactPath(custom) };
      const signedMetadata = signVersionForTest(publisher, [artifact]);
      await t.db.publisherKey.upsert({
        where: { id: publisher.keyId },
        create: { id: publisher.keyId, name: 'test-publisher', publicKey: publisher.publicKey.keyval.public },
        update: {},
      });
      const { id: modelId } = await t.db.model.upsert({
        where: { name: custom.model },
        create: { id: `mdl_${randomBytes(8).toString('hex')}`, name: custom.model },
        update: {},
        select: { id: true },
      });
      const versionId = `mver_${randomBytes(8).toString('hex')}`;
      await t.db.modelVersion.create({
        data: {
          id: versionId,
          modelId,
          version: custom.version,
          status: 'published',
          card: JSON.parse(JSON.stringify(custom.card)),
          signedMetadata,
          publisherKeyId: publisher.keyId,
          publishedAt: new Date(),
        },
      });
      await t.db.modelArtifact.create({
        data: {
          id: `mart_${randomBytes(8).toString('hex')}`,
          versionId,
          path: artifact.path,
          runtime: custom.runtime,
          accelerator: custom.accelerator,
          precision: custom.precision,
          sizeBytes: BigInt(bytes.length),
          sha256: artifact.sha256,
          tensors: custom.tensors,
          uploadedAt: new Date(),
        },
      });
      fleet.artifacts.set(artifact.sha256, bytes);
      return {
        modelId,
        versionId,
        model: custom.model,
        version: custom.version,
        publisher,
        signedMetadata,
        artifacts: [artifact],
      };
    },
    async device() {
      const [id] = await seedBareDevices(t.db, 1);
      if (!id) throw new Error('no device');
      const dir = await mkdtemp(join(tmpdir(), 'agent-install-'));
      dirs.push(dir);
      const dataDir = new DataDir(dir);
      const creds = ca.device(id);
      await dataDir.write('key', creds.keyPem);
      await dataDir.write('cert', creds.certPem);
      await dataDir.write('ca', ca.chainPem);
      await dataDir.writeIdentity({
        v: 1,
        deviceId: id,
        server: fleet.url,
        mqtt: { host: '127.0.0.1', port: 1 },
        status: 'accepted',
        enrolledAt: new Date().toISOString(),
      });
      const tls = dataDirTls(dataDir);
      await saveTrustedRoot(dir, server, tls);
      return {
        id,
        dir,
        dataDir,
        tls,
        tuf: new TufClient({ dataRoot: dir, server, deviceId: id, tls }),
        async desire(v, o = {}) {
          const artifact = v.artifacts[0];
          if (!artifact) throw new Error('no artifact');
          const shadow = o.shadow
            ? {
                versionId: o.shadow.version.versionId,
                artifactPath: o.shadow.version.artifacts[0]?.path ?? '',
                samplePercent: o.shadow.samplePercent,
              }
            : o.shadow;
          await setDesired(t.db, [
            {
              deviceId: id,
              modelId: v.modelId,
              versionId: v.versionId,
              artifactPath: artifact.path,
              rollback: o.rollback,
              force: o.force,
              attempt: o.attempt,
              shadow,
            },
          ]);
        },
      };
    },
    async close() {
      await fleet.close();
      await t.close();
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}
