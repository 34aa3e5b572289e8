import type { ROLLOUT_STATUSES } from '@edgefleet/protocol/rollout';
import type { Api } from '../client.ts';
import { CliError } from '../context.ts';
import { type Output, table, when } from '../output.ts';

/** How `edgefleet rollouts` shows a rollout: counts, progress bars, phases, and waiting on one. */

export type Status = (typeof ROLLOUT_STATUSES)[number];
export type Detail = Awaited<ReturnType<Api['rollouts']['get']['query']>>;
type Counts = Detail['counts'];

export const FINISHED: readonly Status[] = ['completed', 'failed', 'aborted', 'rolled_back'];
const IN_FLIGHT = ['notified', 'downloading', 'verifying', 'installing', 'health_check'] as const;

/** The figures people read: done, failed (incl. timed out), in flight, waiting. */
export function tally(c: Counts) {
  const failed = c.failed + c.timed_out;
  const inFlight = IN_FLIGHT.reduce((n, s) => n + c[s], 0);
  const total = Object.entries(c).reduce((n, [s, k]) => (s === 'skipped' ? n : n + k), 0);
  return {
    total,
    succeeded: c.succeeded,
    failed,
    inFlight,
    waiting: c.queued + c.shadowing,
    rolledBack: c.rolled_back,
  };
}

export function summaryLine(c: Counts): string {
  const t = tally(c);
  const parts = [`${t.succeeded}/${t.total} succeeded`];
  if (t.failed) parts.push(`${t.failed} failed`);
  if (t.inFlight) parts.push(`${t.inFlight} in progress`);
  if (t.waiting) parts.push(`${t.waiting} waiting`);
  if (t.rolledBack) parts.push(`${t.rolledBack} rolled back`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  return parts.join(', ');
}

export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
}

export const phaseName = (r: Detail) =>
  r.currentPhase < 0 ? 'shadow phase' : `phase ${Math.min(r.currentPhase + 1, r.phaseCount)}/${r.phaseCount}`;

export function printStatus(r: Detail) {
  const reason = r.statusReason ? `: ${r.statusReason}` : '';
  console.log(
    `${r.id}  ${r.model} ${r.version}  ${r.status}${FINISHED.includes(r.status) ? '' : `, ${phaseName(r)}`}${reason}`,
  );
  console.log(
    `created ${when(r.createdAt)}${r.createdBy ? ` by ${r.createdBy}` : ''}; on failure ${r.onFailure}; ` +
      `${r.deviceCount} device(s)${r.counts.skipped ? ` + ${r.counts.skipped} skipped (pinned)` : ''}`,
  );
  console.log(summaryLine(r.counts));
  const now = Date.now();
  const rows = r.phases.map((p) => {
    const t = tally(p.counts);
    // The shadow phase is done when its time is up; an install phase when its devices succeeded.
    const shadowDone =
      p.status === 'passed' ? 1 : p.status === 'pending' ? 0 : elapsed(r.phaseStartedAt, now) / p.soakSeconds;
    const progress =
      p.index < 0
        ? `${progressBar(Math.min(1, shadowDone) * 100, 100)} of ${duration(p.soakSeconds)} in shadow`
        : `${progressBar(t.succeeded, t.total)} ${summaryLine(p.counts)}`;
    const soakLeft = r.phaseDoneAt ? p.soakSeconds - elapsed(r.phaseDoneAt, now) : 0;
    return {
      phase: p.index < 0 ? 'shadow' : String(p.index + 1),
      share: p.label,
      devices: String(t.total),
      progress,
      status: p.status === 'soaking' && soakLeft > 0 ? `soaking, ${duration(soakLeft)} left` : p.status,
    };
  });
  if (rows.length) console.log(`\n${table(rows, ['phase', 'share', 'devices', 'progress', 'status'])}`);
  const events = r.events.slice(0, 5);
  if (events.length) {
    console.log('\nrecent events:');
    for (const e of events) console.log(`  ${when(e.at)}  ${e.kind}  ${e.message}${e.actor ? ` (${e.actor})` : ''}`);
  }
}

const elapsed = (since: Date | string, now: number) => Math.max(0, (now - new Date(since).getTime()) / 1000);

/** `45s`, `12m`, `3h 5m`, `2d 4h`: rounded for reading, not for arithmetic. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${s % 3600 >= 60 ? ` ${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86_400)}d${s % 86_400 >= 3600 ? ` ${Math.floor((s % 86_400) / 3600)}h` : ''}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until the rollout finishes, printing a line whenever its progress changes. Resolves with
 * the last detail when it completed; anything else that ends it (or the wait timing out) is a
 * one-line error and a non-zero exit.
 */
export async function waitForRollout(
  api: Api,
  out: Output,
  id: string,
  opts: { intervalMs: number; timeoutMs?: number },
) {
  const started = Date.now();
  let last = '';
  for (;;) {
    const r = await api.rollouts.get.query({ id });
    const line =
      r.status === 'running' || r.status === 'paused'
        ? `${r.status}, ${phaseName(r)}: ${summaryLine(r.counts)}${r.status === 'paused' && r.statusReason ? ` (${r.statusReason})` : ''}`
        : `${r.status}: ${summaryLine(r.counts)}`;
    if (line !== last) out.info(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
    last = line;
    if (r.status === 'completed') return r;
    if (FINISHED.includes(r.status)) {
      throw new CliError(`rollout ${id} ${r.status.replace('_', ' ')}${r.statusReason ? `: ${r.statusReason}` : ''}`);
    }
    if (opts.timeoutMs !== undefined && Date.now() - started >= opts.timeoutMs) {
      throw new CliError(`rollout ${id} still ${r.status} after the --wait-timeout; it keeps going`);
    }
    await sleep(opts.intervalMs);
  }
}
