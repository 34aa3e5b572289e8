import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { CliError, resolveContext } from '../context.ts';
import { table, when } from '../output.ts';
import { printDevice } from './device-details.ts';
import { registerDiagnosticsCommand } from './diagnostics.ts';
import { ago, collect, collectTag, parsePositiveInt } from './parse.ts';

const STATUSES = ['pending', 'accepted', 'rejected', 'revoked', 'decommissioned'] as const;
type Status = (typeof STATUSES)[number];
const SORTS = { name: 'name', created: 'createdAt', seen: 'lastSeenAt', status: 'status' } as const;

/** `--status pending,accepted` or repeated `--status`. */
function collectStatus(value: string, previous: Status[] = []): Status[] {
  const out = [...previous];
  for (const s of value.split(',').map((v) => v.trim())) {
    if (!STATUSES.includes(s as Status)) {
      throw new InvalidArgumentError(`unknown status "${s}"; one of: ${STATUSES.join(', ')}`);
    }
    out.push(s as Status);
  }
  return out;
}

function parseSort(value: string): (typeof SORTS)[keyof typeof SORTS] {
  const sort = SORTS[value as keyof typeof SORTS];
  if (!sort) throw new InvalidArgumentError(`unknown sort "${value}"; one of: ${Object.keys(SORTS).join(', ')}`);
  return sort;
}

interface ListOptions {
  status?: Status[];
  group?: string;
  tag?: Record<string, string>;
  search?: string;
  sort?: (typeof SORTS)[keyof typeof SORTS];
  desc?: boolean;
  limit?: number;
  cursor?: string;
}

export function registerDeviceCommands(program: Command) {
  const devices = program.command('devices').description('list, approve, tag and retire devices');

  devices
    .command('list')
    .description('list devices, newest first unless --sort says otherwise')
    .option(
      '--status <status>',
      `only these statuses (repeatable or comma-separated): ${STATUSES.join(', ')}`,
      collectStatus,
    )
    .option('--group <group>', 'only devices in this group')
    .option('--tag <key=value>', 'only devices with this tag (repeatable: all must match)', collectTag)
    .option('--search <text>', 'name, id, serial number or hardware id contains')
    .option('--sort <field>', `sort by ${Object.keys(SORTS).join(', ')}`, parseSort)
    .option('--desc', 'sort descending')
    .option('--limit <n>', 'at most this many (max 200)', parsePositiveInt, 50)
    .option('--cursor <cursor>', 'continue after a previous page (printed when there is more)')
    .action(async (opts: ListOptions, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const page = await api.devices.list.query({
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.group ? { group: opts.group } : {}),
        ...(opts.tag ? { tag: Object.entries(opts.tag).map(([key, value]) => ({ key, value })) } : {}),
        ...(opts.search ? { q: opts.search } : {}),
        ...(opts.sort ? { sort: opts.sort, order: opts.desc ? ('desc' as const) : ('asc' as const) } : {}),
        limit: Math.min(opts.limit ?? 50, 200),
        cursor: opts.cursor ?? null,
      });
      out.data(page, () => {
        if (page.devices.length === 0) return console.log('No devices match.');
        const rows = page.devices.map((d) => ({
          id: d.id,
          name: d.name,
          status: d.status,
          group: d.group ?? '-',
          online: d.online ? 'online' : 'offline',
          'last seen': ago(d.lastSeenAt),
          'cert expires': when(d.certificateNotAfter),
          os: `${d.facts.os}/${d.facts.arch}`,
        }));
        console.log(table(rows, ['id', 'name', 'status', 'group', 'online', 'last seen', 'cert expires', 'os']));
        const more = page.nextCursor ? `; next page: --cursor ${page.nextCursor}` : '';
        process.stderr.write(`${page.devices.length} of ${page.total} shown${more}\n`);
      });
    });

  devices
    .command('show')
    .description('show a device: facts, tags, certificates')
    .argument('<id>', 'device id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await resolveContext(cmd);
      const device = await api.devices.get.query({ id });
      out.data(device, () => printDevice(device));
    });

  const decisions = [
    ['approve', 'accept a pending device and issue its certificate', 'Approved'],
    ['reject', 'reject a pending device', 'Rejected'],
    ['revoke', 'revoke an accepted device: its certificates stop working at once', 'Revoked'],
    ['decommission', 'retire a device for good and revoke its certificates', 'Decommissioned'],
  ] as const;
  for (const [verb, description, done] of decisions) {
    devices
      .command(verb)
      .description(description)
      .argument('<id>', 'device id')
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const { api, out } = await resolveContext(cmd);
        const device = await api.devices[verb].mutate({ id });
        out.data(device, () => console.log(`${done} ${device.name} (${device.id}): now ${device.status}.`));
      });
  }

  devices
    .command('tag')
    .description('set or remove tags, or move the device to another group')
    .argument('<id>', 'device id')
    .argument('[tags...]', 'key=value pairs to set')
    .option('--remove <key>', 'remove this tag (repeatable)', collect)
    .option('--group <group>', 'move the device to this group ("" for none)')
    .action(async (id: string, pairs: string[], opts: { remove?: string[]; group?: string }, cmd: Command) => {
      const set = pairs.reduce<Record<string, string>>((acc, p) => collectTag(p, acc), {});
      if (pairs.length === 0 && !opts.remove && opts.group === undefined) {
        throw new CliError('nothing to change: give key=value pairs, --remove KEY or --group G', 2);
      }
      const { api, out } = await resolveContext(cmd);
      const device = await api.devices.tag.mutate({
        id,
        ...(pairs.length ? { set } : {}),
        ...(opts.remove ? { remove: opts.remove } : {}),
        ...(opts.group === undefined ? {} : { group: opts.group === '' ? null : opts.group }),
      });
      out.data(device, () => printDevice(device));
    });

  devices
    .command('preauthorize')
    .description('pre-authorize devices from a CSV (serialNumber,hardwareId,group,tags) or JSON file')
    .argument('<file>', 'CSV or JSON file of expected serial numbers or hardware ids')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new CliError(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
      });
      const { api, out } = await resolveContext(cmd);
      const result = await api.devices.preauthorize.mutate({ text, filename: basename(file) });
      out.data(result, () =>
        console.log(`Pre-authorized ${result.added} device(s); ${result.skipped} already listed were skipped.`),
      );
    });

  registerDiagnosticsCommand(devices);
}
