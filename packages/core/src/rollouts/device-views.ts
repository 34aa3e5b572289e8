import type { Db } from '@edgefleet/db/client';
import { compareSemver } from '@edgefleet/protocol/semver';
import { DomainError } from '../errors.ts';

/** Per-device and per-model views of what should run and what runs (device page, model page). */

export interface DeviceModelView {
  model: string;
  desired: { version: string; shadowVersion: string | null; rollback: boolean; rolloutId: string | null } | null;
  installed: {
    servingVersion: string | null;
    previousVersion: string | null;
    shadowVersion: string | null;
    installVersion: string | null;
    installStep: string | null;
    installReason: string | null;
    updatedAt: Date;
  } | null;
  /** The pin holding the device on the model (its own, else its group's). */
  pin: { id: string; version: string } | null;
}

export async function deviceModels(db: Db, deviceId: string): Promise<DeviceModelView[]> {
  const device = await db.device.findUnique({ where: { id: deviceId }, select: { id: true } });
  if (!device) throw new DomainError('NOT_FOUND', `No device with id ${deviceId}`);
  const [desired, installed, pins] = await Promise.all([
    db.$queryRaw<
      Array<{
        model: string;
        version: string;
        shadowVersion: string | null;
        rollback: boolean;
        rolloutId: string | null;
      }>
    >`
      SELECT m."name" AS "model", v."version", sv."version" AS "shadowVersion", dd."rollback", dd."rolloutId"
      FROM "device_desired_models" dd
      JOIN "models" m ON m."id" = dd."modelId"
      JOIN "model_versions" v ON v."id" = dd."versionId"
      LEFT JOIN "model_versions" sv ON sv."id" = dd."shadowVersionId"
      WHERE dd."deviceId" = ${deviceId}`,
    db.deviceInstalledModel.findMany({ where: { deviceId } }),
    db.$queryRaw<Array<{ model: string; id: string; version: string }>>`
      SELECT DISTINCT ON (p."modelId") m."name" AS "model", p."id", v."version"
      FROM "devices" d
      JOIN "device_pins" p ON p."deviceId" = d."id" OR p."groupId" IS NOT NULL
      JOIN "models" m ON m."id" = p."modelId"
      JOIN "model_versions" v ON v."id" = p."versionId"
      LEFT JOIN "device_groups" g ON g."id" = p."groupId"
      WHERE d."id" = ${deviceId}
        AND (p."deviceId" = d."id" OR CASE
          WHEN g."selector" IS NULL OR jsonb_typeof(g."selector") <> 'object' OR g."selector" = '{}'::jsonb
            THEN COALESCE(d."groupId" = p."groupId", false)
          ELSE d."tags" @> g."selector" END)
      ORDER BY p."modelId", (p."deviceId" IS NULL), p."id"`,
  ]);
  const names = new Set([
    ...desired.map((d) => d.model),
    ...installed.map((i) => i.model),
    ...pins.map((p) => p.model),
  ]);
  return [...names].sort().map((model) => {
    const d = desired.find((x) => x.model === model);
    const i = installed.find((x) => x.model === model);
    const p = pins.find((x) => x.model === model);
    return {
      model,
      desired: d
        ? { version: d.version, shadowVersion: d.shadowVersion, rollback: d.rollback, rolloutId: d.rolloutId }
        : null,
      installed: i
        ? {
            servingVersion: i.servingVersion,
            previousVersion: i.previousVersion,
            shadowVersion: i.shadowVersion,
            installVersion: i.installVersion,
            installStep: i.installStep,
            installReason: i.installReason,
            updatedAt: i.updatedAt,
          }
        : null,
      pin: p ? { id: p.id, version: p.version } : null,
    };
  });
}

export interface ModelDeployment {
  version: string;
  /** Devices reporting they serve it. */
  serving: number;
  /** Devices whose desired state names it. */
  desired: number;
}

/** Per version of the model, newest first: how many devices serve it and how many should. */
export async function modelDeployments(db: Db, modelName: string): Promise<ModelDeployment[]> {
  const model = await db.model.findUnique({ where: { name: modelName }, select: { id: true } });
  if (!model) throw new DomainError('NOT_FOUND', `No model named "${modelName}"`);
  const [serving, desired] = await Promise.all([
    db.deviceInstalledModel.groupBy({
      by: ['servingVersion'],
      where: { model: modelName, servingVersion: { not: null } },
      _count: { _all: true },
    }),
    db.$queryRaw<Array<{ version: string; n: number }>>`
      SELECT v."version", count(*)::int AS "n"
      FROM "device_desired_models" dd JOIN "model_versions" v ON v."id" = dd."versionId"
      WHERE dd."modelId" = ${model.id}
      GROUP BY v."version"`,
  ]);
  const out = new Map<string, ModelDeployment>();
  const entry = (version: string) => {
    const e = out.get(version) ?? { version, serving: 0, desired: 0 };
    out.set(version, e);
    return e;
  };
  for (const s of serving) if (s.servingVersion) entry(s.servingVersion).serving = s._count._all;
  for (const d of desired) entry(d.version).desired = d.n;
  return [...out.values()].sort((a, b) => compareSemver(b.version, a.version));
}
