import { randomBytes } from 'node:crypto';
import type { Db, Prisma } from '@edgefleet/db/client';
import {
  type TCreateVersionResponse,
  type TModelTargetCustom,
  ZCreateVersionRequest,
} from '@edgefleet/protocol/registry';
import type { z } from 'zod';
import type { Principal } from '../access.ts';
import { DomainError } from '../errors.ts';
import { parseOrInvalid } from '../identity/refusals.ts';
import { type Clock, systemClock } from '../tokens.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { verificationKeys } from './publisher-keys.ts';
import { type VerifiedVersion, verifySignedVersion } from './signed-metadata.ts';

/**
 * Publishing is two steps: createVersion accepts signed metadata (verified before anything is
 * written) and records the version as `uploading`; uploadArtifact streams each artifact's bytes,
 * checked against the signed length and hash. The last upload publishes the version, after
 * which it never changes. Until then it is invisible to readers.
 */
export interface VersionDeps {
  db: Db;
  /** When given, artifacts whose bytes are already stored (same sha256) need no upload. */
  store?: ArtifactStore;
  clock?: Clock;
}

export type TCreateVersionRequest = z.input<typeof ZCreateVersionRequest>;

const newId = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
export const uploadUrl = (versionId: string, sha256: string) =>
  `/api/registry/versions/${versionId}/artifacts/${sha256}`;
const isUniqueViolation = (e: unknown) => (e as { code?: string } | null)?.code === 'P2002';

export async function createVersion(
  deps: VersionDeps,
  actor: Principal,
  req: TCreateVersionRequest,
): Promise<TCreateVersionResponse> {
  const { db } = deps;
  const now = (deps.clock ?? systemClock).now();
  const { signedMetadata, changelog } = parseOrInvalid(ZCreateVersionRequest, req);
  const verified = verifySignedVersion(signedMetadata, await verificationKeys(db), now);
  const stored = deps.store;
  const present = new Set<string>();
  if (stored) {
    for (const t of verified.targets) if (await stored.has(t.sha256)) present.add(t.sha256);
  }
  try {
    const versionId = await db.$transaction(async (tx) => {
      const model = await tx.model.upsert({
        where: { name: verified.model },
        create: { id: newId('mdl'), name: verified.model },
        update: {},
        select: { id: true },
      });
      const where = { modelId_version: { modelId: model.id, version: verified.version } };
      const existing = await tx.modelVersion.findUnique({
        where,
        select: { id: true, status: true, signedMetadata: true },
      });
      if (existing?.status === 'published') {
        throw new DomainError(
          'CONFLICT',
          `${verified.model}@${verified.version} is already published; versions are immutable, publish a new version`,
          { versionId: existing.id },
        );
      }
      // The same signed bytes again: an interrupted publish resumes where it stopped.
      if (existing && existing.signedMetadata === signedMetadata) {
        if (changelog !== undefined) await tx.modelVersion.update({ where: { id: existing.id }, data: { changelog } });
        return existing.id;
      }
      // Different metadata for a version nobody can see yet replaces it (its artifacts cascade).
      if (existing) await tx.modelVersion.delete({ where: { id: existing.id } });
      const id = newId('mver');
      await tx.modelVersion.create({
        data: {
          id,
          modelId: model.id,
          version: verified.version,
          status: 'uploading',
          changelog: changelog ?? null,
          card: verified.targets[0]?.custom.card as Prisma.InputJsonValue,
          signedMetadata,
          publisherKeyId: verified.keyId,
          createdById: actor.userId,
        },
      });
      await tx.modelArtifact.createMany({ data: verified.targets.map((t) => artifactRow(id, t, present, now)) });
      return id;
    });
    await publishIfComplete(db, versionId, now);
    return await uploadsFor(db, versionId, verified);
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new DomainError('CONFLICT', `${verified.model}@${verified.version} is being published concurrently`);
    }
    throw e;
  }
}

function artifactRow(
  versionId: string,
  t: VerifiedVersion['targets'][number],
  present: Set<string>,
  now: Date,
): Prisma.ModelArtifactCreateManyInput {
  const c: TModelTargetCustom = t.custom;
  return {
    id: newId('mart'),
    versionId,
    path: t.path,
    runtime: c.runtime,
    accelerator: c.accelerator,
    precision: c.precision,
    sizeBytes: BigInt(t.length),
    sha256: t.sha256,
    memoryBytes: c.memoryBytes === undefined ? null : BigInt(c.memoryBytes),
    tensors: c.tensors,
    smokeTest: c.smokeTest ?? undefined,
    uploadedAt: present.has(t.sha256) ? now : null,
  };
}

async function uploadsFor(db: Db, versionId: string, v: VerifiedVersion): Promise<TCreateVersionResponse> {
  const missing = await db.modelArtifact.findMany({
    where: { versionId, uploadedAt: null },
    orderBy: { path: 'asc' },
    select: { path: true, sha256: true, sizeBytes: true },
  });
  return {
    versionId,
    model: v.model,
    version: v.version,
    uploads: missing.map((a) => ({
      path: a.path,
      sha256: a.sha256,
      length: Number(a.sizeBytes),
      uploadUrl: uploadUrl(versionId, a.sha256),
    })),
  };
}

/**
 * Streams one artifact into the store, refusing bytes that differ from the signed length or hash
 * (the store then keeps nothing). When it was the last missing artifact, the version is published.
 */
export async function uploadArtifact(
  deps: { db: Db; store: ArtifactStore; clock?: Clock },
  _actor: Principal,
  versionId: string,
  sha256: string,
  body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
): Promise<{ published: boolean }> {
  const { db, store } = deps;
  const version = await db.modelVersion.findUnique({
    where: { id: versionId },
    select: {
      status: true,
      publisherKey: { select: { name: true, revokedAt: true } },
      artifacts: { where: { sha256 }, select: { sizeBytes: true, uploadedAt: true } },
    },
  });
  if (!version) throw new DomainError('NOT_FOUND', `No model version ${versionId} is being published`);
  const artifact = version.artifacts[0];
  if (!artifact) throw new DomainError('NOT_FOUND', `Version ${versionId} has no artifact with sha256 ${sha256}`);
  // A retry after success (the answer was lost) finds nothing left to do.
  if (version.status === 'published' || version.artifacts.every((a) => a.uploadedAt)) {
    return { published: version.status === 'published' };
  }
  if (version.publisherKey.revokedAt) {
    throw new DomainError('FORBIDDEN', `publisher key ${version.publisherKey.name} was revoked; sign with another key`);
  }
  await store.put(body, { sha256, length: Number(artifact.sizeBytes) });
  const now = (deps.clock ?? systemClock).now();
  await db.modelArtifact.updateMany({ where: { versionId, sha256, uploadedAt: null }, data: { uploadedAt: now } });
  return { published: await publishIfComplete(db, versionId, now) };
}

/** Publishes the version once every artifact is stored; true when it is (now or already) published. */
async function publishIfComplete(db: Db, versionId: string, now: Date): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const missing = await tx.modelArtifact.count({ where: { versionId, uploadedAt: null } });
    if (missing > 0) return false;
    const done = await tx.modelVersion.updateMany({
      where: { id: versionId, status: 'uploading' },
      data: { status: 'published', publishedAt: now },
    });
    const version = await tx.modelVersion.findUnique({
      where: { id: versionId },
      select: { status: true, modelId: true, card: true },
    });
    if (done.count === 1 && version) {
      // The model's description and task follow its newest published card.
      const card = (version.card ?? {}) as { description?: string; task?: string };
      await tx.model.update({
        where: { id: version.modelId },
        data: {
          ...(card.description ? { description: card.description } : {}),
          task: card.task ?? undefined,
          updatedAt: now,
        },
      });
    }
    return version?.status === 'published';
  });
}
