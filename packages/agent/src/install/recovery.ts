import type { InstallState, ModelState, SlotName } from './slots.ts';

export interface CrashPolicy {
  /** An unclean start within this long of a switch counts towards the crash loop, as does one in health check. */
  windowMs: number;
  /** Unclean starts that make the agent revert to the previous slot. */
  maxStarts: number;
}

export const DEFAULT_CRASH_POLICY: CrashPolicy = { windowMs: 10 * 60_000, maxStarts: 3 };

export interface Recovery {
  state: InstallState;
  /** Half-installed slots to delete from disk. */
  discard: { model: string; slot: SlotName }[];
  /** Human-readable lines for the log. */
  notes: string[];
}

/**
 * What a start makes of the state it finds, pure. A slot that was being installed into is
 * discarded (never loaded half-written). When the last run did not stop cleanly it counts a
 * restart, and a crash start when it follows a switch closely (in health check, or inside the
 * crash window); the `maxStarts`-th crash start reverts to the previous slot, records the
 * version as failed for its attempt, and reports it `rolled_back` ("crash loop").
 */
export function recover(found: InstallState, opts: { crashed: boolean; now: Date; policy: CrashPolicy }): Recovery {
  const state = structuredClone(found);
  const discard: Recovery['discard'] = [];
  const notes: string[] = [];
  const at = opts.now.toISOString();
  for (const [model, ms] of Object.entries(state.models)) {
    if (ms.installing) {
      discard.push({ model, slot: ms.installing });
      notes.push(`${model}: discarded slot ${ms.installing}, its install was interrupted`);
      delete ms.slots[ms.installing];
      if (ms.previous === ms.installing) delete ms.previous;
      delete ms.installing;
    }
    if (!opts.crashed) continue;
    if (ms.serving) ms.restarts += 1;
    const sw = ms.switch;
    if (!sw) continue;
    const recent = opts.now.getTime() - Date.parse(sw.at) < opts.policy.windowMs;
    if (sw.healthy && !recent) {
      ms.crashStarts = 0;
      continue;
    }
    ms.crashStarts += 1;
    notes.push(
      `${model}: restart ${ms.crashStarts} of ${opts.policy.maxStarts} shortly after switching to ${sw.version}`,
    );
    if (ms.crashStarts >= opts.policy.maxStarts) revert(model, ms, opts, at, notes);
  }
  return { state, discard, notes };
}

function revert(model: string, ms: ModelState, opts: { policy: CrashPolicy }, at: string, notes: string[]): void {
  const sw = ms.switch;
  if (!sw) return;
  const back = ms.previous ? ms.slots[ms.previous] : undefined;
  const minutes = Math.round(opts.policy.windowMs / 60_000);
  const reason =
    `crash loop: the agent restarted ${ms.crashStarts} times within ${minutes} min of switching to ${sw.version}; ` +
    (back ? `serving ${back.version} again` : 'nothing to go back to, the model is not served');
  ms.failed = [...ms.failed, { version: sw.version, attempt: sw.attempt, rolloutId: sw.rolloutId, reason, at }].slice(
    -32,
  );
  if (back && ms.previous) {
    ms.serving = ms.previous;
    ms.servingSince = at;
  } else {
    delete ms.serving;
    delete ms.servingSince;
  }
  // The crashed version stays installed in its slot (a retry needs no download) but is no rollback target.
  delete ms.previous;
  delete ms.switch;
  ms.crashStarts = 0;
  ms.restarts = 0;
  ms.install = { version: sw.version, step: 'rolled_back', reason, attempt: sw.attempt };
  notes.push(`${model}: ${reason}`);
}
