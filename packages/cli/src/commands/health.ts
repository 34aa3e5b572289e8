import type { Command } from 'commander';
import type { Api } from '../client.ts';
import { resolveContext } from '../context.ts';
import { summaryLine } from './rollout-view.ts';

type Overview = Awaited<ReturnType<Api['health']['overview']['query']>>;
type Severities = Overview['alerts']['firing'];

const bySeverity = (s: Severities) =>
  (['critical', 'warning', 'info'] as const)
    .filter((k) => s[k] > 0)
    .map((k) => `${s[k]} ${k}`)
    .join(', ');

/** The health page in a few lines; the groups and problem devices are in --json and on the dashboard. */
export function overviewLines(o: Overview): string[] {
  const d = o.devices;
  const a = o.alerts;
  const never = d.neverSeen ? ` (${d.neverSeen} never seen)` : '';
  const firing = a.firingTotal ? `${a.firingTotal} firing (${bySeverity(a.firing)})` : 'none firing';
  const lines = [
    `devices   ${d.accepted} accepted: ${d.online} online, ${d.offline} offline${never}; ${d.pending} pending approval`,
    `alerts    ${firing}, ${a.acknowledgedTotal} acknowledged`,
    `models    ${o.models.map((m) => `${m.model} ${m.version} on ${m.devices} (${m.online} online)`).join(', ') || 'none in service'}`,
    `rollouts  ${o.rollouts.active} active`,
  ];
  for (const r of o.rollouts.items)
    lines.push(`  ${r.id}  ${r.model} ${r.version}  ${r.status}: ${summaryLine(r.counts)}`);
  return lines;
}

export function registerHealthCommand(program: Command) {
  program
    .command('health')
    .description('the fleet at a glance: devices online, firing alerts, models in service, active rollouts')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const o = await api.health.overview.query();
      out.data(o, () => console.log(overviewLines(o).join('\n')));
    });
}
