import {
  ALERT_METRICS,
  ALERT_RULE_KINDS,
  ALERT_SEVERITIES,
  type TAlertRuleInput,
  ZAlertRuleInput,
} from '@edgefleet/protocol/health';
import type { TRolloutSelector } from '@edgefleet/protocol/rollout';
import { type Command, Option } from 'commander';
import type { Api } from '../client.ts';
import { CliError, resolveContext } from '../context.ts';
import { table } from '../output.ts';
import { collect, collectTag, parseDurationSeconds, parseNumber } from './parse.ts';
import { duration } from './rollout-view.ts';

type Rule = Awaited<ReturnType<Api['alerts']['rules']['list']['query']>>[number];

export interface RuleOptions {
  name: string;
  kind: (typeof ALERT_RULE_KINDS)[number];
  metric?: (typeof ALERT_METRICS)[number];
  op?: 'gt' | 'lt';
  threshold?: number;
  for?: number;
  severity?: (typeof ALERT_SEVERITIES)[number];
  group?: string;
  tag?: Record<string, string>;
  device?: string[];
  disabled?: boolean;
}

/** A usage mistake found after parsing: one line, exit code 2 like Commander's own. */
const usage = (message: string) => new CliError(message, 2);

const FLAG_OF: Record<string, string> = {
  name: '--name',
  metric: '--metric',
  operator: '--op',
  threshold: '--threshold',
  windowSeconds: '--for',
  selector: '--group/--tag/--device',
};

/** The flags of `alerts rules create` as the API's rule input, checked with the same schema the API uses. */
export function ruleInput(o: RuleOptions): TAlertRuleInput {
  const metricFlags = [o.metric !== undefined, o.op !== undefined, o.threshold !== undefined];
  if (o.kind === 'metric' && (o.metric === undefined || o.threshold === undefined)) {
    throw usage('--kind metric needs --metric and --threshold');
  }
  if (o.kind !== 'metric' && metricFlags.some(Boolean)) {
    throw usage(`--metric, --op and --threshold are for --kind metric, not ${o.kind}`);
  }
  const selectors = [o.group !== undefined, o.tag !== undefined, o.device !== undefined];
  if (selectors.filter(Boolean).length > 1) {
    throw usage('choose the devices with at most one of --group, --tag or --device (default: every device)');
  }
  if (o.kind === 'rollout_gate' && (selectors.some(Boolean) || o.for !== undefined)) {
    throw usage('--kind rollout_gate watches rollouts: it takes no --for, --group, --tag or --device');
  }
  const selector: TRolloutSelector =
    o.group !== undefined
      ? { kind: 'group', group: o.group }
      : o.tag
        ? { kind: 'tags', tags: o.tag }
        : o.device
          ? { kind: 'devices', deviceIds: o.device.flatMap((d) => d.split(',')).filter(Boolean) }
          : { kind: 'all' };
  const input = {
    kind: o.kind,
    name: o.name,
    selector,
    ...(o.severity ? { severity: o.severity } : {}),
    ...(o.disabled ? { enabled: false } : {}),
    ...(o.for !== undefined ? { windowSeconds: o.for } : {}),
    ...(o.kind === 'metric' ? { metric: o.metric, threshold: o.threshold, ...(o.op ? { operator: o.op } : {}) } : {}),
  };
  const parsed = ZAlertRuleInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const flag = FLAG_OF[field];
    // The schema counts seconds; say the bound in the unit the flag was given in.
    const bound =
      field === 'windowSeconds' && issue?.code === 'too_small'
        ? `at least ${duration(Number(issue.minimum))} for --kind ${o.kind}`
        : field === 'windowSeconds' && issue?.code === 'too_big'
          ? `at most ${duration(Number(issue.maximum))} for --kind ${o.kind}`
          : undefined;
    throw usage(`${flag ? `${flag}: ` : ''}${bound ?? issue?.message ?? 'invalid rule'}`);
  }
  return input as TAlertRuleInput;
}

/** "cpu_percent > 90 for 5m", "offline > 10m": the rule's condition in a few words. */
export function condition(r: Pick<Rule, 'kind' | 'metric' | 'operator' | 'threshold' | 'windowSeconds'>): string {
  switch (r.kind) {
    case 'metric':
      return `${r.metric} ${r.operator === 'lt' ? '<' : '>'} ${r.threshold} for ${duration(r.windowSeconds)}`;
    case 'device_offline':
      return `offline > ${duration(r.windowSeconds)}`;
    case 'certificate_expiry':
      return `certificate expires within ${duration(r.windowSeconds)}`;
    case 'rollout_gate':
      return 'a rollout gate tripped';
    default:
      return r.kind;
  }
}

function watches(r: Rule): string {
  if (r.kind === 'rollout_gate') return 'rollouts';
  const s = r.selector as TRolloutSelector;
  if (s.kind === 'group') return `group ${s.group}`;
  if (s.kind === 'tags')
    return Object.entries(s.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  if (s.kind === 'devices') return s.deviceIds.length === 1 ? (s.deviceIds[0] ?? '') : `${s.deviceIds.length} devices`;
  return 'all devices';
}

export function registerAlertRuleCommands(alerts: Command) {
  const rules = alerts.command('rules').description('the rules that raise alerts (three are built in)');

  rules
    .command('list')
    .description('list alert rules, built-in ones first, with their open alerts')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const list = await api.alerts.rules.list.query();
      out.data(list, () => {
        const rows = list.map((r) => ({
          id: r.id,
          name: r.name,
          condition: condition(r),
          severity: r.severity,
          watches: watches(r),
          enabled: r.enabled ? 'yes' : 'no',
          open: String(r.openAlerts),
        }));
        console.log(table(rows, ['id', 'name', 'condition', 'severity', 'watches', 'enabled', 'open']));
      });
    });

  rules
    .command('create')
    .description('create an alert rule')
    .requiredOption('--name <name>', 'what the alert says, e.g. "Hot CPU"')
    .addOption(new Option('--kind <kind>', 'what the rule watches').choices(ALERT_RULE_KINDS).makeOptionMandatory())
    .addOption(new Option('--metric <metric>', 'with --kind metric: the metric').choices(ALERT_METRICS))
    .addOption(
      new Option('--op <op>', 'with --kind metric: above (gt) or below (lt) the threshold').choices(['gt', 'lt']),
    )
    .option('--threshold <x>', 'with --kind metric: the value (error_rate in %, latencies in ms)', parseNumber)
    .option(
      '--for <duration>',
      'how long the condition must hold (metric, default 5m), offline (default 10m), or the expiry horizon (default 14d)',
      parseDurationSeconds,
    )
    .addOption(new Option('--severity <level>', 'severity of its alerts (default warning)').choices(ALERT_SEVERITIES))
    .option('--group <group>', 'only devices of this group')
    .option('--tag <key=value>', 'only devices with this tag (repeatable: all must match)', collectTag)
    .option('--device <id>', 'only this device (repeatable or comma-separated)', collect)
    .option('--disabled', 'create it disabled')
    .addHelpText(
      'after',
      `
Device rules watch every device unless one of --group, --tag or --device says otherwise.
Durations: 90s, 10m, 2h, 1d. Metrics: ${ALERT_METRICS.join(', ')}.

Examples:
  edgefleet alerts rules create --name "Hot CPU" --kind metric --metric cpu_percent --threshold 90 --for 5m \\
      --severity critical --group lab
  edgefleet alerts rules create --name "Slow inference" --kind metric --metric latency_p95_ms --threshold 250 --tag site=berlin
  edgefleet alerts rules create --name "Gone for an hour" --kind device_offline --for 1h`,
    )
    .action(async (opts: RuleOptions, cmd: Command) => {
      const input = ruleInput(opts);
      const { api, out } = await resolveContext(cmd);
      const r = await api.alerts.rules.create.mutate(input);
      out.data(r, () =>
        console.log(
          `Created rule ${r.id} "${r.name}": ${condition(r)}, ${r.severity}${r.enabled ? '' : ' (disabled)'}.`,
        ),
      );
    });

  for (const [verb, enabled, done] of [
    ['enable', true, 'Enabled'],
    ['disable', false, 'Disabled'],
  ] as const) {
    rules
      .command(verb)
      .description(enabled ? 'enable a rule' : 'disable a rule: its open alerts resolve')
      .argument('<id>', 'rule id')
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const { api, out } = await resolveContext(cmd);
        const r = await api.alerts.rules.setEnabled.mutate({ id, enabled });
        out.data(r, () => console.log(`${done} rule ${r.id} "${r.name}".`));
      });
  }

  rules
    .command('rm')
    .alias('remove')
    .description('delete a rule and its alerts (built-in rules can only be disabled)')
    .argument('<id>', 'rule id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const r = await api.alerts.rules.delete.mutate({ id });
      out.data(r, () => console.log(`Deleted rule ${r.id}.`));
    });
}
