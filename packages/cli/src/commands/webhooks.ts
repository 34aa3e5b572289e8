import { ALERT_SEVERITIES, type TWebhookInput, WEBHOOK_FORMATS, ZWebhookInput } from '@edgefleet/protocol/health';
import { type Command, Option } from 'commander';
import { CliError, resolveContext } from '../context.ts';
import { table, when } from '../output.ts';

interface CreateOptions {
  name: string;
  url: string;
  format?: (typeof WEBHOOK_FORMATS)[number];
  minSeverity?: (typeof ALERT_SEVERITIES)[number];
  disabled?: boolean;
}

/** Checked with the API's own schema, so a bad URL is a one-line usage error, not a server answer. */
export function webhookInput(o: CreateOptions): TWebhookInput {
  const input: TWebhookInput = {
    name: o.name,
    url: o.url,
    ...(o.format ? { format: o.format } : {}),
    ...(o.minSeverity ? { minSeverity: o.minSeverity } : {}),
    ...(o.disabled ? { enabled: false } : {}),
  };
  const parsed = ZWebhookInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue?.path[0] === 'url' ? 'URL: ' : issue?.path[0] === 'name' ? '--name: ' : '';
    throw new CliError(`${flag}${issue?.message ?? 'invalid webhook'}`, 2);
  }
  return input;
}

export function registerWebhookCommands(alerts: Command) {
  const webhooks = alerts
    .command('webhooks')
    .description('send every alert change to chat or your own service (signed; docs/alerts.md)');

  webhooks
    .command('list')
    .description('list webhooks (URLs shortened: Slack and Teams keep a credential in the path)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const list = await api.alerts.webhooks.list.query();
      out.data(list, () => {
        if (list.length === 0) return console.log('No webhooks yet. Add one with `edgefleet alerts webhooks create`.');
        const rows = list.map((w) => ({
          id: w.id,
          name: w.name,
          url: w.url,
          format: w.format,
          'min severity': w.minSeverity,
          enabled: w.enabled ? 'yes' : 'no',
          created: when(w.createdAt),
        }));
        console.log(table(rows, ['id', 'name', 'url', 'format', 'min severity', 'enabled', 'created']));
      });
    });

  webhooks
    .command('create')
    .description('add a webhook; its signing secret is printed once')
    // The URL is an argument: `--url` is the global option naming the control plane.
    .argument('<url>', 'http(s) URL the alerts are POSTed to')
    .requiredOption('--name <name>', 'what it is for, e.g. "ops channel"')
    .addOption(
      new Option('--format <format>', 'json (the EdgeFleet event) or a slack/teams message (default json)').choices(
        WEBHOOK_FORMATS,
      ),
    )
    .addOption(
      new Option('--min-severity <level>', 'only alerts at or above this severity (default info)').choices(
        ALERT_SEVERITIES,
      ),
    )
    .option('--disabled', 'create it disabled')
    .addHelpText(
      'after',
      `
Examples:
  edgefleet alerts webhooks create https://hooks.slack.com/services/T…/B…/… --name ops --format slack --min-severity warning
  edgefleet alerts webhooks create https://ops.example.com/edgefleet --name pager`,
    )
    .action(async (url: string, opts: Omit<CreateOptions, 'url'>, cmd: Command) => {
      const input = webhookInput({ ...opts, url });
      const { api, out } = await resolveContext(cmd);
      const { webhook, signingSecret } = await api.alerts.webhooks.create.mutate(input);
      out.data({ ...webhook, signingSecret }, () => {
        console.log(signingSecret);
        process.stderr.write(
          `Webhook "${webhook.name}" (${webhook.id}) created. The line above is its signing secret: ` +
            'store it now, it is not shown again.\n',
        );
      });
    });

  webhooks
    .command('test')
    .description('send a webhook.test event now; exits non-zero unless the receiver answered 2xx')
    .argument('<id>', 'webhook id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const d = await api.alerts.webhooks.test.mutate({ id });
      const http = d.responseStatus ? ` (HTTP ${d.responseStatus})` : '';
      out.data(d, () => {
        if (d.status === 'delivered') console.log(`Delivered test event ${d.id}${http}.`);
      });
      if (d.status !== 'delivered') {
        throw new CliError(`test event ${d.id} not delivered${http}: ${d.lastError ?? d.status}`);
      }
    });

  webhooks
    .command('rm')
    .alias('remove')
    .description('delete a webhook; nothing more is sent to it')
    .argument('<id>', 'webhook id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const r = await api.alerts.webhooks.delete.mutate({ id });
      out.data(r, () => console.log(`Deleted webhook ${r.id}.`));
    });
}
