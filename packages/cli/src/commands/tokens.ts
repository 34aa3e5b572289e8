import { SCOPES, ZScope } from '@edgefleet/protocol/scopes';
import { type Command, InvalidArgumentError } from 'commander';
import { resolveContext } from '../context.ts';
import { table, when } from '../output.ts';

const collect = (value: string, previous: string[] = []) => {
  const parsed = ZScope.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(`unknown scope "${value}"; one of: ${SCOPES.join(', ')}`);
  return [...previous, parsed.data];
};

const status = (t: { revokedAt: Date | null; expiresAt: Date | null }) =>
  t.revokedAt ? 'revoked' : t.expiresAt && new Date(t.expiresAt) <= new Date() ? 'expired' : 'active';

export function registerTokenCommands(program: Command) {
  const tokens = program.command('tokens').description('manage API tokens for the CLI and CI');

  tokens
    .command('create')
    .description('create an API token; the secret is printed once')
    .requiredOption('--name <name>', 'what the token is for, e.g. "github-actions"')
    .requiredOption('--scope <scope>', `a scope to grant (repeatable): ${SCOPES.join(', ')}`, collect)
    .option('--expires <days>', 'expire after this many days (default: never)')
    .action(async (opts: { name: string; scope: (typeof SCOPES)[number][]; expires?: string }, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const expiresInDays = opts.expires === undefined ? null : Number(opts.expires);
      if (expiresInDays !== null && (!Number.isInteger(expiresInDays) || expiresInDays < 1)) {
        throw new InvalidArgumentError('--expires must be a whole number of days');
      }
      const { token, view } = await api.tokens.create.mutate({ name: opts.name, scopes: opts.scope, expiresInDays });
      out.data({ ...view, token }, () => {
        console.log(token);
        process.stderr.write(`Token "${view.name}" (${view.id}) created. Store it now: it is not shown again.\n`);
      });
    });

  tokens
    .command('list')
    .description("list API tokens (admins see everyone's)")
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const list = await api.tokens.list.query();
      out.data(list, () => {
        if (list.length === 0) return console.log('No API tokens yet. Create one with `edgefleet tokens create`.');
        const rows = list.map((t) => ({
          id: t.id,
          name: t.name,
          prefix: `${t.prefix}…`,
          scopes: t.scopes.join(','),
          owner: t.owner,
          'last used': when(t.lastUsedAt),
          expires: when(t.expiresAt),
          status: status(t),
        }));
        console.log(table(rows, ['id', 'name', 'prefix', 'owner', 'last used', 'expires', 'status', 'scopes']));
      });
    });

  tokens
    .command('revoke')
    .description('revoke an API token at once')
    .argument('<id>', 'token id (from `edgefleet tokens list`)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const view = await api.tokens.revoke.mutate({ id });
      out.data(view, () => console.log(`Revoked token "${view.name}" (${view.id}).`));
    });
}
