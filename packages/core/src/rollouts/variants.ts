import { selectVariant } from '../registry/select-variant.ts';
import type { DbOrTx } from './events.ts';

/** Artifacts of one or more versions, and the choice of one per device from its reported facts. */
export interface VariantArtifact {
  path: string;
  accelerator: string;
  precision: string;
  runtime: string;
}

export type VersionArtifacts = Map<string, VariantArtifact[]>;

export async function loadArtifacts(db: DbOrTx, versionIds: Iterable<string>): Promise<VersionArtifacts> {
  const ids = [...new Set(versionIds)];
  const out: VersionArtifacts = new Map(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const rows = await db.modelArtifact.findMany({
    where: { versionId: { in: ids } },
    orderBy: { path: 'asc' },
    select: { versionId: true, path: true, accelerator: true, precision: true, runtime: true },
  });
  for (const { versionId, ...a } of rows) out.get(versionId)?.push(a);
  return out;
}

/** The accelerator kinds a device reported in its facts (cpu is implied by selectVariant). */
export function acceleratorsOf(facts: unknown): string[] {
  const list = (facts as { accelerators?: unknown } | null)?.accelerators;
  if (!Array.isArray(list)) return [];
  return list.flatMap((a) =>
    a && typeof (a as { kind?: unknown }).kind === 'string' ? [(a as { kind: string }).kind] : [],
  );
}

/**
 * Picks the artifact per device; devices with the same accelerators share one decision, so a
 * batch of a thousand costs a handful of selectVariant calls.
 */
export function variantPicker(artifacts: VariantArtifact[]): (facts: unknown) => VariantArtifact | null {
  const memo = new Map<string, VariantArtifact | null>();
  return (facts) => {
    const accelerators = acceleratorsOf(facts);
    const key = [...accelerators].sort().join(',');
    if (!memo.has(key)) memo.set(key, selectVariant(artifacts, { accelerators }));
    return memo.get(key) ?? null;
  };
}

export const noVariantReason = (facts: unknown, version: string) => {
  const accelerators = acceleratorsOf(facts);
  return `no artifact of ${version} runs on this device (accelerators: ${accelerators.length ? accelerators.join(', ') : 'cpu only'})`;
};
