import type { Command } from 'commander';
import { CliError, resolveContext } from '../context.ts';
import { table } from '../output.ts';
import { collectTag } from './parse.ts';

const selectorText = (selector: Record<string, string> | null) =>
  selector
    ? Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : '-';

export function registerGroupCommands(program: Command) {
  const groups = program
    .command('groups')
    .description('list, create and delete device groups (static, or dynamic by tag selector)');

  groups
    .command('list')
    .description('list groups with their kind, selector and number of devices')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const list = await api.groups.list.query();
      out.data(list, () => {
        if (list.length === 0) return console.log('No groups yet.');
        const rows = list.map((g) => ({
          id: g.id,
          name: g.name,
          kind: g.kind,
          selector: selectorText(g.selector),
          devices: String(g.deviceCount),
        }));
        console.log(table(rows, ['id', 'name', 'kind', 'selector', 'devices']));
      });
    });

  groups
    .command('create')
    .description('create a group: static without --selector, else dynamic (devices whose tags all match)')
    .argument('<name>', 'group name')
    .option('--selector <key=value>', 'tag a member must have (repeatable: all must match)', collectTag)
    .action(async (name: string, opts: { selector?: Record<string, string> }, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const group = await api.groups.create.mutate({ name, ...(opts.selector ? { selector: opts.selector } : {}) });
      out.data(group, () =>
        console.log(
          group.selector
            ? `Created dynamic group "${group.name}" (${selectorText(group.selector)}): ${group.deviceCount} device(s) match.`
            : `Created static group "${group.name}"; add devices with \`edgefleet devices tag ID --group ${group.name}\`.`,
        ),
      );
    });

  groups
    .command('delete')
    .description('delete a group; devices of a static group are left without one')
    .argument('<group>', 'group name or id')
    .action(async (nameOrId: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      // An id wins over a name, so a group named like another's id can still be deleted by id.
      const list = await api.groups.list.query();
      const group = list.find((g) => g.id === nameOrId) ?? list.find((g) => g.name === nameOrId);
      if (!group) throw new CliError(`no group named or with id "${nameOrId}"`);
      const deleted = await api.groups.delete.mutate({ id: group.id });
      out.data(deleted, () => {
        const left =
          group.kind === 'static' && group.deviceCount ? `; ${group.deviceCount} device(s) left without a group` : '';
        console.log(`Deleted ${deleted.kind} group "${deleted.name}"${left}.`);
      });
    });
}
