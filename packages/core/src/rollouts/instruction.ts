import type { Db } from '@edgefleet/db/client';
import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import type { TDesiredModel, TDeviceInstruction } from '@edgefleet/protocol/rollout';
import type { DelegatedVersion } from './director-metadata.ts';

/** Used when the desired row has no rollout, or the rollout's gates do not say. */
export const DEFAULT_HEALTH_CHECK_SECONDS = 10;

export interface DeviceInputs {
  instruction: TDeviceInstruction;
  /** The model versions the instruction names (serving and shadow), for the targets' delegations. */
  delegated: DelegatedVersion[];
}

/**
 * Everything the signatures of `deviceIds` need, in four queries whatever their number: desired
 * rows, the versions they name (with artifacts and publisher keys), and their rollouts.
 */
export async function loadInstructionInputs(
  db: Db,
  deviceIds: string[],
  now: Date,
): Promise<Map<string, DeviceInputs>> {
  const desired = await db.deviceDesiredModel.findMany({ where: { deviceId: { in: deviceIds } } });
  const versionIds = [
    ...new Set(desired.flatMap((d) => (d.shadowVersionId ? [d.versionId, d.shadowVersionId] : [d.versionId]))),
  ];
  const rolloutIds = [...new Set(desired.flatMap((d) => (d.rolloutId ? [d.rolloutId] : [])))];
  const [versions, rollouts] = await Promise.all([
    db.modelVersion.findMany({
      where: { id: { in: versionIds } },
      select: {
        id: true,
        version: true,
        signedMetadata: true,
        model: { select: { name: true } },
        publisherKey: { select: { id: true, publicKey: true } },
        artifacts: { select: { path: true, sha256: true, sizeBytes: true } },
      },
    }),
    rolloutIds.length > 0
      ? db.rollout.findMany({ where: { id: { in: rolloutIds } }, select: { id: true, gates: true } })
      : Promise.resolve([]),
  ]);
  const byId = new Map(
    versions.map((v) => [
      v.id,
      {
        ...v,
        delegated: {
          model: v.model.name,
          version: v.version,
          publisherKeyId: v.publisherKey.id,
          publisherKeyHex: v.publisherKey.publicKey,
          metadataVersion: metadataVersion(v.signedMetadata),
        } satisfies DelegatedVersion,
      },
    ]),
  );
  const healthCheck = new Map(rollouts.map((r) => [r.id, healthCheckSeconds(r.gates)]));
  const artifact = (versionId: string, path: string) => {
    const v = byId.get(versionId);
    const a = v?.artifacts.find((x) => x.path === path);
    return v && a ? { v, a: { version: v.version, path, sha256: a.sha256, length: Number(a.sizeBytes) } } : null;
  };

  const out = new Map<string, DeviceInputs>(
    deviceIds.map((id) => [
      id,
      { instruction: { v: PROTOCOL_VERSION, deviceId: id, issuedAt: now.toISOString(), models: [] }, delegated: [] },
    ]),
  );
  for (const d of desired) {
    const target = out.get(d.deviceId);
    const serve = artifact(d.versionId, d.artifactPath);
    // Unreachable while setDesired checks artifacts and versions are immutable; never sign a guess.
    if (!target || !serve) continue;
    const shadow =
      d.shadowVersionId && d.shadowArtifactPath && d.shadowSamplePercent
        ? artifact(d.shadowVersionId, d.shadowArtifactPath)
        : null;
    const entry: TDesiredModel = {
      model: serve.v.model.name,
      ...serve.a,
      rollback: d.rollback,
      force: d.force,
      attempt: d.attempt,
      healthCheckSeconds: (d.rolloutId ? healthCheck.get(d.rolloutId) : undefined) ?? DEFAULT_HEALTH_CHECK_SECONDS,
      ...(d.rolloutId ? { rolloutId: d.rolloutId } : {}),
      ...(shadow && d.shadowSamplePercent ? { shadow: { ...shadow.a, samplePercent: d.shadowSamplePercent } } : {}),
    };
    target.instruction.models.push(entry);
    target.delegated.push(serve.v.delegated);
    if (shadow) target.delegated.push(shadow.v.delegated);
  }
  for (const { instruction } of out.values()) {
    instruction.models.sort((x, y) => (x.model < y.model ? -1 : x.model > y.model ? 1 : 0));
  }
  return out;
}

function metadataVersion(signedMetadata: string): number {
  const version = (JSON.parse(signedMetadata) as { signed?: { version?: unknown } }).signed?.version;
  return typeof version === 'number' && Number.isSafeInteger(version) ? version : 1;
}

/** `healthCheckSeconds` is kept in the rollout's gates JSON (see plan.ts). */
function healthCheckSeconds(gates: unknown): number | undefined {
  const value = (gates as { healthCheckSeconds?: unknown } | null)?.healthCheckSeconds;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}
