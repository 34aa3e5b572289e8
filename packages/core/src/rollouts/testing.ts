// Test helpers for rollouts: published model versions seeded straight into the database, bare
// devices in bulk, and a tuf-js client that reads a device's repository without a gateway.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Db, Prisma } from '@edgefleet/db/client';
import { artifactPath, type TModelTargetCustom } from '@edgefleet/protocol/registry';
import { BaseFetcher, Updater } from 'tuf-js';
// tuf-js only treats a missing `N.root.json` as "no newer root" when the fetcher throws its own
// DownloadHTTPError (instanceof), which its index does not export.
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import type { ArtifactStore } from '../registry/artifact-store.ts';
import { makePublisherKey, sha256Of, signVersionForTest, type TestPublisher, testCustom } from '../registry/testing.ts';
import { type RepositoryDeps, readDeviceMetadata } from './device-repository.ts';

const newId = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

/** A tuf-js fetcher answering each metadata URL with `serve(<last path segment>)`; null is a 404. */
export function fetcherFrom(serve: (file: string) => Promise<string | null> | string | null): BaseFetcher {
  return new (class extends BaseFetcher {
    override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
      const file = url.slice(url.lastIndexOf('/') + 1);
      const text = await serve(file);
      if (text === null) throw new DownloadHTTPError(`${file}: not found`, 404);
      return new Blob([text]).stream() as ReadableStream<Uint8Array<ArrayBuffer>>;
    }
  })();
}

/** What the gateway's GET /v1/tuf/<file> answers this device, without HTTP. */
export const directFetcher = (deps: RepositoryDeps, deviceId: string) =>
  fetcherFrom((file) => readDeviceMetadata(deps, deviceId, file));

export const TEST_METADATA_URL = 'https://gateway.test/v1/tuf';

/**
 * A tuf-js Updater for the device, trusting the director's root v1 (written as root.json in
 * `metadataDir`, as the agent bootstraps it). Reuse `metadataDir` across updaters to keep the
 * client's trusted state between refreshes, like an agent does.
 */
export async function testUpdater(opts: {
  deps: RepositoryDeps;
  deviceId: string;
  metadataDir?: string;
  fetcher?: BaseFetcher;
}): Promise<{ updater: Updater; metadataDir: string; targetDir: string }> {
  const metadataDir = opts.metadataDir ?? (await mkdtemp(join(tmpdir(), 'edgefleet-tuf-')));
  const targetDir = join(metadataDir, 'targets');
  await mkdir(targetDir, { recursive: true });
  const root = await readDeviceMetadata(opts.deps, opts.deviceId, '1.root.json');
  if (!root) throw new Error('the director serves no root');
  // Written once: a reused directory keeps the root the client already trusts.
  await writeFile(join(metadataDir, 'root.json'), root, { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  const updater = new Updater({
    metadataDir,
    metadataBaseUrl: TEST_METADATA_URL,
    targetDir,
    fetcher: opts.fetcher ?? directFetcher(opts.deps, opts.deviceId),
  });
  return { updater, metadataDir, targetDir };
}

export interface SeededArtifact {
  path: string;
  sha256: string;
  length: number;
  bytes: Buffer;
  custom: TModelTargetCustom;
}
export interface SeededVersion {
  modelId: string;
  versionId: string;
  model: string;
  version: string;
  publisher: TestPublisher;
  signedMetadata: string;
  artifacts: SeededArtifact[];
}

/**
 * A published model version written straight to the database (as the registry would after all
 * uploads), signed like the CLI signs. `signer` other than `publisher` forges the metadata: the
 * row still names `publisher`'s key, as an attacker with database access could make it.
 */
export async function seedPublishedVersion(
  db: Db,
  opts: {
    model?: string;
    version?: string;
    publisher?: TestPublisher;
    signer?: Pick<TestPublisher, 'keyId' | 'privateKey'>;
    /** One artifact per entry; defaults to a single onnx-cpu-fp32. */
    variants?: Array<Partial<TModelTargetCustom>>;
    store?: ArtifactStore;
    expires?: Date;
  } = {},
): Promise<SeededVersion> {
  const model = opts.model ?? 'detector';
  const version = opts.version ?? '1.0.0';
  const publisher = opts.publisher ?? makePublisherKey();
  const artifacts = (opts.variants ?? [{}]).map((variant): SeededArtifact => {
    const custom = testCustom({ ...variant, model, version });
    const bytes = Buffer.from(`model ${artifactPath(custom)} `.repeat(64));
    return { path: artifactPath(custom), sha256: sha256Of(bytes), length: bytes.length, bytes, custom };
  });
  const signedMetadata = signVersionForTest(opts.signer ?? publisher, artifacts, { expires: opts.expires });
  await db.publisherKey.upsert({
    where: { id: publisher.keyId },
    create: {
      id: publisher.keyId,
      name: `test-${publisher.keyId.slice(0, 12)}`,
      publicKey: publisher.publicKey.keyval.public,
    },
    update: {},
  });
  const { id: modelId } = await db.model.upsert({
    where: { name: model },
    create: { id: newId('mdl'), name: model },
    update: {},
    select: { id: true },
  });
  const versionId = newId('mver');
  await db.modelVersion.create({
    data: {
      id: versionId,
      modelId,
      version,
      status: 'published',
      card: artifacts[0]?.custom.card as Prisma.InputJsonValue,
      signedMetadata,
      publisherKeyId: publisher.keyId,
      publishedAt: new Date(),
    },
  });
  await db.modelArtifact.createMany({
    data: artifacts.map((a) => ({
      id: newId('mart'),
      versionId,
      path: a.path,
      runtime: a.custom.runtime,
      accelerator: a.custom.accelerator,
      precision: a.custom.precision,
      sizeBytes: BigInt(a.length),
      sha256: a.sha256,
      tensors: a.custom.tensors,
      uploadedAt: new Date(),
    })),
  });
  if (opts.store) {
    for (const a of artifacts) await opts.store.put(Readable.from([a.bytes]), { sha256: a.sha256, length: a.length });
  }
  return { modelId, versionId, model, version, publisher, signedMetadata, artifacts };
}

/** `count` accepted devices without certificates (ids `<prefix>-<n>`), in one statement. */
export async function seedBareDevices(db: Db, count: number, prefix = newId('dev')): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await db.device.createMany({
    data: ids.map((id) => ({ id, name: id, status: 'accepted' as const, facts: {}, publicKeyPem: `test key ${id}` })),
  });
  return ids;
}
