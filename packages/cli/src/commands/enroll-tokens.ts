import type { Command } from 'commander';
import { resolveContext } from '../context.ts';
import { table, when } from '../output.ts';
import { collectTag, parseDurationHours, parsePositiveInt } from './parse.ts';

interface CreateOptions {
  group: string;
  tag?: Record<string, string>;
  uses?: number;
  expires?: number;
  autoApprove?: boolean;
  preauthorizedOnly?: boolean;
  name?: string;
}

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export function registerEnrollTokenCommands(program: Command) {
  const tokens = program
    .command('enroll-tokens')
    .description('manage enrollment tokens that let devices join the fleet');

  tokens
    .command('create')
    .description('create an enrollment token; the token is printed once')
    .requiredOption('--group <group>', 'group the enrolled devices join (created if new)')
    .option('--tag <key=value>', 'tag every enrolled device (repeatable)', collectTag)
    .option('--uses <n>', 'how many devices may enroll with it (default: unlimited)', parsePositiveInt)
    .option('--expires <duration>', 'expire after e.g. 30m, 24h, 7d (default: never)', parseDurationHours)
    .option('--auto-approve', 'accept devices at once instead of leaving them pending')
    .option('--preauthorized-only', 'accept only devices whose serial or hardware id was pre-authorized')
    .option('--name <name>', 'what the token is for, e.g. "lab rack 3"')
    .action(async (opts: CreateOptions, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const { token, view } = await api.enrollTokens.create.mutate({
        group: opts.group,
        ...(opts.name ? { name: opts.name } : {}),
        tags: opts.tag ?? {},
        maxUses: opts.uses ?? null,
        expiresInHours: opts.expires ?? null,
        autoApprove: Boolean(opts.autoApprove),
        preauthorizedOnly: Boolean(opts.preauthorizedOnly),
      });
      out.data({ ...view, token }, () => {
        console.log(token);
        process.stderr.write(
          `Enrollment token "${view.name}" (${view.id}) for group ${view.group} created. Store it now: it is not shown again.\n`,
        );
      });
    });

  tokens
    .command('list')
    .description('list enrollment tokens')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const list = await api.enrollTokens.list.query();
      out.data(list, () => {
        if (list.length === 0)
          return console.log('No enrollment tokens yet. Create one with `edgefleet enroll-tokens create`.');
        const rows = list.map((t) => ({
          id: t.id,
          name: t.name,
          prefix: `${t.prefix}…`,
          group: t.group,
          tags: tagList(t.tags as Record<string, string>),
          uses: `${t.uses}/${t.maxUses ?? '∞'}`,
          approve: t.preauthorizedOnly ? 'pre-authorized' : t.autoApprove ? 'auto' : 'manual',
          expires: when(t.expiresAt),
          status: t.status,
        }));
        console.log(table(rows, ['id', 'name', 'prefix', 'group', 'uses', 'approve', 'expires', 'status', 'tags']));
      });
    });

  tokens
    .command('revoke')
    .description('revoke an enrollment token at once; enrolled devices keep their identity')
    .argument('<id>', 'token id (from `edgefleet enroll-tokens list`)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const view = await api.enrollTokens.revoke.mutate({ id });
      out.data(view, () => console.log(`Revoked enrollment token "${view.name}" (${view.id}).`));
    });
}
