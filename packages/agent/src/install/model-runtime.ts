import type { TModelTargetCustom } from '@edgefleet/protocol/registry';
import type { TInferenceStats, TShadowStats } from '@edgefleet/protocol/rollout';

/**
 * The part of the inference ModelServer the installer drives. The installer never looks inside a
 * prepared model: it only hands it back to activate/setShadow, so `Prepared` stays opaque and the
 * real ModelServer (or a test fake) fits without adapters.
 */
export interface ModelRuntime<Prepared = unknown> {
  /** Loads `file` and runs the version's smoke test; throws with the reason if it fails. Serves nothing yet. */
  prepare(model: string, version: string, file: string, target: TModelTargetCustom): Promise<Prepared>;
  /** Serves `prepared` from now on; in-flight requests finish on the old session, which is then unloaded. */
  activate(model: string, prepared: Prepared): Promise<void>;
  /** Mirrors a sample of live requests to `prepared` without serving its answers; null stops. */
  setShadow(model: string, prepared: Prepared | null, samplePercent?: number): Promise<void>;
  unload(model: string): Promise<void>;
  /** Releases a prepared model that will not be activated or shadowed after all. */
  discard?(prepared: Prepared): Promise<void>;
  report(model: string): { stats: TInferenceStats[]; shadow?: TShadowStats };
  /** Preflight, before any download: why no backend here can run this artifact, or null when one can. */
  unsupported?(target: Pick<TModelTargetCustom, 'runtime' | 'accelerator'>): Promise<string | null>;
}
