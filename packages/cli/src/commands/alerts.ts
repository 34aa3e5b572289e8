import { ALERT_SEVERITIES, ALERT_STATES } from '@edgefleet/protocol/health';
import { type Command, Option } from 'commander';
import { resolveContext } from '../context.ts';
import { table, when } from '../output.ts';
import { registerAlertRuleCommands } from './alert-rules.ts';
import { parsePositiveInt } from './parse.ts';
import { registerWebhookCommands } from './webhooks.ts';

type State = (typeof ALERT_STATES)[number] | 'open';
type Severity = (typeof ALERT_SEVERITIES)[number];

interface ListOptions {
  state: State | 'all';
  severity?: Severity;
  device?: string;
  rule?: string;
  limit: number;
  cursor?: string;
}

export function registerAlertCommands(program: Command) {
  const alerts = program
    .command('alerts')
    .description('what is wrong in the fleet now: alerts, the rules that raise them, webhooks that carry them');

  alerts
    .command('list')
    .description('list alerts, newest first (open ones unless --state says otherwise)')
    .addOption(
      new Option('--state <state>', 'firing, acknowledged, resolved, open (firing or acknowledged) or all')
        .choices([...ALERT_STATES, 'open', 'all'])
        .default('open'),
    )
    .addOption(new Option('--severity <level>', 'only alerts of this severity').choices(ALERT_SEVERITIES))
    .option('--device <id>', 'only alerts on this device')
    .option('--rule <id>', 'only alerts raised by this rule')
    .option('--limit <n>', 'at most this many (max 200)', parsePositiveInt, 50)
    .option('--cursor <cursor>', 'continue after a previous page (printed when there is more)')
    .action(async (opts: ListOptions, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const page = await api.alerts.list.query({
        ...(opts.state === 'all' ? {} : { state: opts.state }),
        ...(opts.severity ? { severity: opts.severity } : {}),
        ...(opts.device ? { deviceId: opts.device } : {}),
        ...(opts.rule ? { ruleId: opts.rule } : {}),
        limit: Math.min(opts.limit, 200),
        cursor: opts.cursor ?? null,
      });
      out.data(page, () => {
        if (page.items.length === 0) return console.log('No alerts match.');
        const rows = page.items.map((a) => ({
          id: a.id,
          severity: a.severity,
          state: a.state,
          rule: a.rule.name,
          subject: a.subjectName ?? a.subjectId,
          summary: a.summary,
          fired: when(a.firedAt),
        }));
        console.log(table(rows, ['id', 'severity', 'state', 'fired', 'subject', 'rule', 'summary']));
        if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
      });
    });

  alerts
    .command('ack')
    .alias('acknowledge')
    .description('acknowledge a firing alert: someone is on it (it still resolves by itself)')
    .argument('<id>', 'alert id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const a = await api.alerts.acknowledge.mutate({ id });
      out.data(a, () => console.log(`Acknowledged ${a.id} (${a.rule.name}): ${a.summary}.`));
    });

  registerAlertRuleCommands(alerts);
  registerWebhookCommands(alerts);
}
