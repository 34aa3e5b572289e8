import type { Db, Prisma } from '@edgefleet/db/client';
import type { TModelCard, TTensorSignature } from '@edgefleet/protocol/registry';
import { compareSemver } from '@edgefleet/protocol/semver';
import { DomainError } from '../errors.ts';
import { verifySignedVersion } from './signed-metadata.ts';

/** Read side of the registry: only published versions exist for readers. */
export interface ModelSummary {
  name: string;
  description: string;
  task: string | null;
  labels: Prisma.JsonValue;
  latestVersion: string;
  versionCount: number;
  updatedAt: Date;
}

export interface ArtifactView {
  path: string;
  runtime: string;
  accelerator: string;
  precision: string;
  sizeBytes: number;
  sha256: string;
  memoryBytes: number | null;
  tensors: TTensorSignature;
  smokeTest: Prisma.JsonValue | null;
}

export interface VersionView {
  id: string;
  version: string;
  publishedAt: Date;
  changelog: string | null;
  card: TModelCard;
  publisherKey: { id: string; name: string; revoked: boolean };
  /** The stored signed bytes verify against the publisher key and match the stored artifacts. */
  signatureVerified: boolean;
  sizeBytes: number;
  artifacts: ArtifactView[];
}

export interface ModelDetail extends Omit<ModelSummary, 'latestVersion' | 'versionCount'> {
  latestVersion: string;
  versions: VersionView[];
}

const published = { status: 'published' } as const;

export async function listModels(db: Db): Promise<ModelSummary[]> {
  const rows = await db.model.findMany({
    where: { versions: { some: published } },
    orderBy: { name: 'asc' },
    select: {
      name: true,
      description: true,
      task: true,
      labels: true,
      updatedAt: true,
      versions: { where: published, select: { version: true } },
    },
  });
  return rows.map(({ versions, ...m }) => ({
    ...m,
    latestVersion:
      versions
        .map((v) => v.version)
        .sort(compareSemver)
        .at(-1) ?? '',
    versionCount: versions.length,
  }));
}

export async function getModel(db: Db, name: string): Promise<ModelDetail> {
  const row = await db.model.findUnique({
    where: { name },
    select: {
      name: true,
      description: true,
      task: true,
      labels: true,
      updatedAt: true,
      versions: {
        where: published,
        select: {
          id: true,
          version: true,
          publishedAt: true,
          changelog: true,
          card: true,
          signedMetadata: true,
          publisherKey: { select: { id: true, name: true, publicKey: true, revokedAt: true } },
          artifacts: { orderBy: { path: 'asc' } },
        },
      },
    },
  });
  if (!row || row.versions.length === 0) throw new DomainError('NOT_FOUND', `No published model named "${name}"`);
  const versions = row.versions
    .map((v): VersionView => {
      const artifacts = v.artifacts.map(
        (a): ArtifactView => ({
          path: a.path,
          runtime: a.runtime,
          accelerator: a.accelerator,
          precision: a.precision,
          sizeBytes: Number(a.sizeBytes),
          sha256: a.sha256,
          memoryBytes: a.memoryBytes === null ? null : Number(a.memoryBytes),
          tensors: a.tensors as TTensorSignature,
          smokeTest: a.smokeTest,
        }),
      );
      const publishedAt = v.publishedAt ?? new Date(0);
      return {
        id: v.id,
        version: v.version,
        publishedAt,
        changelog: v.changelog,
        card: v.card as TModelCard,
        publisherKey: { id: v.publisherKey.id, name: v.publisherKey.name, revoked: v.publisherKey.revokedAt !== null },
        signatureVerified: signatureHolds(v.signedMetadata, v.publisherKey, artifacts, publishedAt),
        sizeBytes: artifacts.reduce((n, a) => n + a.sizeBytes, 0),
        artifacts,
      };
    })
    .sort((a, b) => compareSemver(b.version, a.version));
  const { versions: _rows, ...model } = row;
  return { ...model, latestVersion: versions[0]?.version ?? '', versions };
}

/** The exact signed bytes of a published version, for devices and the CLI to verify on their own. */
export async function getSignedMetadata(
  db: Db,
  name: string,
  version: string,
): Promise<{ versionId: string; signedMetadata: string; publisherKeyId: string }> {
  const row = await db.modelVersion.findFirst({
    where: { model: { name }, version, ...published },
    select: { id: true, signedMetadata: true, publisherKeyId: true },
  });
  if (!row) throw new DomainError('NOT_FOUND', `No published version ${name}@${version}`);
  return { versionId: row.id, signedMetadata: row.signedMetadata, publisherKeyId: row.publisherKeyId };
}

/**
 * Re-verifies what was stored, as of its publication (revocation is reported separately), and
 * checks the artifact rows still say what the signature says.
 */
function signatureHolds(
  json: string,
  key: { id: string; publicKey: string },
  artifacts: ArtifactView[],
  at: Date,
): boolean {
  try {
    const signed = verifySignedVersion(json, [{ id: key.id, publicKey: key.publicKey }], at);
    const rows = new Map(artifacts.map((a) => [a.path, a]));
    return (
      signed.targets.length === artifacts.length &&
      signed.targets.every((t) => rows.get(t.path)?.sha256 === t.sha256 && rows.get(t.path)?.sizeBytes === t.length)
    );
  } catch {
    return false;
  }
}

/** Size of a blob that belongs to a published version; null while its upload is in progress, or unknown. */
export async function publishedArtifactSize(db: Db, sha256: string): Promise<number | null> {
  const artifact = await db.modelArtifact.findFirst({
    where: { sha256, uploadedAt: { not: null }, version: { status: 'published' } },
    select: { sizeBytes: true },
  });
  return artifact ? Number(artifact.sizeBytes) : null;
}
