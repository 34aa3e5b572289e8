import type { TDiagnosticsBundle } from '@edgefleet/protocol/health';
import { when } from '../output.ts';

/** How `edgefleet devices diagnostics` shows a bundle: a few lines; the whole of it goes to --out or --json. */

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * "detector 1.2.0" for each model in the bundle. `models` is the agent's own shape (protocol
 * types it `unknown`): what is serving, else what the slots say is installed.
 */
export function bundleModels(models: unknown): string[] {
  const serving =
    isRecord(models) && Array.isArray(models.serving) ? models.serving : Array.isArray(models) ? models : [];
  const fromList = serving.filter(isRecord).flatMap((m) => {
    const version = str(m.version) ?? (isRecord(m.serving) ? str(m.serving.version) : undefined);
    const model = str(m.model);
    return model ? [`${model} ${version ?? '(not serving)'}${isRecord(m.shadow) ? ' + shadow' : ''}`] : [];
  });
  if (fromList.length > 0) return fromList;
  const installed = isRecord(models) && isRecord(models.installed) ? models.installed.models : undefined;
  if (!isRecord(installed)) return [];
  return Object.entries(installed).map(([name, m]) => {
    const slot = isRecord(m) ? str(m.serving) : undefined;
    const slots = isRecord(m) && isRecord(m.slots) ? m.slots : {};
    const version = slot && isRecord(slots[slot]) ? str(slots[slot].version) : undefined;
    return `${name} ${version ?? '(not serving)'}`;
  });
}

export function bundleSummary(
  view: { id: string; deviceId: string; uploadedAt: Date | string | null; sizeBytes: number | null },
  b: TDiagnosticsBundle,
): string[] {
  const kib = Math.max(1, Math.round((view.sizeBytes ?? 0) / 1024));
  const lastError = b.recentErrors.at(-1);
  const lines: [string, string][] = [
    ['agent', b.agentVersion],
    ['collected', when(b.collectedAt)],
    ['log lines', String(b.logTail.length)],
    [
      'recent errors',
      `${b.recentErrors.length}${lastError ? ` (last ${when(lastError.ts)}: ${lastError.message.split('\n')[0]})` : ''}`,
    ],
    ['models', bundleModels(b.models).join(', ') || 'none'],
  ];
  if (b.telemetryQueue) {
    lines.push(['telemetry queue', `${b.telemetryQueue.depth} waiting, ${b.telemetryQueue.dropped} dropped`]);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  return [
    `${view.id}  ${view.deviceId}  uploaded ${when(view.uploadedAt)} (${kib} KiB)`,
    ...lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
  ];
}
